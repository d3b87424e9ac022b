"""Portable SQL for views: one statement text for both backends, and one small adapter each.

Statements use `:name` parameters (SQLite's style); for PostgreSQL they are rewritten once
to psycopg's `%(name)s`. Times are stored as fixed-width UTC text, which sorts correctly and
compares the same way on both backends.

A view class with a `table_prefix` (made by `rebuild_class_of`) runs the same statements on
tables and indexes of its own: every name its DDL creates is rewritten to `prefix + name`.
So a view must send all its SQL through `Tx` / `query` (never its datastore directly), and
must not name a column or a literal like one of its tables.
"""

from __future__ import annotations

import re
import threading
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, ClassVar, Generic, TypeVar, cast

from eventsourcing.persistence import (
    InfrastructureFactory,
    OperationalError,
    Tracking,
    TrackingRecorder,
    WaitInterruptedError,
)
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL

from kefu.projections.bulk_rows import bulk_insert
from kefu.projections.signals import PROJECTIONS_CHANNEL, PositionPoller, PositionWaiter
from kefu.store.database import Backend, backend_of, eventsourcing_env
from kefu.store.schema import create_tables_serially
from kefu.store.times import db_time, from_db_time

__all__ = [
    "SqlView",
    "Tx",
    "db_time",
    "from_db_time",
    "rebuild_class_of",
    "schema_names",
    "view_class_for",
]

Row = Mapping[str, Any]
Params = Mapping[str, Any]

_NAMED_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")
_CREATED = re.compile(
    r"CREATE\s+((?:VIRTUAL\s+)?TABLE|(?:UNIQUE\s+)?INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)",
    re.IGNORECASE,
)
VIEW_LOCK_CLASS = 0x6B656676  # "kefv": the key space of the per-view write locks


def schema_names(statements: Sequence[str]) -> tuple[list[str], list[str]]:
    """The tables and the indexes that CREATE ... IF NOT EXISTS statements create."""
    tables: list[str] = []
    indexes: list[str] = []
    for statement in statements:
        for kind, name in _CREATED.findall(statement):
            (indexes if kind.upper().endswith("INDEX") else tables).append(name)
    return tables, indexes


@lru_cache(maxsize=512)
def to_psycopg(statement: str) -> str:
    """`:name` → `%(name)s`, and a literal `%` doubled."""
    return _NAMED_PARAM.sub(r"%(\1)s", statement.replace("%", "%%"))


@lru_cache(maxsize=64)
def to_positional(statement: str, postgres: bool) -> str:
    """`:name` → the backend's positional mark (`%s`, or SQLite's `?`), in order of appearance."""
    if postgres:
        return _NAMED_PARAM.sub("%s", statement.replace("%", "%%"))
    return _NAMED_PARAM.sub("?", statement)


