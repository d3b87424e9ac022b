"""Return-visit plans (回访规则) as data: "N days or months after X, for customers Y, visit for P".

Rules are configuration, not code: `DEFAULT_RULES` ships the desk's usual plan and
`KEFU_VISIT_RULES_FILE` may replace it with a JSON list of the same fields. Business dates are
dates in the desk's time zone, never UTC dates: a sale at 01:00 in Shanghai is a sale that day.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

# Triggers are named facts: "sale", "ticket_resolved", "no_contact", or a milestone kind
# ("appointment", "service", "viewing", "pickup", ... an open set, as milestones are).
SALE = "sale"
TICKET_RESOLVED = "ticket_resolved"
NO_CONTACT = "no_contact"


@dataclass(frozen=True)
class VisitRule:
    """One line of the visit plan; `tiers` empty means every customer."""

    name: str
    trigger: str
    purpose: str
    days: int = 0
    months: int = 0
    tiers: tuple[str, ...] = ()

    def applies(self, trigger: str, tier: str) -> bool:
        return self.trigger == trigger and (not self.tiers or tier in self.tiers)

    def due_on(self, anchor: date) -> date:
        """The visit's business date: `anchor` plus the months (clamped to month end), plus days."""
        return add_months(anchor, self.months) + timedelta(days=self.days)


DEFAULT_RULES: tuple[VisitRule, ...] = (
    VisitRule("appointment-next-day", "appointment", "confirm the appointment went well", days=1),
    VisitRule("7dc-sale", SALE, "7DC visit: satisfaction after the sale", days=2),
    VisitRule("3dc-service", "service", "3DC visit: satisfaction after the service", days=2),
    VisitRule("viewing-day-10", "viewing", "follow up the viewing", days=10),
    VisitRule("pickup-day-5", "pickup", "check everything is right after pickup", days=5),
    VisitRule("maintenance-3-months", SALE, "first maintenance reminder", months=3),
    VisitRule("lost-customer-6-months", NO_CONTACT, "win back a customer gone quiet", months=6),
    VisitRule("ticket-satisfaction", TICKET_RESOLVED, "satisfaction with the resolution", days=1),
)


@dataclass(frozen=True)
class QuietHours:
    """Do-not-disturb hours (免打扰) in the desk's time zone; may run past midnight."""

    start: time
    end: time

    def covers(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def end_after(self, local: datetime) -> datetime:
        ends = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        return ends if ends > local else ends + timedelta(days=1)


@dataclass(frozen=True)
class VisitPolicy:
    """The plan and the calling rules: member visits finish within 3 days, retry in 2 hours."""

    rules: tuple[VisitRule, ...] = DEFAULT_RULES
    member_finish_days: int = 3
    retry_after: timedelta = timedelta(hours=2)
    calling_from: time = time(9, 0)
    calling_until: time = time(21, 0)
    member_tiers: frozenset[str] = field(default_factory=lambda: frozenset({"member", "vip"}))

    def rules_for(self, trigger: str, tier: str) -> list[VisitRule]:
        return [rule for rule in self.rules if rule.applies(trigger, tier)]

    def rule(self, name: str) -> VisitRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def finish_by(self, due_on: date, tier: str) -> date | None:
        """Members' visits must be finished within `member_finish_days` of the due date."""
        if tier not in self.member_tiers:
            return None
        return due_on + timedelta(days=self.member_finish_days)

    def next_call_at(self, after: datetime, zone: tzinfo, quiet: Sequence[QuietHours]) -> datetime:
        """The first moment from `after + retry_after` inside calling hours and outside quiet ones.

        The same day when there is time left, else the next morning.
        """
        local = (after + self.retry_after).astimezone(zone)
        for _ in range(len(quiet) + 3):
            moved = self._outside_windows(local, quiet)
            if moved == local:
                break
            local = moved
        return local

    def _outside_windows(self, local: datetime, quiet: Sequence[QuietHours]) -> datetime:
        if local.time() < self.calling_from:
            return datetime.combine(local.date(), self.calling_from, tzinfo=local.tzinfo)
        if local.time() >= self.calling_until:
            tomorrow = local.date() + timedelta(days=1)
            return datetime.combine(tomorrow, self.calling_from, tzinfo=local.tzinfo)
        for window in quiet:
            if window.covers(local.time()):
                return window.end_after(local)
        return local


def business_date(moment: datetime, zone: tzinfo) -> date:
    """The calendar date of `moment` in the desk's time zone."""
    return moment.astimezone(zone).date()


def add_months(day: date, months: int) -> date:
    """`day` plus whole months; the 31st of January plus one month is the last of February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
