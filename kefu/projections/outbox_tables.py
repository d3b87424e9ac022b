"""The outbox's own tables: the subscriptions as the follower last saw them, and one
delivery row per (subscription, event) with its state.

The follower writes targets and new deliveries in one transaction with its position; the
delivery worker only updates the state of existing rows. So the worker can be slow, dead or
restarted without the follower (or any projection) waiting for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, cast

import msgspec

from kefu.projections.erasure import chunks
from kefu.projections.message_tables import MESSAGE_DDL, MessageQueries
from kefu.projections.sql import OwnTables, SqlView, Tx, db_time

OUTBOX_NAME = "outbox"
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


class Target(msgspec.Struct, kw_only=True):
    """A subscription as the follower knows it at its position in the log."""

    subscription_id: str
    url: str
    event_kinds: list[str]
    aggregate_kinds: list[str]
    status: str
    secret_version: int

    def wants(self, kind: str, aggregate_kind: str) -> bool:
        return kind in self.event_kinds or aggregate_kind in self.aggregate_kinds


class Due(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery to attempt now, with what the sender needs."""

    subscription_id: str
    position: int
    event_id: str
    url: str
    secret_version: int
    attempts: int
    body: str


class DueKey(Protocol):
    """What identifies a delivery row (a `Due` is one)."""

    @property
    def subscription_id(self) -> str: ...
    @property
    def position(self) -> int: ...


class AttemptResult(Protocol):
    """What the worker reports of one attempt (kefu/processes/outbox_ports.py's `Attempt`)."""

    @property
    def ok(self) -> bool: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def at(self) -> datetime: ...
    @property
    def next_attempt_at(self) -> datetime | None: ...


_TARGET_COLUMNS = "subscription_id, url, event_kinds, aggregate_kinds, status, secret_version"
_HEAD_OF_AGGREGATE = (
    "NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id"
    " AND e.aggregate_id = d.aggregate_id AND e.status = 'pending' AND e.position < d.position)"
)


