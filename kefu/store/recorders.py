"""Recorders that also write idempotency records (and tracking) in the events' transaction.

A command's events and its idempotency record commit together or not at all, on both
backends, so a crash can never leave events without the key (a retry would duplicate them)
or a key without its events (a retry would return an answer for nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from kefu.store.idempotency import IdempotencyRecord, StoredAnswer
from kefu.store.schema import create_tables_serially

IDEMPOTENCY_KWARG = "idempotency"

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


class KefuSQLiteRecorder(SQLiteProcessRecorder):
    """SQLite recorder with idempotency records (and tracking, for process policies)."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.create_table_statements.append(_SQLITE_DDL)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get(IDEMPOTENCY_KWARG)
        if record is not None:
            c.execute(
                "INSERT INTO idempotency_keys VALUES (?,?,?,?,?,?,?)",
                (
                    record.scope,
                    record.key,
                    record.fingerprint,
                    record.status_code,
                    record.body,
                    record.originator_id.hex,
                    record.originator_version,
                ),
            )
        return positions

    def find_answer(self, scope: str, key: str) -> StoredAnswer | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT k.fingerprint, k.status_code, k.body, e.rowid AS position "
                f"FROM idempotency_keys k JOIN {self.events_table_name} e "
                "ON e.originator_id = k.originator_id "
                "AND e.originator_version = k.originator_version "
                "WHERE k.scope = ? AND k.key = ?",
                (scope, key),
            )
            row = c.fetchone()
        if row is None:
            return None
        return StoredAnswer(row[0], row[1], bytes(row[2]), row[3])


class KefuPostgresRecorder(PostgresProcessRecorder):
    """PostgreSQL recorder with idempotency records (and tracking, for process policies)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=f"{events_table_name}_processed",
        )
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys ("
                "scope text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, "
                "status_code integer NOT NULL, body bytea NOT NULL, "
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "PRIMARY KEY (scope, key))"
            ).format(schema=schema)
        )
        self._insert_key = SQL(
            "INSERT INTO {schema}.idempotency_keys VALUES (%s,%s,%s,%s,%s,%s,%s)"
        ).format(schema=schema)
        self._select_answer = SQL(
            "SELECT k.fingerprint, k.status_code, k.body, e.notification_id AS position "
            "FROM {schema}.idempotency_keys k JOIN {schema}.{table} e "
            "ON e.originator_id = k.originator_id "
            "AND e.originator_version = k.originator_version "
            "WHERE k.scope = %s AND k.key = %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))

    def create_table(self) -> None:
        create_tables_serially(self.datastore, super().create_table)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get(IDEMPOTENCY_KWARG)
        if record is not None:
            curs.execute(
                self._insert_key,
                (
                    record.scope,
                    record.key,
                    record.fingerprint,
                    record.status_code,
                    record.body,
                    record.originator_id,
                    record.originator_version,
                ),
                prepare=True,
            )

    def find_answer(self, scope: str, key: str) -> StoredAnswer | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_answer, (scope, key), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return StoredAnswer(
            row["fingerprint"], row["status_code"], bytes(row["body"]), row["position"]
        )
