"""The business calendar: working hours, China's holidays and 调休 days, closures, arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.domain.business_calendar import (
    BusinessCalendar,
    CalendarError,
    WallClock,
    parse_dates,
    parse_hours,
)
from kefu.processes.china_holidays import china_adjusted_workdays, china_holidays, covered_years

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = BusinessCalendar(holidays=china_holidays(), adjusted_workdays=china_adjusted_workdays())


def at(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), SHANGHAI)


def test_time_within_one_working_day_adds_plainly() -> None:
    assert CHINA.add(at("2026-03-04", "10:00"), timedelta(minutes=90)) == at("2026-03-04", "11:30")


def test_business_minutes_carry_over_the_night() -> None:
    assert CHINA.add(at("2026-03-04", "17:30"), timedelta(hours=1)) == at("2026-03-05", "09:30")


def test_business_minutes_carry_over_a_weekend() -> None:
    # Friday 17:00 + 2 business hours: one on Friday, one on Monday.
    assert CHINA.add(at("2026-03-06", "17:00"), timedelta(hours=2)) == at("2026-03-09", "10:00")


def test_a_start_before_opening_counts_from_opening() -> None:
    assert CHINA.add(at("2026-03-04", "06:00"), timedelta(minutes=10)) == at("2026-03-04", "09:10")


def test_a_tiao_xiu_saturday_is_a_working_day() -> None:
    # 2026-10-10 is a Saturday worked in exchange for the National Day bridge (调休上班).
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert CHINA.is_working_day(saturday)
    friday_evening = at("2026-10-09", "17:30")
    assert CHINA.add(friday_evening, timedelta(hours=1)) == at("2026-10-10", "09:30")


def test_an_ordinary_saturday_is_not_a_working_day() -> None:
    assert not CHINA.is_working_day(date(2026, 3, 7))


def test_the_national_day_holiday_is_skipped_whole() -> None:
    # 1-7 October 2026 are holidays; Thursday 8 October is the next working day.
    before = at("2026-09-30", "17:00")
    assert CHINA.add(before, timedelta(hours=2)) == at("2026-10-08", "10:00")
    assert not CHINA.is_working_day(date(2026, 10, 5))  # a Monday, yet a holiday


def test_spring_festival_eve_saturday_works_before_the_break() -> None:
    # 2026-02-14 (Saturday) is worked; 15-23 February are the Spring Festival holiday.
    assert CHINA.add(at("2026-02-13", "17:00"), timedelta(hours=2)) == at("2026-02-14", "10:00")
    assert CHINA.add(at("2026-02-14", "17:00"), timedelta(hours=2)) == at("2026-02-24", "10:00")


def test_time_that_ends_exactly_at_closing_ends_there_not_at_the_next_opening() -> None:
    assert CHINA.add(at("2026-03-04", "17:00"), timedelta(hours=1)) == at("2026-03-04", "18:00")
    assert CHINA.add(at("2026-03-04", "18:00"), timedelta(hours=9)) == at("2026-03-05", "18:00")
    assert CHINA.add(at("2026-03-04", "17:00"), timedelta(hours=10)) == at("2026-03-05", "18:00")


def test_elapsed_business_time_skips_nights_weekends_and_holidays() -> None:
    assert CHINA.elapsed(at("2026-03-06", "17:00"), at("2026-03-09", "10:00")) == timedelta(hours=2)
    assert CHINA.elapsed(at("2026-09-30", "17:00"), at("2026-10-08", "09:00")) == timedelta(hours=1)
    assert CHINA.elapsed(at("2026-03-04", "20:00"), at("2026-03-05", "08:00")) == timedelta()


def test_elapsed_is_zero_backwards_and_inverts_add() -> None:
    start = at("2026-04-30", "16:20")
    end = CHINA.add(start, timedelta(minutes=731))
    assert CHINA.elapsed(start, end) == timedelta(minutes=731)
    assert CHINA.elapsed(end, start) == timedelta()


def test_elapsed_over_years_counts_every_working_day_without_a_search_limit() -> None:
    # A ticket still open after four years (an imported backlog): 9 hours on each weekday.
    desk = BusinessCalendar()
    start, end = at("2022-01-03", "09:00"), at("2026-01-05", "09:00")  # both Mondays
    weeks = (end - start).days // 7
    assert desk.elapsed(start, end) == timedelta(hours=45 * weeks)


def periods(calendar: BusinessCalendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The naive way: every working period that ends after `since` (clipped to start there),
    day by day, for three years."""
    zone = calendar.timezone
    first = since.astimezone(zone).date()
    for day in (first + timedelta(days=n) for n in range(3 * 366)):
        span = calendar.span(day)
        if span is None:
            continue
        opens = datetime.combine(day, span[0], zone)
        closes = datetime.combine(day + timedelta(days=1) if span[1] is None else day,
                                  span[1] or time(), zone)  # fmt: skip
        if closes > since:
            yield max(opens, since), closes


