"""Recorders that also write idempotency records (and tracking) in the events' transaction.

A command's events and its idempotency record commit together or not at all, on both
backends, so a crash can never leave events without the key (a retry would duplicate them)
or a key without its events (a retry would return an answer for nothing). Writes go through
the group commit (kefu/store/batching.py): the writes of one process that arrive together
share one transaction, each keeping its own outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresProcessRecorder,
)
from eventsourcing.sqlite import SQLiteDatastore, SQLiteProcessRecorder
from psycopg.sql import SQL, Identifier

from kefu.store.batching import IDEMPOTENCY_KWARG
from kefu.store.chain import GENESIS, ChainLink
from kefu.store.chain_keys import ChainKeying, Keyring, KeySegment, plan_segment
from kefu.store.idempotency import StoredAnswer
from kefu.store.key_store import key_tables_ddl
from kefu.store.postgres_batch import PostgresBatchCommit
from kefu.store.schema import create_tables_serially
from kefu.store.single_attempt import SingleAttempt
from kefu.store.sqlite_batch import SQLiteBatchCommit

__all__ = [
    "IDEMPOTENCY_KWARG",
    "AnswerStore",
    "ChainQueries",
    "KefuPostgresRecorder",
    "KefuSQLiteRecorder",
]

_SQLITE_CHAIN_DDL = (
    "CREATE TABLE IF NOT EXISTS event_chain ("
    "position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
    "originator_version INTEGER NOT NULL, stream_hash BLOB NOT NULL, log_hash BLOB NOT NULL, "
    "occurred_at TEXT, UNIQUE (originator_id, originator_version))",
    "CREATE INDEX IF NOT EXISTS event_chain_stream_time "
    "ON event_chain (originator_id, occurred_at)",
    "CREATE INDEX IF NOT EXISTS event_chain_time ON event_chain (occurred_at, originator_id)",
    "CREATE TABLE IF NOT EXISTS chain_keys (from_position INTEGER PRIMARY KEY, "
    "key_id TEXT NOT NULL, seal BLOB NOT NULL)",
)

_SQLITE_DDL = (
    "CREATE TABLE IF NOT EXISTS idempotency_keys ("
    "scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
    "status_code INTEGER NOT NULL, body BLOB NOT NULL, "
    "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
    "PRIMARY KEY (scope, key))"
)


class AnswerStore(Protocol):
    """What the command layer needs from a recorder to honour `Idempotency-Key`."""

    def find_answer(self, scope: str, key: str) -> StoredAnswer | None: ...


class ChainQueries:
    """Reads of the chain tables, the same SQL on both backends (`?` placeholders), and the
    key markers, written under the writers' lock."""

    keyring: Keyring = Keyring()

    def use_keyring(self, keyring: Keyring) -> None:
        """The keys this process links with and verifies with (set before the first write)."""
        self.keyring = keyring

    def segments(self) -> list[KeySegment]:
        """The key markers, in position order."""
        rows = self.fetch("SELECT * FROM chain_keys ORDER BY from_position", ())
        return [KeySegment(r["from_position"], r["key_id"], bytes(r["seal"])) for r in rows]

    def keying(self) -> ChainKeying:
        return ChainKeying(self.segments(), self.keyring)

    def start_segment(self, key_id: str, rotating: bool) -> KeySegment:
        """Records that links after the current head are keyed with `key_id`: the start of a
        keyed chain (`kefu audit migrate-chain`) or a rotation (`kefu audit rotate-key`)."""
        raise NotImplementedError

    def fetch(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def stream_key(self, stream: UUID) -> object:
        raise NotImplementedError

    def select_links(self, after: int, limit: int) -> list[ChainLink]:
        """Chain rows after position `after`, in position order."""
        rows = self.fetch(
            "SELECT * FROM event_chain WHERE position > ? ORDER BY position LIMIT ?",
            (after, limit),
        )
        return [_link(row) for row in rows]

    def first_time_after(self, position: int) -> str | None:
        """When the first event after `position` happened (as stored), by the primary key."""
        rows = self.fetch(
            "SELECT occurred_at FROM event_chain WHERE position > ? ORDER BY position LIMIT 1",
            (position,),
        )
        return rows[0]["occurred_at"] if rows else None

    def stream_links(
        self, stream: UUID, after_version: int = 0, limit: int = 1_000_000_000
    ) -> list[ChainLink]:
        """The chain rows of one stream, in version order: positions and times of its events."""
        rows = self.fetch(
            "SELECT * FROM event_chain WHERE originator_id = ? AND originator_version > ? "
            "ORDER BY originator_version LIMIT ?",
            (self.stream_key(stream), after_version, limit),
        )
        return [_link(row) for row in rows]

    def head(self) -> tuple[int, bytes]:
        """The last chain row's position and log hash (the digest as recorded)."""
        rows = self.fetch(
            "SELECT position, log_hash FROM event_chain ORDER BY position DESC LIMIT 1", ()
        )
        return (rows[0]["position"], bytes(rows[0]["log_hash"])) if rows else (0, GENESIS)

    def streams_active(
        self, since: str, until: str, after: str = "", limit: int = 1000
    ) -> list[str]:
        """Ids (as stored) of streams with an event in [since, until), in id order, paged."""
        rows = self.fetch(
            "SELECT DISTINCT originator_id FROM event_chain WHERE occurred_at >= ? "
            "AND occurred_at < ? AND CAST(originator_id AS TEXT) > ? "
            "ORDER BY originator_id LIMIT ?",
            (since, until, after, limit),
        )
        return [str(row["originator_id"]) for row in rows]

    def version_at(self, stream: UUID, moment: str) -> int | None:
        """The stream's version at a time (fixed-width UTC text), from the write-time index."""
        rows = self.fetch(
            "SELECT MAX(originator_version) AS version FROM event_chain "
            "WHERE originator_id = ? AND occurred_at <= ?",
            (self.stream_key(stream), moment),
        )
        return rows[0]["version"] if rows else None


class KefuSQLiteRecorder(SQLiteBatchCommit, ChainQueries, SQLiteProcessRecorder):
    """SQLite recorder with idempotency records, the hash chain and group commit."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.create_table_statements.append(_SQLITE_DDL)
        self.create_table_statements.extend(_SQLITE_CHAIN_DDL)
        self.create_table_statements.extend(key_tables_ddl("BLOB", "TEXT"))
        self._start_batching()

    def fetch(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [dict(row) for row in c.fetchall()]

    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        """Runs `statement` once per row, in one transaction of its own; rows changed."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("SELECT total_changes()")
            before = c.fetchone()[0]
            c.executemany(statement, rows)
            c.execute("SELECT total_changes()")
            return int(c.fetchone()[0] - before)

    def stream_key(self, stream: UUID) -> object:
        return stream.hex

    def start_segment(self, key_id: str, rotating: bool) -> KeySegment:
        with self.datastore.get_connection(commit=True) as conn:
            c = conn.cursor()
            c.execute("BEGIN IMMEDIATE")  # the writers' lock
            try:
                segment = plan_segment(self.keyring, key_id, rotating, *self._head_and_key(c))
                c.execute(
                    "INSERT INTO chain_keys VALUES (?,?,?)",
                    (segment.from_position, segment.key_id, segment.seal),
                )
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        return segment

    @staticmethod
    def _head_and_key(c: Any) -> tuple[int, bytes, str | None]:
        c.execute(_HEAD_AND_KEY)
        row = c.fetchone()
        return row[0] or 0, bytes(row[1] or GENESIS), row[2]

    def find_answer(self, scope: str, key: str) -> StoredAnswer | None:
        with self.datastore.transaction(commit=False) as c:
            return self._answer_in(c, scope, key)


class KefuPostgresRecorder(
    PostgresBatchCommit, ChainQueries, SingleAttempt, PostgresProcessRecorder
):
    """PostgreSQL recorder with idempotency records, the hash chain and group commit."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=f"{events_table_name}_processed",
        )
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.extend(
            SQL(statement).format(schema=schema) for statement in _POSTGRES_DDL
        )
        self._select_answer = SQL(
            "SELECT k.fingerprint, k.status_code, k.body, e.notification_id AS position "
            "FROM {schema}.idempotency_keys k JOIN {schema}.{table} e "
            "ON e.originator_id = k.originator_id "
            "AND e.originator_version = k.originator_version "
            "WHERE k.scope = %s AND k.key = %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        qualified = _HEAD_AND_KEY.replace(" event_chain", " {schema}.event_chain")
        self._head_and_key = SQL(qualified.replace(" chain_keys", " {schema}.chain_keys")).format(
            schema=schema
        )
        self._insert_marker = SQL("INSERT INTO {schema}.chain_keys VALUES (%s, %s, %s)").format(
            schema=schema
        )
        self._prepare_batch_statements()
        self._start_batching()

    def create_table(self) -> None:
        create_tables_serially(self, super().create_table)

    def fetch(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement.replace("?", "%s"), params, prepare=True)
            return [dict(row) for row in curs.fetchall()]

    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        """Runs `statement` once per row, in one transaction of its own; rows changed."""
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(statement.replace("?", "%s"), rows)
            return int(curs.rowcount)

    def stream_key(self, stream: UUID) -> object:
        return stream

    def start_segment(self, key_id: str, rotating: bool) -> KeySegment:
        with self.datastore.get_connection() as conn:
            for statement in self._begin:  # BEGIN and the writers' lock
                conn.execute(statement)
            try:
                row = conn.execute(self._head_and_key).fetchone()
                assert row is not None
                head = (row["position"] or 0, bytes(row["log_hash"] or GENESIS), row["key_id"])
                segment = plan_segment(self.keyring, key_id, rotating, *head)
                conn.execute(
                    self._insert_marker, (segment.from_position, segment.key_id, segment.seal)
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return segment

    def find_answer(self, scope: str, key: str) -> StoredAnswer | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_answer, (scope, key), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return StoredAnswer(
            row["fingerprint"], row["status_code"], bytes(row["body"]), row["position"]
        )


class KefuSnapshotRecorder(PostgresAggregateRecorder):
    """eventsourcing's snapshot table, created through kefu's schema check like every table."""

    def create_table(self) -> None:
        create_tables_serially(self, super().create_table)


class KefuPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, whose snapshot store is `KefuSnapshotRecorder`."""

    aggregate_recorder_class = KefuSnapshotRecorder


_POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys ("
    "scope text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, "
    "status_code integer NOT NULL, body bytea NOT NULL, "
    "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
    "PRIMARY KEY (scope, key))",
    "CREATE TABLE IF NOT EXISTS {schema}.event_chain ("
    "position bigint PRIMARY KEY, originator_id uuid NOT NULL, "
    "originator_version bigint NOT NULL, stream_hash bytea NOT NULL, "
    "log_hash bytea NOT NULL, occurred_at text, "
    "UNIQUE (originator_id, originator_version))",
    "CREATE INDEX IF NOT EXISTS event_chain_stream_time "
    "ON {schema}.event_chain (originator_id, occurred_at)",
    "CREATE INDEX IF NOT EXISTS event_chain_time "
    "ON {schema}.event_chain (occurred_at, originator_id)",
    *key_tables_ddl("bytea", "uuid", "{schema}."),
    "CREATE TABLE IF NOT EXISTS {schema}.chain_keys (from_position bigint PRIMARY KEY, "
    "key_id text NOT NULL, seal bytea NOT NULL)",
)


_HEAD_AND_KEY = (
    "SELECT (SELECT position FROM event_chain ORDER BY position DESC LIMIT 1) AS position, "
    "(SELECT log_hash FROM event_chain ORDER BY position DESC LIMIT 1) AS log_hash, "
    "(SELECT key_id FROM chain_keys ORDER BY from_position DESC LIMIT 1) AS key_id"
)


def _link(row: Any) -> ChainLink:
    originator_id = row["originator_id"]
    return ChainLink(
        position=row["position"],
        originator_id=originator_id.hex if isinstance(originator_id, UUID) else originator_id,
        originator_version=row["originator_version"],
        stream_hash=bytes(row["stream_hash"]),
        log_hash=bytes(row["log_hash"]),
        occurred_at=row["occurred_at"],
    )
