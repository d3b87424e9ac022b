"""Waiting for new events: LISTEN/NOTIFY on PostgreSQL, polling on SQLite."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, Self

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from kefu.application import ServiceDesk

SQLITE_POLL_SECONDS = 1.0  # the longest the runner sleeps without a look at the log
SQLITE_CHECK_SECONDS = 0.01  # how often it looks: new events reach the views within ~10 ms


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
    """SQLite has no notifications: reads the head of the log every `check` seconds (one cheap
    query), and wakes the runner as soon as it moved, or after `interval` seconds at most."""

    def __init__(self, interval: float, head: Callable[[], int | None] = lambda: None) -> None:
        self.interval = interval
        self.head = head
        self.check = min(SQLITE_CHECK_SECONDS, interval)
        self._last: int | None = -1  # the head seen when the runner was last woken

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
        deadline = time.monotonic() + self.interval
        while not stop.is_set() and time.monotonic() < deadline:
            head = self.head()
            if head != self._last:
                self._last = head  # the runner then catches up to at least this position
                return
            stop.wait(self.check)


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
    return PollingWaiter(SQLITE_POLL_SECONDS, recorder.max_notification_id)
