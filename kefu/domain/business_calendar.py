"""The business calendar (工作日历): when the desk works, and time counted only then.

Working hours are given per weekday in the desk's time zone. China's public holidays close
the desk and its adjusted working days (调休, a Saturday or Sunday worked in exchange for a
holiday bridge) open it with a normal weekday's hours; the dates come from the caller (see
`china_holidays`), so this module stays pure. Extra closures (a company day off) close whole
days. Arithmetic: `add` moves a moment on by N business minutes, `elapsed` counts the business
time between two moments; both skip nights, weekends, holidays and closures. Both read whole
days from running sums of each day's working time (`add` finds its day by bisection), so the SLA
clocks of a ticket open for a year, or a deadline 15 working days away, cost what a day does.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The longest search for the next working moment: a calendar with no working day at all
# (a misconfiguration) must fail, not loop for ever.
SEARCH_LIMIT_DAYS = 3 * 366
# Days summed beyond the ones asked for when the running sums grow, so that the next moments
# (today's, on the next request) find their days already summed.
SUM_MARGIN_DAYS = 400
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


class DaySums:
    """Running sums of a calendar's working time per day, over a range of days that grows on
    demand (by whole margins, so it grows rarely). Threads may race to grow it: each builds a
    whole new table and stores it in one assignment; every table holds the same sums."""

    def __init__(self) -> None:
        # The ordinal of the first day summed, and the sums: sums[k] is the working time of the
        # days before the first day + k.
        self._table: tuple[int, tuple[timedelta, ...]] = (0, ())

    def between(self, calendar: BusinessCalendar, first: date, last: date) -> timedelta:
        """The working time of the days from `first` up to, not including, `last`."""
        lo, hi = first.toordinal(), last.toordinal()
        if hi <= lo:
            return timedelta()
        start, sums = self._covering(calendar, lo, hi)
        return sums[hi - start] - sums[lo - start]

    def reaching(self, calendar: BusinessCalendar, first: date, amount: timedelta) -> date:
        """The first day from `first` on by whose end the working time since `first` reaches
        `amount` (more than zero); CalendarError when none does within the search limit."""
        lo = first.toordinal()
        end = lo + SEARCH_LIMIT_DAYS - 1  # the days searched: `first` up to, not including, end
        start, sums = self._covering(calendar, lo, end)
        index = bisect_left(sums, sums[lo - start] + amount, lo - start + 1, end - start + 1)
        if index > end - start:
            raise CalendarError(f"no working time within {SEARCH_LIMIT_DAYS} days of {first}")
        return date.fromordinal(start + index - 1)

    def _covering(
        self, calendar: BusinessCalendar, lo: int, hi: int
    ) -> tuple[int, tuple[timedelta, ...]]:
        """The table, grown first if its sums do not reach from day `lo` to day `hi` (their
        sums[lo - start] to sums[hi - start])."""
        start, sums = self._table
        if lo < start or hi >= start + len(sums):
            return self._grown(calendar, lo, hi)
        return start, sums

    def _grown(
        self, calendar: BusinessCalendar, lo: int, hi: int
    ) -> tuple[int, tuple[timedelta, ...]]:
        start, sums = self._table
        if sums:
            lo, hi = min(lo, start), max(hi, start + len(sums) - 1)
        lo, hi = max(1, lo - SUM_MARGIN_DAYS), min(date.max.toordinal(), hi + SUM_MARGIN_DAYS)
        running, total = [timedelta()], timedelta()
        for ordinal in range(lo, hi):
            total += calendar.working_time(date.fromordinal(ordinal))
            running.append(total)
        self._table = (lo, tuple(running))
        return self._table


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
    _sums: DaySums = field(default_factory=DaySums, init=False, repr=False, compare=False)

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

    def _period(self, day: date) -> tuple[datetime, datetime] | None:
        span = self.span(day)
        if span is None:
            return None
        opens = datetime.combine(day, span[0], self.timezone)
        if span[1] is None:
            return opens, datetime.combine(day + timedelta(days=1), time(), self.timezone)
        return opens, datetime.combine(day, span[1], self.timezone)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of business time after `start`: within `start`'s day if its
        working time left is enough, else on the first later day by which the running sums
        reach the rest."""
        if amount <= timedelta():
            return start
        first = start.astimezone(self.timezone).date()
        period = self._period(first)
        if period is not None and period[1] > start:
            opens = max(period[0], start)
            if opens + amount <= period[1]:
                return opens + amount
            amount -= period[1] - opens
        following = first + timedelta(days=1)
        day = self._sums.reaching(self, following, amount)
        left = amount - self._sums.between(self, following, day)
        return self._opening(day) + left

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The business time between `start` and `end` (zero if `end` is not later): the
        working time left on `start`'s day, every whole day between, and `end`'s day up to
        `end`."""
        if end <= start:
            return timedelta()
        first = start.astimezone(self.timezone).date()
        last = end.astimezone(self.timezone).date()
        if first == last:
            return self._within(first, start, end)
        between = self._sums.between(self, first + timedelta(days=1), last)
        return self._within(first, start, end) + between + self._within(last, start, end)

    def _opening(self, day: date) -> datetime:
        period = self._period(day)
        assert period is not None, "a day the running sums reach is a working day"
        return period[0]

    def working_time(self, day: date) -> timedelta:
        """How long the desk works on `day`."""
        period = self._period(day)
        return period[1] - period[0] if period else timedelta()

    def _within(self, day: date, start: datetime, end: datetime) -> timedelta:
        """The working time of `day` between `start` and `end`."""
        period = self._period(day)
        if period is None:
            return timedelta()
        return max(min(period[1], end) - max(period[0], start), timedelta())


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