def walked(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The business time between two moments, period by period."""
    total = timedelta()
    if end <= start:
        return total
    for opens, closes in periods(calendar, start):
        if opens >= end:
            return total
        total += min(closes, end) - opens
    return total  # pragma: no cover


def walked_on(calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime | None:
    """The moment `amount` of business time after `start`, period by period (None: not
    within three years)."""
    if amount <= timedelta():
        return start
    for opens, closes in periods(calendar, start):
        if opens + amount <= closes:
            return opens + amount
        amount -= closes - opens
    return None


DAYS_2026 = st.dates(date(2026, 1, 1), date(2027, 12, 31))
MOMENTS = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31, 23, 59))
ZONES = st.sampled_from([SHANGHAI, ZoneInfo("UTC"), ZoneInfo("Europe/Berlin")])
SPANS = st.sampled_from([(time(9), time(18)), (time(8, 30), None), (time(0), time(6))])


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    hours = draw(st.dictionaries(st.integers(0, 6), SPANS, min_size=1))
    dates = st.frozensets(DAYS_2026, max_size=30)
    return BusinessCalendar(
        timezone=draw(ZONES), hours=hours, holidays=draw(dates),
        adjusted_workdays=draw(dates), closures=draw(dates),
    )  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(), MOMENTS, MOMENTS, ZONES, ZONES)
def test_elapsed_equals_the_naive_walk_over_every_working_period(
    calendar: BusinessCalendar, start: datetime, end: datetime, start_zone: ZoneInfo,
    end_zone: ZoneInfo,
) -> None:  # fmt: skip
    start, end = start.replace(tzinfo=start_zone), end.replace(tzinfo=end_zone)
    assert calendar.elapsed(start, end) == walked(calendar, start, end)
    assert calendar.elapsed(start, end) == walked(calendar, start, end)  # from the kept sums


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(), MOMENTS, st.integers(0, 60 * 24 * 60), ZONES)
def test_add_equals_the_naive_walk_over_every_working_period(
    calendar: BusinessCalendar, start: datetime, minutes: int, zone: ZoneInfo
) -> None:
    start, amount = start.replace(tzinfo=zone), timedelta(minutes=minutes)
    expected = walked_on(calendar, start, amount)
    if expected is None:  # a desk open a few hours a week: not within the search limit
        with pytest.raises(CalendarError):
            calendar.add(start, amount)
    else:
        assert calendar.add(start, amount) == expected


def test_extra_closures_close_whole_days() -> None:
    closed = BusinessCalendar(closures=frozenset({date(2026, 3, 5)}))
    assert closed.add(at("2026-03-04", "17:30"), timedelta(hours=1)) == at("2026-03-06", "09:30")


def test_hours_per_weekday_and_a_desk_open_until_midnight() -> None:
    hours = parse_hours("mon-fri=08:30-20:00,sat=10:00-24:00")
    desk = BusinessCalendar(hours=hours)
    saturday_night = at("2026-03-07", "23:00")
    assert desk.add(saturday_night, timedelta(hours=2)) == at("2026-03-09", "09:30")
    assert desk.elapsed(at("2026-03-07", "09:00"), at("2026-03-08", "12:00")) == timedelta(hours=14)


def test_moments_in_other_time_zones_are_read_in_the_desk_zone() -> None:
    utc_morning = datetime(2026, 3, 4, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai
    assert CHINA.add(utc_morning, timedelta(minutes=5)) == at("2026-03-04", "09:05")


def test_a_calendar_without_working_days_refuses_instead_of_looping() -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar(hours={}).add(at("2026-03-04", "10:00"), timedelta(minutes=1))


def test_wall_clock_counts_every_second() -> None:
    start = at("2026-10-01", "23:00")
    assert WallClock().add(start, timedelta(hours=2)) == at("2026-10-02", "01:00")
    assert WallClock().elapsed(start, at("2026-10-02", "01:00")) == timedelta(hours=2)


@pytest.mark.parametrize(
    "spec",
    ["mon-fri", "fri-mon=09:00-18:00", "xyz=09:00-18:00", "mon=18:00-09:00", "mon=9-18",
     "mon=09:00-18:00,mon=10:00-11:00"],
)  # fmt: skip
def test_bad_hours_are_refused_with_the_item_named(spec: str) -> None:
    with pytest.raises(ValueError, match=r"mon|fri|xyz|given twice"):
        parse_hours(spec)


def test_closures_parse_and_bad_dates_are_refused() -> None:
    assert parse_dates("2026-12-31, 2027-01-04") == {date(2026, 12, 31), date(2027, 1, 4)}
    with pytest.raises(ValueError, match="2026-13-01"):
        parse_dates("2026-13-01")


def test_the_holiday_library_covers_this_year() -> None:
    assert 2026 in covered_years()