class OutboxTables(SqlView):
    """The outbox's tables, on the same database as the event store."""

    ddl = (
        "CREATE TABLE IF NOT EXISTS webhook_targets (subscription_id TEXT PRIMARY KEY, "
        "url TEXT NOT NULL, event_kinds TEXT NOT NULL, aggregate_kinds TEXT NOT NULL, "
        "status TEXT NOT NULL, secret_version INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS webhook_deliveries (subscription_id TEXT NOT NULL, "
        "position BIGINT NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "aggregate_id TEXT NOT NULL, aggregate_version INTEGER NOT NULL, body TEXT NOT NULL, "
        "status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, "
        "queued_at TEXT NOT NULL, last_attempt_at TEXT, last_status_code INTEGER, "
        "last_error TEXT, latency_ms DOUBLE PRECISION, PRIMARY KEY (subscription_id, position))",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_due "
        "ON webhook_deliveries (status, subscription_id, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_aggregate "
        "ON webhook_deliveries (subscription_id, aggregate_id, status, position)",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_event "
        "ON webhook_deliveries (subscription_id, event_id)",
        *MESSAGE_DDL,
    )

    # The follower's side: in its transaction.

    def targets(self, tx: Tx) -> dict[str, Target]:
        tx.execute(f"SELECT {_TARGET_COLUMNS} FROM webhook_targets")
        return {row["subscription_id"]: _target(row) for row in tx.fetchall()}

    def save_target(self, tx: Tx, target: Target) -> None:
        row = msgspec.to_builtins(target)
        row["event_kinds"] = msgspec.json.encode(target.event_kinds).decode()
        row["aggregate_kinds"] = msgspec.json.encode(target.aggregate_kinds).decode()
        names = _TARGET_COLUMNS.split(", ")
        tx.execute(
            f"INSERT INTO webhook_targets ({_TARGET_COLUMNS}) "
            f"VALUES ({', '.join(':' + n for n in names)}) ON CONFLICT (subscription_id) "
            f"DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in names[1:])}",
            row,
        )

    def queue(self, tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
        """New deliveries; a row already queued (same subscription and position) stays."""
        tx.executemany(
            "INSERT INTO webhook_deliveries (subscription_id, position, event_id, kind, "
            "aggregate_id, aggregate_version, body, status, attempts, next_attempt_at, "
            "queued_at) VALUES (:subscription_id, :position, :event_id, :kind, :aggregate_id, "
            ":aggregate_version, :body, 'pending', 0, :queued_at, :queued_at) "
            "ON CONFLICT (subscription_id, position) DO NOTHING",
            rows,
        )

    def requeue(
        self, tx: Tx, subscription_id: str, event_ids: Sequence[str], before: int, at: datetime
    ) -> None:
        """Sends again the named events (or every dead one) queued before position `before`."""
        which = "status = 'dead'"
        params: dict[str, object] = {"s": subscription_id, "before": before, "at": db_time(at)}
        if event_ids:
            params.update({f"e{n}": e for n, e in enumerate(event_ids)})
            which = f"event_id IN ({', '.join(f':e{n}' for n in range(len(event_ids)))})"
        tx.execute(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, "
            f"next_attempt_at = :at WHERE subscription_id = :s AND position < :before AND {which}",
            params,
        )

    def deliveries_of(self, tx: Tx, aggregate_ids: Sequence[str]) -> list[tuple[str, int, int]]:
        """(aggregate id, version, position) of every event of these records with a delivery."""
        found: list[tuple[str, int, int]] = []
        for params in chunks(aggregate_ids):
            tx.execute(
                "SELECT DISTINCT aggregate_id, aggregate_version, position FROM webhook_deliveries "
                f"WHERE aggregate_id IN ({', '.join(':' + k for k in params)})",
                params,
            )
            found += [
                (r["aggregate_id"], r["aggregate_version"], r["position"]) for r in tx.fetchall()
            ]
        return found

    def rewrite_body(self, tx: Tx, position: int, body: str) -> None:
        """Every subscription's delivery of the event at `position` carries `body` now."""
        tx.execute(
            "UPDATE webhook_deliveries SET body = :body WHERE position = :position",
            {"body": body, "position": position},
        )

    # The worker's side.

    def subscriptions_with_due(self, now: datetime) -> list[str]:
        rows = self.query(
            "SELECT DISTINCT d.subscription_id FROM webhook_deliveries d JOIN webhook_targets t "
            "ON t.subscription_id = d.subscription_id WHERE d.status = 'pending' "
            "AND t.status = 'active' AND d.next_attempt_at <= :now",
            {"now": db_time(now)},
        )
        return sorted(row["subscription_id"] for row in rows)

    def due(self, subscription_id: str, now: datetime, limit: int) -> list[Due]:
        """The subscription's deliveries due now, each the oldest pending of its aggregate."""
        rows = self.query(
            "SELECT d.subscription_id, d.position, d.event_id, t.url, t.secret_version, "
            "d.attempts, d.body FROM webhook_deliveries d JOIN webhook_targets t "
            "ON t.subscription_id = d.subscription_id WHERE d.subscription_id = :s "
            "AND d.status = 'pending' AND t.status = 'active' AND d.next_attempt_at <= :now "
            f"AND {_HEAD_OF_AGGREGATE} ORDER BY d.position LIMIT :limit",
            {"s": subscription_id, "now": db_time(now), "limit": limit},
        )
        return [msgspec.convert(row, Due) for row in rows]

    def record_attempt(self, due: DueKey, attempt: AttemptResult) -> None:
        status = DELIVERED if attempt.ok else (DEAD if attempt.next_attempt_at is None else PENDING)
        with self.write() as tx:
            tx.execute(
                "UPDATE webhook_deliveries SET status = :status, attempts = attempts + 1, "
                "next_attempt_at = :next, last_attempt_at = :at, last_status_code = :code, "
                "last_error = :error, latency_ms = :latency WHERE subscription_id = :s "
                "AND position = :p AND status = 'pending'",
                {
                    "status": status,
                    "next": db_time(attempt.next_attempt_at or attempt.at),
                    "at": db_time(attempt.at),
                    "code": attempt.status_code,
                    "error": attempt.error,
                    "latency": attempt.latency_ms,
                    "s": due.subscription_id,
                    "p": due.position,
                },
            )

    # The readers' side.

    def deliveries(
        self, subscription_id: str, status: str | None, after: int, limit: int
    ) -> list[Mapping[str, Any]]:
        """The delivery log of one subscription in log order, from position `after` on."""
        which = "" if status is None else "AND status = :status "
        return self.query(
            "SELECT position, event_id, kind, aggregate_id, aggregate_version, status, attempts, "
            "queued_at, last_attempt_at, next_attempt_at, last_status_code, last_error, "
            f"latency_ms FROM webhook_deliveries WHERE subscription_id = :s {which}"
            "AND position > :after ORDER BY position LIMIT :limit",
            {"s": subscription_id, "status": status, "after": after, "limit": limit},
        )

    def counts(self) -> dict[str, dict[str, int]]:
        """subscription → status → deliveries."""
        rows = self.query(
            "SELECT subscription_id, status, COUNT(*) AS n FROM webhook_deliveries "
            "GROUP BY subscription_id, status"
        )
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row["subscription_id"], {})[row["status"]] = int(row["n"])
        return counts


def _target(row: Mapping[str, Any]) -> Target:
    values = dict(row)
    values["event_kinds"] = msgspec.json.decode(row["event_kinds"])
    values["aggregate_kinds"] = msgspec.json.decode(row["aggregate_kinds"])
    return msgspec.convert(values, Target)


class OutboxStore(OwnTables[OutboxTables]):
    """Opens the outbox's tables for one database (created at first use)."""

    def __init__(self, database_url: str) -> None:
        # cast: the view is abstract until `OwnTables` makes it concrete for its backend
        super().__init__(database_url, "kefu_outbox", cast(Any, OutboxTables))
        self.messages = MessageQueries(self.tables)

    def position(self) -> int:
        return self.tables.max_tracking_id(OUTBOX_NAME) or 0
