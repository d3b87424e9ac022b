"""Time buckets in the business time zone: local day, ISO week (its Monday), month, hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache


class Period(StrEnum):
    """How a report's rows are bucketed."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# The fact-table column holding each period's label.
PERIOD_COLUMNS = {Period.DAY: "b_day", Period.WEEK: "b_week", Period.MONTH: "b_month"}


@dataclass(frozen=True)
class Bucket:
    """One period of a report: its label and its [start, end) instants."""

    label: str
    start: datetime
    end: datetime


def date_labels(day: date) -> dict[str, str]:
    """The day, week (its Monday) and month labels of a business date."""
    b_day, b_week, b_month = _labels(day)
    return {"b_day": b_day, "b_week": b_week, "b_month": b_month}


@lru_cache(maxsize=4096)
def _labels(day: date) -> tuple[str, str, str]:
    # Formatting dates is a projection's hot path; a catch-up meets the same few days again
    # and again.
    monday = day - timedelta(days=day.weekday())
    return day.isoformat(), monday.isoformat(), day.strftime("%Y-%m")


def moment_labels(moment: datetime, zone: tzinfo) -> dict[str, object]:
    """The bucket columns of an instant: its business date's labels and its local hour."""
    local = moment.astimezone(zone)
    return {**date_labels(local.date()), "b_hour": local.hour}


def label_of(moment: datetime, period: Period, zone: tzinfo) -> str:
    return str(moment_labels(moment, zone)[PERIOD_COLUMNS[period]])


def first_day(day: date, period: Period) -> date:
    """The first business date of the period `day` falls in."""
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return day


def next_first_day(day: date, period: Period) -> date:
    """The first business date of the period after the one starting on `day`."""
    if period is Period.DAY:
        return day + timedelta(days=1)
    if period is Period.WEEK:
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def midnight(day: date, zone: tzinfo) -> datetime:
    """The instant a business date begins, in UTC (so differences count real seconds)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def buckets(start: datetime, end: datetime, period: Period, zone: tzinfo) -> list[Bucket]:
    """Every period touching [start, end), in order; the first and last may be partial."""
    found: list[Bucket] = []
    day = first_day(start.astimezone(zone).date(), period)
    while midnight(day, zone) < end:
        following = next_first_day(day, period)
        label = date_labels(day)[PERIOD_COLUMNS[period]]
        found.append(Bucket(label, midnight(day, zone), midnight(following, zone)))
        day = following
    return found