class Tx:
    """One transaction on a view's tables, whatever the backend."""

    def __init__(self, view: SqlView, cursor: Any) -> None:
        self._view = view
        self._cursor = cursor

    @property
    def is_postgres(self) -> bool:
        return self._view.is_postgres

    def execute(
        self, statement: str, params: Params | None = None, *, plan_each_time: bool = False
    ) -> None:
        """`plan_each_time`: PostgreSQL plans the statement for these very values, never with
        a prepared statement's generic plan (which cannot see how selective a value is: a
        generic full-text match scans the whole table)."""
        if plan_each_time and self._view.is_postgres:
            self._cursor.execute(self._view.dialect(statement), params or {}, prepare=False)
        else:
            self._cursor.execute(self._view.dialect(statement), params or {})

    def executemany(self, statement: str, rows: Sequence[Params]) -> None:
        if rows and not self._sent_together(statement, rows):
            self._cursor.executemany(self._view.dialect(statement), rows)

    def executemany_values(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Like `executemany`, with each row's values as a tuple in the order the statement
        names them: no mapping per row (for statements run for very many rows)."""
        if rows and not self._sent_together(statement, rows):
            renamed = self._view.renamed(statement)
            self._cursor.executemany(to_positional(renamed, self._view.is_postgres), rows)

    def _sent_together(self, statement: str, rows: Sequence[Params | tuple[Any, ...]]) -> bool:
        """On PostgreSQL, the rows of an INSERT sent as one statement (bulk_rows.py); False
        when they must go one by one."""
        if not self._view.is_postgres or len(rows) < 2:
            return False
        bulk = bulk_insert(self._view.renamed(statement))
        document = None if bulk is None else bulk.rows_document(rows)
        if bulk is None or document is None:
            return False
        self._cursor.execute(bulk.statement, (document,))
        return True

    def fetchall(self) -> list[Row]:
        return [dict(row) for row in self._cursor.fetchall()]

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def track(self, tracking: Tracking) -> None:
        """Records the position in this same transaction: exactly once across crashes."""
        self._view.insert_tracking_in(self._cursor, tracking)

    def track_all(self, trackings: Sequence[Tracking]) -> None:
        """Records several positions (PostgreSQL: pipelined, one round trip for all)."""
        if not self._view.is_postgres or len(trackings) < 2:
            for tracking in trackings:
                self.track(tracking)
            return
        statement: Any = getattr(self._view, "insert_tracking_statement")  # noqa: B009
        rows = [
            {"application_name": t.application_name, "notification_id": t.notification_id}
            for t in trackings
        ]
        self._cursor.executemany(statement, rows)

    def position(self, name: str) -> int:
        """The tracking position of `name` as this transaction sees it (0 when none)."""
        return self._view.tracking_position_in(self._cursor, name) or 0

    def positions(self, names: Sequence[str]) -> dict[str, int]:
        """The tracking positions of `names` (0 for none) in one query: the views of one
        ReadModels share one tracking table."""
        marks = {f"n{n}": name for n, name in enumerate(names)}
        self.execute(
            f"SELECT application_name AS name, MAX(notification_id) AS position "
            f"FROM {self._view.tracking_table()} "
            f"WHERE application_name IN ({', '.join(':' + m for m in marks)}) "
            "GROUP BY application_name",
            marks,
        )
        found = {str(row["name"]): int(row["position"]) for row in self.fetchall()}
        return {name: found.get(name, 0) for name in names}

    def lock_all(self, views: Sequence[SqlView]) -> None:
        """Holds every view's write lock until the end of this transaction, taken in one round
        trip and in key order (PostgreSQL; SQLite's BEGIN IMMEDIATE excludes other writers)."""
        if self._view.is_postgres and views:
            keys = sorted({view.lock_key() for view in views})
            locks = ", ".join(f"pg_advisory_xact_lock({VIEW_LOCK_CLASS}, {key})" for key in keys)
            self._cursor.execute(f"SELECT {locks}")

    def lock(self, view: SqlView) -> None:
        """Holds `view`'s write lock until the end of this transaction (PostgreSQL; SQLite's
        BEGIN IMMEDIATE already excludes every other writer)."""
        if self._view.is_postgres:
            self._cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (VIEW_LOCK_CLASS, view.lock_key())
            )

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """Within the block, statements whose results are not read are sent without waiting
        for them (PostgreSQL's pipeline mode): the server writes one projection's rows while
        the runner computes the next one's. An error surfaces at the next read or at the end
        of the block, and aborts the transaction as before."""
        if not self._view.is_postgres:
            yield
            return
        with self._cursor.connection.pipeline():
            yield

    def announce(self) -> None:
        """Wakes the readers waiting for views once this transaction commits (PostgreSQL;
        SQLite readers poll)."""
        if self._view.is_postgres:
            self._cursor.execute(f"NOTIFY {PROJECTIONS_CHANNEL}")

    def on(self, view: SqlView) -> Tx:
        """The same transaction, speaking `view`'s table names."""
        return Tx(view, self._cursor)


class SqlView(TrackingRecorder):
    """Mixin for a view: its DDL, its transactions, and the backend it runs on.

    Concrete classes are made per backend by `view_class_for`, so that eventsourcing's
    factory builds them like any other tracking recorder.
    """

    ddl: tuple[str, ...] = ()
    is_postgres: bool = False
    table_prefix: ClassVar[str] = ""
    position_waiter: PositionWaiter = PositionPoller()  # ReadModels gives PostgreSQL its own

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._local = threading.local()
        self._renamed: dict[str, str] = {}
        tables, indexes = schema_names(self.create_statements())
        self._names = (
            re.compile(r"\b(" + "|".join([*tables, *indexes]) + r")\b") if tables else None
        )
        first = self.renamed(tables[0]) if tables else type(self).__name__
        self._lock_key = zlib.crc32(first.encode()) - 2**31
        super().__init__(*args, **kwargs)
        if isinstance(self, PostgresTrackingRecorder):
            statements: list[Any] = self.sql_create_statements
            statements.extend(SQL(cast(Any, s)) for s in self.schema_statements())

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()  # type: ignore[misc]
        return [*statements, *self.schema_statements()]

    def schema_statements(self) -> list[str]:
        """`create_statements()` as run on this instance's tables (prefixed for a rebuild)."""
        return [self.renamed(s) for s in self.create_statements()]

    def renamed(self, statement: str) -> str:
        """`statement` with every table and index name of the view prefixed, if it has one."""
        if not self.table_prefix or self._names is None:
            return statement
        if statement not in self._renamed:
            self._renamed[statement] = self._names.sub(self.table_prefix + r"\1", statement)
        return self._renamed[statement]

    def lock_key(self) -> int:
        """This view's write-lock key (a signed 32-bit int): from its first table's name."""
        return self._lock_key

    def create_table(self) -> None:
        parent: Any = super()
        if isinstance(self, PostgresTrackingRecorder):
            create_tables_serially(self, parent.create_table)
        else:
            _retry_while_locked(parent.create_table)

    def create_statements(self) -> tuple[str, ...]:
        """The view's CREATE TABLE/INDEX statements (IF NOT EXISTS: run at every start)."""
        return self.ddl

    def insert_tracking_in(self, cursor: Any, tracking: Tracking) -> None:
        # Both backends' tracking recorders take (cursor, tracking) here.
        insert: Any = getattr(self, "_insert_tracking")  # noqa: B009
        insert(cursor, tracking)

    def tracking_position_in(self, cursor: Any, name: str) -> int | None:
        # Both backends' tracking recorders take (name, cursor) here.
        select: Any = getattr(self, "_max_tracking_id")  # noqa: B009
        position: int | None = select(name, cursor)
        return position

    def tracking_table(self) -> str:
        """The tracking table's name, as SQL (eventsourcing names it per backend)."""
        if not self.is_postgres:
            return "tracking"
        datastore: Any = getattr(self, "datastore")  # noqa: B009
        return f"{datastore.schema}.{getattr(self, 'tracking_table_name')}"  # noqa: B009

    def max_tracking_id(self, application_name: str) -> int | None:
        joined = self._joined()
        if joined is not None:
            return joined.position(application_name) or None
        parent: Any = super()
        position: int | None = parent.max_tracking_id(application_name)
        return position

    def wait(
        self,
        application_name: str,
        notification_id: int | None,
        timeout: float = 1.0,
        interrupt: threading.Event | None = None,
    ) -> None:
        """Blocks until `application_name` has processed `notification_id` (TimeoutError after
        `timeout` s): woken by the runner's commits, not by a fixed 100 ms sleep."""

        def reached() -> bool:
            if interrupt is not None and interrupt.is_set():
                raise WaitInterruptedError
            return self.has_tracking_id(application_name, notification_id)

        self.position_waiter.wait_until(reached, timeout)

    def dialect(self, statement: str) -> str:
        statement = self.renamed(statement)
        return to_psycopg(statement) if self.is_postgres else statement

    @contextmanager
    def joined(self, tx: Tx) -> Iterator[None]:
        """Within the block, this thread's writes and position reads on this view run in `tx`."""
        previous = self._joined()
        self._local.tx = tx
        try:
            yield
        finally:
            self._local.tx = previous

    def _joined(self) -> Tx | None:
        tx: Tx | None = getattr(self._local, "tx", None)
        return tx

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A write transaction (or the one joined by this thread), holding the view's lock."""
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        datastore: Any = getattr(self, "datastore")  # noqa: B009
        if self.is_postgres:
            with datastore.transaction(commit=True) as cursor:
                tx = Tx(self, cursor)
                tx.lock(self)
                yield tx
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

    def erase_personal_data(self, tx: Tx, record_ids: Sequence[str]) -> None:
        """Rewrites the rows of these records with their personal values erased (a view
        holding personal data overrides it: kefu/projections/erasure.py)."""
        raise NotImplementedError(f"{type(self).__name__} holds no personal data")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Reads on a pooled connection. On PostgreSQL outside any transaction of their own:
        the pool's connections are in autocommit, and each statement reads a snapshot of its
        own, as it would inside a READ COMMITTED transaction, so BEGIN and ROLLBACK would be
        two round trips for nothing (a one-statement read takes one, not three)."""
        datastore: Any = getattr(self, "datastore")  # noqa: B009
        if self.is_postgres:
            with datastore.get_connection() as connection, connection.cursor() as cursor:
                yield Tx(self, cursor)
            return
        with datastore.transaction(commit=False) as cursor:
            yield Tx(self, cursor)

    def positions(self, names: Sequence[str]) -> dict[str, int]:
        """The tracking positions of `names` (0 for none), read together."""
        with self.read() as tx:
            return tx.positions(names)

    def query(self, statement: str, params: Params | None = None) -> list[Row]:
        with self.read() as tx:
            tx.execute(statement, params)
            return tx.fetchall()


def rebuild_class_of(view_class: type[Any], prefix: str) -> type[TrackingRecorder]:
    """A subclass of a concrete view class whose tables are named `prefix + name`."""
    name = f"{view_class.__name__}Rebuild"
    attributes = {"table_prefix": prefix, "__module__": view_class.__module__}
    return cast(type[TrackingRecorder], type(name, (view_class,), attributes))


def view_class_for(view: type[SqlView], postgres: bool) -> type[TrackingRecorder]:
    """The concrete TrackingRecorder subclass of `view` for one backend."""
    base: type[TrackingRecorder] = PostgresTrackingRecorder if postgres else SQLiteTrackingRecorder
    name = f"{view.__name__}{'Postgres' if postgres else 'SQLite'}"
    return cast(
        type[TrackingRecorder],
        type(name, (view, base), {"is_postgres": postgres, "__module__": view.__module__}),
    )


ViewT = TypeVar("ViewT", bound=SqlView)


class OwnTables(Generic[ViewT]):
    """One view's tables on a connection pool of their own (created at first use): for tables
    kept apart from the read models, by a process that opens no read model (the outbox's,
    the access log's)."""

    def __init__(self, database_url: str, name: str, view: type[ViewT]) -> None:
        env = Environment(name=name, env=eventsourcing_env(database_url))
        self._factory = InfrastructureFactory[TrackingRecorder].construct(env)
        postgres = backend_of(database_url) is Backend.POSTGRES
        recorder = self._factory.tracking_recorder(view_class_for(view, postgres))
        self.tables = cast(ViewT, recorder)

    def close(self) -> None:
        self._factory.close()


def _retry_while_locked(create: Any, attempts: int = 50) -> None:
    """Runs SQLite schema creation, again while another writer holds the database.

    eventsourcing creates tables in a deferred transaction that reads before it writes; when
    another connection commits in between, SQLite refuses the upgrade at once ("database is
    locked") instead of waiting. Creation is idempotent (IF NOT EXISTS), so trying again is safe.
    """
    for attempt in range(attempts):
        try:
            create()
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(min(0.01 * 2**attempt, 0.2))
