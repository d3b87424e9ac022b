"""`kefu projections rebuild`: replay a projection from position 0 into fresh tables, then swap
them in, so the live tables answer queries until the very end.

1. The fresh tables are the live view's own DDL with every table and index name prefixed
   (`rebuild__ticket_views`, ...), in the same database, with a tracking name of their own.
   Leftovers of an interrupted rebuild are dropped first.
2. The fresh projection catches up to the head of the log, a batch per transaction.
3. One transaction, holding the live view's write lock (SQLite: BEGIN IMMEDIATE, which excludes
   every other writer; PostgreSQL: the view's advisory lock, which the runner takes for each
   batch), catches up the last events, drops the live tables, renames the fresh ones (and their
   indexes) to the live names, and moves the fresh tracking position to the live name.

A runner that is running meanwhile is safe: it re-reads its position under the same lock
before writing a batch, and skips a batch read before the swap (see `ProjectionRunner.step`).
Two rebuilds of the same projection must not run at once (they would share the fresh tables).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from kefu.application import ServiceDesk
from kefu.projections.batch import BatchProjection
from kefu.projections.progress import Progress, counting
from kefu.projections.read_models import ReadModels
from kefu.projections.runner import ProjectionRunner
from kefu.projections.sql import SqlView, Tx, schema_names

PREFIX = "rebuild__"
REBUILD_BATCH_SIZE = 2000


class RebuildError(RuntimeError):
    """The rebuilt tables are behind the live ones, so they were not swapped in."""


def rebuild(app: ServiceDesk, read_models: ReadModels, name: str, progress: Progress) -> int:
    """Rebuilds projection `name` and swaps it in; returns the position it was swapped in at."""
    live = read_models.projection(name)
    fresh = fresh_projection(read_models, live)
    runner = ProjectionRunner(app, [fresh], batch_size=REBUILD_BATCH_SIZE)
    _catch_up(app, runner, fresh, name, progress)
    position = _swap(runner, live, fresh)
    progress(f"{name}: rebuilt and swapped in at position {position}")
    return position


def rebuild_all(app: ServiceDesk, read_models: ReadModels, progress: Progress) -> dict[str, int]:
    """Rebuilds every projection, one after the other."""
    return {p.name: rebuild(app, read_models, p.name, progress) for p in read_models.projections}


def fresh_projection(
    read_models: ReadModels, live: BatchProjection[Any], prefix: str = PREFIX
) -> BatchProjection[Any]:
    """A copy of `live` over empty `prefix`-named tables, at position 0."""
    view: SqlView = read_models.reopen(live.view, prefix)
    fresh = copy.copy(live)  # keeps what the projection was built with (a time zone, ...)
    fresh._view = view  # eventsourcing's Projection keeps its view here
    fresh.name = prefix + live.name
    with view.write() as tx:  # the view's own names: DROP ticket_views → rebuild__ticket_views
        for table in schema_names(view.create_statements())[0]:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in view.create_statements():
            tx.execute(statement)
        tx.execute(
            f"DELETE FROM {view.tracking_table()} WHERE application_name = :name",
            {"name": fresh.name},
        )
    return fresh


def _catch_up(
    app: ServiceDesk,
    runner: ProjectionRunner,
    fresh: BatchProjection[Any],
    name: str,
    progress: Progress,
) -> None:
    head = app.recorder.max_notification_id() or 0
    started = time.monotonic()
    done = 0
    progress(f"{name}: rebuilding from position 0 to {head} into fresh tables")
    with counting(progress, name, head, "ev") as advance:
        while read := runner.step(fresh):
            done += read
            advance(read)
    progress(f"{name}: {done} events replayed in {time.monotonic() - started:.1f}s; swapping")


def _swap(runner: ProjectionRunner, live: BatchProjection[Any], fresh: BatchProjection[Any]) -> int:
    view: SqlView = fresh.view
    with view.write() as tx, view.joined(tx):
        tx.lock(live.view)
        while runner.step(fresh):
            pass
        position = tx.position(fresh.name)
        if position < tx.position(live.name):
            raise RebuildError(f"{live.name}: rebuilt to {position}, behind the live view")
        on_live = tx.on(live.view)
        _rename_tables(on_live, live.view)
        _move_tracking(on_live, live.view, fresh.name, live.name)
    return position


def _rename_tables(tx: Tx, view: SqlView) -> None:
    tables, _ = schema_names(view.create_statements())
    for table in tables:
        tx.execute(f"DROP TABLE IF EXISTS {table}")
        tx.execute(f"ALTER TABLE {PREFIX}{table} RENAME TO {table}")
    if view.is_postgres:
        _rename_postgres_indexes(tx, tables)
    else:
        _recreate_sqlite_indexes(tx, view, tables)


def _rename_postgres_indexes(tx: Tx, tables: list[str]) -> None:
    # Every index, the primary key's included: the next rebuild reuses the prefixed names.
    for table in tables:
        tx.execute(
            "SELECT indexname FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = :table",
            {"table": table},
        )
        for row in tx.fetchall():
            index = str(row["indexname"])
            if index.startswith(PREFIX):
                tx.execute(f'ALTER INDEX "{index}" RENAME TO "{index.removeprefix(PREFIX)}"')


def _recreate_sqlite_indexes(tx: Tx, view: SqlView, tables: list[str]) -> None:
    # SQLite cannot rename an index: drop the prefixed ones, create the live DDL's own.
    for table in tables:
        tx.execute(
            "SELECT name FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL",
            {"table": table},
        )
        for row in tx.fetchall():
            if str(row["name"]).startswith(PREFIX):
                tx.execute(f'DROP INDEX "{row["name"]}"')
    for statement in view.create_statements():
        tx.execute(statement)


def _move_tracking(tx: Tx, view: SqlView, fresh: str, live: str) -> None:
    table = view.tracking_table()
    tx.execute(f"DELETE FROM {table} WHERE application_name = :live", {"live": live})
    tx.execute(
        f"UPDATE {table} SET application_name = :live WHERE application_name = :fresh",
        {"live": live, "fresh": fresh},
    )
