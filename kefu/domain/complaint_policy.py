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


_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_complaint_policy(spec: str) -> ComplaintPolicy:
    """`first_reply=24h,final_answer=3d,unreachable_days=3,manager=duty-manager` (any subset;
    the rest keep their defaults) → the policy; ValueError if malformed."""
    values: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = (text.strip() for text in item.partition("="))
        if name in ("first_reply", "final_answer"):
            values[f"{name}_within"] = _duration(value)
        elif name == "unreachable_days" and value.isdigit() and int(value) > 0:
            values["unreachable_after_days"] = int(value)
        elif name == "manager" and value:
            values["manager"] = value
        else:
            raise ValueError(
                f"{item!r}: expected first_reply=, final_answer=, unreachable_days= or manager="
            )
    return ComplaintPolicy(**values)  # type: ignore[arg-type]


def _duration(text: str) -> timedelta:
    if not (text[:-1].isdigit() and text[-1:] in _UNITS and int(text[:-1]) > 0):
        raise ValueError(f"{text!r} is not a duration like 30m, 24h or 3d")
    return timedelta(**{_UNITS[text[-1]]: int(text[:-1])})
