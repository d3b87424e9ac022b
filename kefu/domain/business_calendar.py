"""The business calendar (工作日历): when the desk works, and time counted only then.

Working hours are given per weekday in the desk's time zone. China's public holidays close
the desk and its adjusted working days (调休, a Saturday or Sunday worked in exchange for a
holiday bridge) open it with a normal weekday's hours; the dates come from the caller (see
`china_holidays`), so this module stays pure. Extra closures (a company day off) close whole
days. Arithmetic: `add` moves a moment on by N business minutes, `elapsed` counts the business
time between two moments; both skip nights, weekends, holidays and closures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The longest search for the next working moment: a calendar with no working day at all
# (a misconfiguration) must fail, not loop for ever.
SEARCH_LIMIT_DAYS = 3 * 366
Span = tuple[time, time | None]  # opening and closing time; None closes at midnight


class TimeCounter(Protocol):
    """How a deadline counts time: wall-clock or business time."""

    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...


class WallClock:
    """Counts every second, night and holiday included (a 24/7 policy)."""

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return start + amount

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta())


class CalendarError(ValueError):
    """The calendar cannot answer: no working time within the search limit."""


def _default_hours() -> dict[int, Span]:
    return {day: (time(9), time(18)) for day in range(5)}


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday (0 = Monday), holidays, 调休 working days and closures."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    hours: Mapping[int, Span] = field(default_factory=_default_hours)
    holidays: frozenset[date] = frozenset()
    adjusted_workdays: frozenset[date] = frozenset()
    closures: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.closures:
            return False
        if day in self.adjusted_workdays:
            return True
        return day not in self.holidays and day.weekday() in self.hours

    def span(self, day: date) -> Span | None:
        """The day's opening and closing time, or None when the desk is closed all day."""
        if not self.is_working_day(day):
            return None
        if day.weekday() in self.hours:
            return self.hours[day.weekday()]
        return self._weekday_span()

    def _weekday_span(self) -> Span:
        """An adjusted working day on a weekend works a normal weekday's hours."""
        weekdays = [self.hours[d] for d in range(5) if d in self.hours]
        return weekdays[0] if weekdays else (time(9), time(18))

    def open_periods(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods that end after `since` (clipped to start there), in order."""
        day = since.astimezone(self.timezone).date()
        for offset in range(SEARCH_LIMIT_DAYS):
            period = self._period(day + timedelta(days=offset))
            if period is not None and period[1] > since:
                yield max(period[0], since), period[1]
        raise CalendarError(f"no working time within {SEARCH_LIMIT_DAYS} days of {since}")

    def _period(self, day: date) -> tuple[datetime, datetime] | None:
        span = self.span(day)
        if span is None:
            return None
        opens = datetime.combine(day, span[0], self.timezone)
        if span[1] is None:
            return opens, datetime.combine(day + timedelta(days=1), time(), self.timezone)
        return opens, datetime.combine(day, span[1], self.timezone)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of business time after `start`."""
        if amount <= timedelta():
            return start
        left = amount
        for opens, closes in self.open_periods(start):
            if opens + left <= closes:
                return opens + left
            left -= closes - opens
        raise AssertionError("open_periods ends only by raising")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The business time between `start` and `end` (zero if `end` is not later)."""
        total = timedelta()
        if end <= start:
            return total
        for opens, closes in self.open_periods(start):
            if opens >= end:
                return total
            total += min(closes, end) - opens
        return total  # pragma: no cover


def parse_hours(spec: str) -> dict[int, Span]:
    """`mon-fri=09:00-18:00,sat=10:00-16:00` → spans per weekday; `24:00` closes at midnight."""
    hours: dict[int, Span] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        days, _, times = item.partition("=")
        span = _span(item, times)
        for day in _days(item, days.strip().lower()):
            if day in hours:
                raise ValueError(f"{WEEKDAYS[day]} is given twice")
            hours[day] = span
    return hours


def _days(item: str, days: str) -> list[int]:
    first, _, last = days.partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise ValueError(f"{item!r}: days are mon..sun or a range like mon-fri")
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    if end < start:
        raise ValueError(f"{item!r}: a day range runs forwards, like mon-fri")
    return list(range(start, end + 1))


def _span(item: str, times: str) -> Span:
    opening, _, closing = times.partition("-")
    try:
        opens = time.fromisoformat(opening.strip())
        closes = None if closing.strip() == "24:00" else time.fromisoformat(closing.strip())
    except ValueError:
        raise ValueError(f"{item!r}: hours look like 09:00-18:00") from None
    if closes is not None and closes <= opens:
        raise ValueError(f"{item!r}: a day's hours close after they open (same day)")
    return opens, closes


def parse_dates(spec: str) -> frozenset[date]:
    """`2026-12-31,2027-01-04` → dates; blanks are ignored."""
    try:
        return frozenset(
            date.fromisoformat(part.strip()) for part in spec.split(",") if part.strip()
        )
    except ValueError as e:
        raise ValueError(f"{spec!r}: dates look like 2026-12-31 ({e})") from None
