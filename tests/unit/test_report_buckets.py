"""Report buckets: business-time-zone days, ISO weeks and months, and the report arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from kefu.projections.reports.buckets import Period, buckets, date_labels, label_of, moment_labels
from kefu.projections.reports.query import mean, p90, pct

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_shanghai_day_ends_at_16_00_utc() -> None:
    last = moment_labels(utc(2030, 3, 31, 15, 59, 59), SHANGHAI)
    first = moment_labels(utc(2030, 3, 31, 16, 0, 0), SHANGHAI)
    assert last == {
        "b_day": "2030-03-31",
        "b_week": "2030-03-25",
        "b_month": "2030-03",
        "b_hour": 23,
    }
    assert first == {
        "b_day": "2030-04-01",
        "b_week": "2030-04-01",
        "b_month": "2030-04",
        "b_hour": 0,
    }


def test_the_same_instant_falls_on_different_days_in_different_zones() -> None:
    moment = utc(2030, 6, 1, 20, 0)
    assert label_of(moment, Period.DAY, SHANGHAI) == "2030-06-02"
    assert label_of(moment, Period.DAY, UTC) == "2030-06-01"


def test_an_iso_week_is_labelled_by_its_monday_even_across_a_year_end() -> None:
    assert date_labels(date(2030, 1, 1))["b_week"] == "2029-12-31"
    assert date_labels(date(2030, 1, 6))["b_week"] == "2029-12-31"
    assert date_labels(date(2030, 1, 7))["b_week"] == "2030-01-07"


def test_day_buckets_cover_the_range_and_start_at_local_midnight() -> None:
    found = buckets(utc(2030, 3, 30, 20, 0), utc(2030, 4, 1, 1, 0), Period.DAY, SHANGHAI)
    assert [b.label for b in found] == ["2030-03-31", "2030-04-01"]
    assert found[0].start == utc(2030, 3, 30, 16, 0)
    assert found[1].end == utc(2030, 4, 1, 16, 0)


def test_week_buckets_run_monday_to_monday_in_business_time() -> None:
    found = buckets(utc(2030, 3, 27), utc(2030, 4, 2), Period.WEEK, SHANGHAI)
    assert [b.label for b in found] == ["2030-03-25", "2030-04-01"]
    assert found[1].start == utc(2030, 3, 31, 16, 0)
    assert found[1].end - found[1].start == timedelta(days=7)


def test_month_buckets_turn_over_at_the_year_end() -> None:
    found = buckets(utc(2030, 11, 20), utc(2031, 1, 5), Period.MONTH, SHANGHAI)
    assert [b.label for b in found] == ["2030-11", "2030-12", "2031-01"]
    assert found[2].start == utc(2030, 12, 31, 16, 0)
    assert found[1].end == found[2].start


def test_a_day_with_a_clock_change_has_its_real_length() -> None:
    (day,) = buckets(utc(2030, 3, 31, 1), utc(2030, 3, 31, 2), Period.DAY, BERLIN)
    assert day.end - day.start == timedelta(hours=23)


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([5.0]) == 5.0
    assert p90([float(n) for n in range(1, 11)]) == 9.0
    assert p90([float(n) for n in range(1, 12)]) == 10.0


def test_ratios_say_none_when_nothing_was_counted() -> None:
    assert pct(1, 3) == 33.3
    assert pct(0, 0) is None
    assert mean(10, 4) == 2.5
    assert mean(1, 0) is None
