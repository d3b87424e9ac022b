"""What every report query shares: the request, the result, and the arithmetic of its cells."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import msgspec

from kefu.projections.reports.buckets import PERIOD_COLUMNS, Bucket, Period, buckets
from kefu.projections.sql import db_time

Key = tuple[str, Any]  # (period label, group value)


@dataclass(frozen=True)
class ReportQuery:
    """A report request: the range [start, end), the period, one grouping (or none)."""

    start: datetime
    end: datetime
    period: Period
    group_by: str | None
    zone: tzinfo
    now: datetime
    service_level_seconds: int = 20

    @property
    def period_column(self) -> str:
        return PERIOD_COLUMNS[self.period]

    def buckets(self) -> list[Bucket]:
        return buckets(self.start, self.end, self.period, self.zone)

    def window(self) -> dict[str, object]:
        return {"start": db_time(self.start), "end": db_time(self.end)}


class Report(msgspec.Struct, frozen=True):
    """A report's columns, in order, and its rows (one per period and group)."""

    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def grouped(expressions: Mapping[str, str], group_by: str | None) -> tuple[str, str]:
    """The SELECT expression of the group and the GROUP BY suffix for it."""
    if group_by is None:
        return "NULL", ""
    return expressions[group_by], ", " + expressions[group_by]


class Cells:
    """Metric values by (period, group), zero until added to."""

    def __init__(self, q: ReportQuery, metrics: Sequence[str]) -> None:
        self.q = q
        self.metrics = tuple(metrics)
        self.cells: dict[Key, dict[str, Any]] = {}
        self.samples: dict[tuple[Key, str], list[float]] = {}
        if q.group_by is None:
            for bucket in q.buckets():
                self.cell((bucket.label, None))

    def cell(self, key: Key) -> dict[str, Any]:
        if key not in self.cells:
            self.cells[key] = dict.fromkeys(self.metrics, 0)
        return self.cells[key]

    def add(self, key: Key, metric: str, amount: float = 1) -> None:
        cell = self.cell(key)
        cell[metric] += amount

    def sample(self, key: Key, name: str, value: float) -> None:
        self.cell(key)
        self.samples.setdefault((key, name), []).append(value)

    def values(self, key: Key, name: str) -> list[float]:
        return self.samples.get((key, name), [])

    def report(self, columns: Sequence[str], derive: Derive | None = None) -> Report:
        """Rows in period then group order: `columns` of each cell, computed by `derive`."""
        head = ("period",) if self.q.group_by is None else ("period", self.q.group_by)
        rows = []
        for key in sorted(self.cells, key=_order):
            cell = dict(self.cells[key])
            if derive is not None:
                cell.update(derive(key, cell))
            row: dict[str, Any] = {"period": key[0]}
            if self.q.group_by is not None:
                row[self.q.group_by] = key[1]
            rows.append(row | {c: cell[c] for c in columns})
        return Report((*head, *columns), rows)


Derive = Callable[[Key, dict[str, Any]], Mapping[str, Any]]


def _order(key: Key) -> tuple[str, int, int, str]:
    """Periods in order; within one, the empty group first, then hours or names in order."""
    group = key[1]
    if group is None:
        return key[0], 0, 0, ""
    return key[0], 1, group if isinstance(group, int) else 0, str(group)


def pct(part: float, whole: float) -> float | None:
    """part ÷ whole as a percentage with one decimal; None when nothing was counted."""
    return round(100 * part / whole, 1) if whole else None


def mean(total: float, count: float, digits: int = 1) -> float | None:
    return round(total / count, digits) if count else None


def p90(values: Iterable[float]) -> float | None:
    """The 90th percentile by the nearest-rank method: the ⌈0.9·n⌉-th smallest value."""
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)
