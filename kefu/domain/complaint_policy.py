"""The complaint policy: reply deadlines and the unreachable-customer rule (可配置)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class ComplaintPolicy:
    """Feedback within 24 hours, a final answer within 3 days, 3 days of tries before
    a customer counts as unreachable; major complaints are reported to `manager`."""

    first_reply_within: timedelta = timedelta(hours=24)
    final_answer_within: timedelta = timedelta(days=3)
    unreachable_after_days: int = 3
    manager: str = "duty-manager"

    def first_reply_due(self, registered_at: datetime) -> datetime:
        return registered_at + self.first_reply_within

    def final_answer_due(self, registered_at: datetime) -> datetime:
        return registered_at + self.final_answer_within

    def days_tried(self, attempts: Iterable[datetime], zone: tzinfo) -> int:
        """On how many different days, in the business time zone, the customer was tried."""
        days: set[date] = {moment.astimezone(zone).date() for moment in attempts}
        return len(days)
