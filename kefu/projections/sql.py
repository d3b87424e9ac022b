"""Portable SQL for views: one statement text for both backends, and one small adapter each.

Statements use `:name` parameters (SQLite's style); for PostgreSQL they are rewritten once
to psycopg's `%(name)s`. Times are stored as fixed-width UTC text, which sorts correctly and
compares the same way on both backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from kefu.store.schema import create_tables_serially
from kefu.store.times import db_time, from_db_time

__all__ = ["SqlView", "Tx", "db_time", "from_db_time", "view_class_for"]

Row = Mapping[str, Any]
Params = Mapping[str, Any]

_NAMED_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


@lru_cache(maxsize=512)
def to_psycopg(statement: str) -> str:
    """`:name` → `%(name)s`, and a literal `%` doubled."""
    return _NAMED_PARAM.sub(r"%(\1)s", statement.replace("%", "%%"))


class Tx:
    """One transaction on a view's tables, whatever the backend."""

    def __init__(self, view: SqlView, cursor: Any) -> None:
        self._view = view
        self._cursor = cursor

    def execute(self, statement: str, params: Params | None = None) -> None:
        self._cursor.execute(self._view.dialect(statement), params or {})

    def executemany(self, statement: str, rows: Sequence[Params]) -> None:
        if rows:
            self._cursor.executemany(self._view.dialect(statement), rows)

    def fetchall(self) -> list[Row]:
        return [dict(row) for row in self._cursor.fetchall()]

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def track(self, tracking: Tracking) -> None:
        """Records the position in this same transaction: exactly once across crashes."""
        self._view.insert_tracking_in(self._cursor, tracking)


class SqlView(TrackingRecorder):
    """Mixin for a view: its DDL, its transactions, and the backend it runs on.

    Concrete classes are made per backend by `view_class_for`, so that eventsourcing's
    factory builds them like any other tracking recorder.
    """

    ddl: tuple[str, ...] = ()
    is_postgres: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self, PostgresTrackingRecorder):
            statements: list[Any] = self.sql_create_statements
            statements.extend(SQL(cast(Any, s)) for s in self.create_statements())

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()  # type: ignore[misc]
        return [*statements, *self.create_statements()]

    def create_table(self) -> None:
        parent: Any = super()
        if isinstance(self, PostgresTrackingRecorder):
            create_tables_serially(self.datastore, parent.create_table)
        else:
            parent.create_table()

    def create_statements(self) -> tuple[str, ...]:
        """The view's CREATE TABLE/INDEX statements (IF NOT EXISTS: run at every start)."""
        return self.ddl

    def insert_tracking_in(self, cursor: Any, tracking: Tracking) -> None:
        # Both backends' tracking recorders take (cursor, tracking) here.
        insert: Any = getattr(self, "_insert_tracking")  # noqa: B009
        insert(cursor, tracking)

    def dialect(self, statement: str) -> str:
        return to_psycopg(statement) if self.is_postgres else statement

    @contextmanager
    def write(self) -> Iterator[Tx]:
        datastore: Any = getattr(self, "datastore")  # noqa: B009
        if self.is_postgres:
            with datastore.transaction(commit=True) as cursor:
                yield Tx(self, cursor)
            return
        # SQLite: take the write lock up front. A deferred transaction that reads first and
        # writes later fails with "database is locked" when another writer commits between.
        with datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self, cursor)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        datastore: Any = getattr(self, "datastore")  # noqa: B009
        with datastore.transaction(commit=False) as cursor:
            yield Tx(self, cursor)

    def query(self, statement: str, params: Params | None = None) -> list[Row]:
        with self.read() as tx:
            tx.execute(statement, params)
            return tx.fetchall()


def view_class_for(view: type[SqlView], postgres: bool) -> type[TrackingRecorder]:
    """The concrete TrackingRecorder subclass of `view` for one backend."""
    base: type[TrackingRecorder] = PostgresTrackingRecorder if postgres else SQLiteTrackingRecorder
    name = f"{view.__name__}{'Postgres' if postgres else 'SQLite'}"
    return cast(
        type[TrackingRecorder],
        type(name, (view, base), {"is_postgres": postgres, "__module__": view.__module__}),
    )
