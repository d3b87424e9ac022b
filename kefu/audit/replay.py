"""`kefu audit replay`: rebuild every read model from the events, compare with the live ones.

The rebuild goes into a scratch SQLite database, whatever the live backend, so the live views
are never touched; each projection is replayed exactly up to the live view's own position, and
then every table it owns is compared row by row (values normalised to text), by the columns
both hold: a backend's own columns (a search index's PostgreSQL `tsvector`, its SQLite FTS5 row
number) are the engine's, derived from the others.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from kefu.application import ServiceDesk
from kefu.projections.batch import BatchProjection
from kefu.projections.progress import Progress, counting
from kefu.projections.read_models import ReadModels
from kefu.projections.runner import ProjectionRunner

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)


@dataclass
class Difference:
    projection: str
    table: str
    key: str
    live: Any
    replayed: Any

    def __str__(self) -> str:
        return (
            f"{self.projection}.{self.table} row {self.key}: "
            f"live {self.live!r} ≠ replayed {self.replayed!r}"
        )


@dataclass
class Replay:
    """Per projection: the position compared at, and every difference found."""

    positions: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def replay(app: ServiceDesk, live: ReadModels, progress: Progress) -> Replay:
    result = Replay()
    with tempfile.TemporaryDirectory(prefix="kefu-replay-") as scratch_dir:
        scratch_url = f"sqlite:///{Path(scratch_dir) / 'replay.sqlite3'}"
        scratch = ReadModels(scratch_url, live.reports.timezone)
        try:
            runner = ProjectionRunner(app, scratch.projections, batch_size=2000)
            for fresh in scratch.projections:
                actual = live.projection(fresh.name)
                position = actual.view.max_tracking_id(actual.name) or 0
                result.positions[fresh.name] = position
                _replay_to(runner, fresh, position, progress)
                result.differences.extend(_compare(fresh.name, actual, fresh))
        finally:
            scratch.close()
    return result


def _replay_to(
    runner: ProjectionRunner, projection: BatchProjection[Any], position: int, progress: Progress
) -> None:
    done = 0
    with counting(progress, projection.name, position, "ev") as advance:
        while position and (read := runner.step(projection, until=position)):
            done += read
            advance(read)
    progress(f"{projection.name}: {done} events replayed (to position {position})")


def tables_of(projection: BatchProjection[Any]) -> list[str]:
    statements = projection.view.create_statements()
    return [m.group(1) for s in statements if (m := _TABLE.search(s))]


def _compare(
    name: str, live: BatchProjection[Any], fresh: BatchProjection[Any]
) -> Iterator[Difference]:
    """Rows compared as multisets by the columns both sides hold; the differing rows are
    paired by their first column for the report."""
    for table in tables_of(live):
        live_rows, fresh_rows = _rows(live, table), _rows(fresh, table)
        columns = _shared_columns(live_rows, fresh_rows)
        live_only, fresh_only = _only(live_rows, fresh_rows, columns)
        for key in sorted(set(live_only) | set(fresh_only)):
            pairs = zip_longest(live_only.get(key, []), fresh_only.get(key, []))
            for before, after in pairs:
                yield Difference(name, table, key, before, after)


Row = tuple[str | None, ...]


def _rows(projection: BatchProjection[Any], table: str) -> list[dict[str, Any]]:
    return [dict(row) for row in projection.view.query(f"SELECT * FROM {table}")]


def _shared_columns(live: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> list[str]:
    """The columns of the table on both sides (all of one side's when the other has no row)."""
    if not live or not fresh:
        return list((live or fresh or [{}])[0])
    return [column for column in live[0] if column in fresh[0]]


def _only(
    live: list[dict[str, Any]], fresh: list[dict[str, Any]], columns: list[str]
) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
    """The rows each side has and the other has not, as multisets (whole rows, so composite
    keys count), grouped by their first column."""
    live_rows = Counter(tuple(_text(row[c]) for c in columns) for row in live)
    fresh_rows = Counter(tuple(_text(row[c]) for c in columns) for row in fresh)
    return _by_first_column(live_rows - fresh_rows), _by_first_column(fresh_rows - live_rows)


def _by_first_column(rows: Counter[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in sorted(rows.elements(), key=lambda r: tuple(v or "" for v in r)):
        grouped.setdefault(str(row[0]), []).append(row)
    return grouped


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)
