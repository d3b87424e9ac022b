"""Schema creation: once per schema version, by a role allowed to, safe with several processes.

Every PostgreSQL recorder (the log, the snapshots, each view) runs its `CREATE ... IF NOT EXISTS`
statements through `create_tables_serially`. A digest of those statements is recorded in
`kefu_schema` once they have run, so a process whose statements are recorded there runs no DDL
at all: it starts as a role without CREATE or ownership (`kefu_api`), or on a read-only standby.
A schema that is not recorded is created there and then when the role may (the owner, `kefu db
migrate`), else start-up fails with `SchemaNotCurrent`, naming the command to run.

PostgreSQL's `CREATE ... IF NOT EXISTS` is not safe against concurrent creators (duplicate
pg_type rows), so a session-level advisory lock serialises the creators across processes. It is
held on a connection of its own, outside the pool: `create()` takes pooled connections, and a
pool of one would otherwise wait for ever for the connection that holds the lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresRecorder
from psycopg import sql

SCHEMA_LOCK_KEY = 0x6B656675  # "kefu"
SCHEMA_TABLE = "kefu_schema"
# insufficient_privilege, read_only_sql_transaction: a role or a server that may not change it
REFUSED = {"42501", "25006"}


_MIGRATING: ContextVar[bool] = ContextVar("kefu_migrating", default=False)


@contextmanager
def migrating() -> Iterator[None]:
    """Within the block, every recorder opened runs its statements, recorded or not (`kefu db
    migrate`: also re-creates what was dropped by hand since, as IF NOT EXISTS allows)."""
    token = _MIGRATING.set(True)
    try:
        yield
    finally:
        _MIGRATING.reset(token)


class SchemaNotCurrent(RuntimeError):
    """The schema this kefu needs is not there, and this connection may not create it."""


def schema_digest(recorder: PostgresRecorder) -> str:
    """A digest of the statements that make `recorder`'s tables (its schema version)."""
    text = "\n".join(statement.as_string() for statement in recorder.sql_create_statements)
    return hashlib.sha256(text.encode()).hexdigest()


def create_tables_serially(recorder: PostgresRecorder, create: Callable[[], None]) -> None:
    """Runs `create()` unless `recorder`'s schema is recorded as made, holding kefu's schema
    lock (on a connection of its own), and records it."""
    digest = schema_digest(recorder)
    table = sql.Identifier(recorder.datastore.schema or "public", SCHEMA_TABLE)
    with psycopg.connect(
        autocommit=True, connect_timeout=30, **connection_settings(recorder.datastore)
    ) as conn:
        forced = _MIGRATING.get()
        if not forced and _recorded(conn, table, digest):
            return  # no DDL, no lock: the usual start-up
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            if forced or not _recorded(conn, table, digest):
                _create_and_record(conn, table, digest, create)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def connection_settings(datastore: Any) -> dict[str, Any]:
    """The pool's connection settings, for a connection of our own."""
    kwargs = datastore.pool.kwargs
    settings = dict((kwargs() if callable(kwargs) else kwargs) or {})
    settings.pop("row_factory", None)
    return settings


def _recorded(conn: psycopg.Connection[Any], table: sql.Identifier, digest: str) -> bool:
    query = sql.SQL("SELECT 1 FROM {} WHERE digest = %s").format(table)
    try:
        return conn.execute(query, (digest,)).fetchone() is not None
    except (psycopg.errors.UndefinedTable, psycopg.errors.InsufficientPrivilege):
        return False  # a database kefu has not migrated yet


def _create_and_record(
    conn: psycopg.Connection[Any], table: sql.Identifier, digest: str, create: Callable[[], None]
) -> None:
    try:
        create()
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (digest text PRIMARY KEY, "
                "migrated_at timestamptz NOT NULL DEFAULT now())"
            ).format(table)
        )
        conn.execute(
            sql.SQL("INSERT INTO {} (digest) VALUES (%s) ON CONFLICT DO NOTHING").format(table),
            (digest,),
        )
    except Exception as error:
        if _sqlstate(error) not in REFUSED:
            raise
        raise SchemaNotCurrent(
            "the database schema is not the one this version of kefu needs, and role "
            f"{conn.info.user!r} may "
            "not change it: run `kefu db migrate` as the schema's owner (kefu_owner) first"
        ) from None


def _sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of `error` or of the psycopg error it wraps (eventsourcing re-raises)."""
    while error is not None:
        state = getattr(error, "sqlstate", None)
        if state:
            return str(state)
        error = error.__cause__ or error.__context__
    return None
