"""China's public holidays and adjusted working days (调休), from `chinese-calendar`.

The library is a maintained table of the State Council's yearly notices (pure data, no I/O).
Years it does not cover yet simply have no holidays: weekdays work, weekends rest, until the
library is upgraded; `covered_years` says which years are known.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar


def china_holidays() -> frozenset[date]:
    """Every public holiday date the library knows (including bridges it declares)."""
    return frozenset(chinese_calendar.holidays)


def china_adjusted_workdays() -> frozenset[date]:
    """Weekend days worked in exchange for a holiday bridge (调休上班)."""
    return frozenset(chinese_calendar.workdays)


def covered_years() -> range:
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)
