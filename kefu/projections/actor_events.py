"""What one person or service did, across all aggregates: a row per event, by actor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking

from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.sql import SqlView, db_time

_INSERT = (
    "INSERT INTO actor_events (position, actor_id, actor_role, stream_id, version, event_type, "
    "occurred_at, command_id, correlation_id, detail) VALUES (:position, :actor_id, "
    ":actor_role, :stream_id, :version, :event_type, :occurred_at, :command_id, "
    ":correlation_id, :detail)"
)


@dataclass(frozen=True)
class Window:
    """A page of rows in a time range: after a position (the cursor), at most `limit`."""

    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    after: int = 0


class ActorEventsView(SqlView):
    """Rows of (actor, time, stream, event); auditors' reads are rows of type Recorded."""

    ddl = (
        "CREATE TABLE IF NOT EXISTS actor_events (position BIGINT PRIMARY KEY, "
        "actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, stream_id TEXT NOT NULL, "
        "version INTEGER NOT NULL, event_type TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "command_id TEXT NOT NULL, correlation_id TEXT NOT NULL, detail TEXT)",
        "CREATE INDEX IF NOT EXISTS actor_events_actor ON actor_events (actor_id, position)",
        "CREATE INDEX IF NOT EXISTS actor_events_type ON actor_events (event_type, position)",
    )

    def by_actor(self, actor_id: str, window: Window) -> list[dict[str, Any]]:
        return self._select("actor_id = :key", actor_id, window)

    def reads(self, actor_id: str | None, window: Window) -> list[dict[str, Any]]:
        """Auditors' reads (AuditAccess events), optionally of one reader."""
        where = "event_type = 'AuditAccess.Recorded'"
        if actor_id is not None:
            where += " AND actor_id = :key"
        return self._select(where, actor_id, window)

    def _select(self, where: str, key: str | None, window: Window) -> list[dict[str, Any]]:
        params: dict[str, object] = {"key": key, "after": window.after, "limit": window.limit}
        where += " AND position > :after"
        if window.since is not None:
            where += " AND occurred_at >= :since"
            params["since"] = db_time(window.since)
        if window.until is not None:
            where += " AND occurred_at < :until"
            params["until"] = db_time(window.until)
        return [
            dict(row)
            for row in self.query(
                f"SELECT * FROM actor_events WHERE {where} ORDER BY position LIMIT :limit", params
            )
        ]


class ActorEventsProjection(BatchProjection[ActorEventsView]):
    """Indexes every event by the actor in its metadata."""

    name = "actor_events"
    reads_every_event = True

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        rows = [_row(p) for p in events if getattr(p.event, "meta", None) is not None]
        with self.view.write() as tx:
            tx.executemany_values(_INSERT, rows)  # a row per event: tuples, no mapping each
            tx.track(tracking)


def _row(p: Positioned) -> tuple[object, ...]:
    """The values of `_INSERT`, in its order."""
    event, meta = p.event, p.event.meta
    return (
        p.position,
        meta.actor_id,
        meta.actor_role,
        str(event.originator_id),
        event.originator_version,
        type(event).__qualname__,
        db_time(event.timestamp),
        str(meta.command_id),
        str(meta.correlation_id),
        getattr(event, "request", None),
    )
