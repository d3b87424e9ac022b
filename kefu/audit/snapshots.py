"""Snapshots are checked against the events they summarise.

Snapshots live outside the hash chain (they can always be derived), but commands and
state-at-time reads start from them: a snapshot edited in the database would feed forged state
into new decisions. Verification rebuilds each snapshotted record from its events and names
every snapshot that differs, or no longer decodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any
from uuid import UUID

from kefu.application import ServiceDesk
from kefu.audit.verify import Finding, Tamper


def verify_snapshots(app: ServiceDesk) -> list[Finding]:
    return [
        finding
        for stream, versions in _snapshotted(app)
        for finding in _check(app, stream, versions)
    ]


def _snapshotted(app: ServiceDesk) -> Iterator[tuple[UUID, list[int]]]:
    if app.snapshots is None:
        return
    table = app.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    rows = app.chain.fetch(
        f"SELECT originator_id, originator_version FROM {table} "
        "ORDER BY originator_id, originator_version",
        (),
    )
    for stream, group in groupby(rows, key=lambda r: r["originator_id"]):
        yield _uuid(stream), [r["originator_version"] for r in group]


def _check(app: ServiceDesk, stream: UUID, versions: list[int]) -> Iterator[Finding]:
    wanted = set(versions)
    aggregate: Any = None
    for event in app.events.get(stream, lte=max(versions)):
        aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        if aggregate.version in wanted and not _matches(app, stream, aggregate):
            yield Finding(Tamper.SNAPSHOT_ALTERED, stream.hex, aggregate.version, 0)


def _matches(app: ServiceDesk, stream: UUID, replayed: Any) -> bool:
    assert app.snapshots is not None
    version = replayed.version
    try:
        (snapshot,) = app.snapshots.get(stream, gt=version - 1, lte=version)
        rebuilt: Any = snapshot.mutate(None)  # type: ignore[attr-defined]
    except Exception:  # a snapshot that no longer decodes is as altered as one that lies
        return False
    return _state(rebuilt) == _state(replayed)


def _state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
