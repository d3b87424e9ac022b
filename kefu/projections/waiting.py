"""Waiting for new events: LISTEN/NOTIFY on PostgreSQL, polling on SQLite."""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType
from typing import Any, Protocol, Self

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from kefu.application import ServiceDesk

SQLITE_POLL_SECONDS = 0.1


class ChangeWaiter(Protocol):
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def wait(self, stop: threading.Event) -> None: ...


class PollingWaiter:
    """Sleeps a short interval (SQLite has no notifications)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def wait(self, stop: threading.Event) -> None:
        stop.wait(self.interval)


class NotifyWaiter:
    """Waits for the event table's NOTIFY, at most `safety_poll` seconds."""

    def __init__(self, recorder: PostgresApplicationRecorder, safety_poll: float) -> None:
        self.recorder = recorder
        self.safety_poll = safety_poll
        self._conn_cm: Any = None
        self._conn: Any = None

    def __enter__(self) -> Self:
        self._conn_cm = self.recorder.datastore.get_connection()
        self._conn = self._conn_cm.__enter__()
        self._conn.execute(SQL("LISTEN {0}").format(Identifier(self.recorder.channel_name)))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # After a lost connection there is nothing to UNLISTEN; the pool discards the
        # connection, and the runner opens a new waiter (a new LISTEN) once the server answers.
        if not self._conn.closed:
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("UNLISTEN *")
        self._conn_cm.__exit__(exc_type, exc, tb)

    def wait(self, stop: threading.Event) -> None:
        waited = 0.0
        step = 0.2  # short slices so that a stop request is honoured quickly
        while waited < self.safety_poll and not stop.is_set():
            for _ in self._conn.notifies(timeout=step, stop_after=1):
                return
            waited += step


def waiter_for(app: ServiceDesk, safety_poll: float) -> ChangeWaiter:
    recorder = app.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        return NotifyWaiter(recorder, safety_poll)
    return PollingWaiter(SQLITE_POLL_SECONDS)
