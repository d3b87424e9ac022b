"""What every fact-table projection shares: row loading, upserts, inserts, the time zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from kefu.projections.batch import BatchProjection
from kefu.projections.reports.buckets import moment_labels
from kefu.projections.sql import SqlView, Tx, db_time, from_db_time

Row = dict[str, Any]

# Bucket columns of a fact happening at an instant (see buckets.moment_labels).
BUCKET_DDL = "b_day TEXT NOT NULL, b_week TEXT NOT NULL, b_month TEXT NOT NULL, b_hour INTEGER"
# The same, for a row whose bucketing fact has not happened yet.
LATER_BUCKET_DDL = "b_day TEXT, b_week TEXT, b_month TEXT, b_hour INTEGER"
NO_BUCKETS: dict[str, object] = {"b_day": None, "b_week": None, "b_month": None, "b_hour": None}


def upsert_sql(table: str, columns: Sequence[str], key: Sequence[str] = ("id",)) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def insert_sql(table: str, columns: Sequence[str]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )


def load_rows(tx: Tx, table: str, ids: Iterable[Any], key: str = "id") -> dict[Any, Row]:
    """The rows of `table` whose `key` is one of `ids`, by key."""
    found: dict[Any, Row] = {}
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    for start in range(0, len(wanted), 500):
        chunk = {f"i{n}": i for n, i in enumerate(wanted[start : start + 500])}
        marks = ", ".join(":" + k for k in chunk)
        tx.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})", chunk)
        found.update((row[key], dict(row)) for row in tx.fetchall())
    return found


def seconds_between(start: str | None, end: datetime) -> float | None:
    """Seconds from a stored time to `end` (None when there is no start)."""
    began = from_db_time(start)
    return None if began is None else (end - began).total_seconds()


TView = TypeVar("TView", bound=SqlView)


class FactProjection(BatchProjection[TView]):
    """A projection writing fact rows whose buckets are in the business time zone `zone`."""

    def __init__(self, view: TView, zone: tzinfo) -> None:
        super().__init__(view)
        self.zone = zone

    def fact(self, position: int, moment: datetime, **values: object) -> Row:
        """A fact row: its log position, its time, its buckets and `values`."""
        return {
            "position": position,
            "occurred_at": db_time(moment),
            **self.buckets(moment),
            **values,
        }

    def buckets(self, moment: datetime) -> dict[str, object]:
        return moment_labels(moment, self.zone)


def as_rows(mapping: Mapping[Any, Row]) -> list[Row]:
    return list(mapping.values())
