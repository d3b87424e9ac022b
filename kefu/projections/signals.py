"""Read-your-writes: waiting until a projection has reached a position, without a busy loop.

PostgreSQL: the runner sends NOTIFY on `PROJECTIONS_CHANNEL` in each batch's transaction (so it
arrives once the batch is committed); one listening connection per process, on a thread of its
own, wakes every request thread of the process that waits. SQLite has no notifications: the
waiter checks again after 2 ms, then twice as long each time, up to 10 ms.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

PROJECTIONS_CHANNEL = "kefu_projections"
FIRST_PAUSE = 0.002
LONGEST_PAUSE = 0.010
log = logging.getLogger("kefu.projections")


class PositionWaiter(Protocol):
    """Blocks until `reached()` is true, or raises TimeoutError after `timeout` seconds."""

    def wait_until(self, reached: Callable[[], bool], timeout: float) -> None: ...


class PositionPoller:
    """Checks at short, growing intervals (2 ms doubling to 10 ms): at most ~100 cheap reads a
    second while a request waits, and a write is visible within ~10 ms of its projection."""

    def wait_until(self, reached: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = FIRST_PAUSE
        while not reached():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the projection has not reached the position in time")
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, LONGEST_PAUSE)


class CommitSignal:
    """PostgreSQL: one LISTEN connection per process wakes all its waiting threads.

    Started on first use (in the process that waits: a fork does not inherit the thread, so a
    new process starts its own). Waiters check again every `recheck` seconds anyway, so a lost
    notification or a listener reconnecting after a database restart delays, never hangs.
    """

    def __init__(self, connect: Callable[[], Any], recheck: float = 0.25) -> None:
        self._connect = connect
        self.recheck = recheck
        self._changed = threading.Condition()
        self._generation = 0
        self._started_in: int | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wait_until(self, reached: Callable[[], bool], timeout: float) -> None:
        self._ensure_listening()
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                seen = self._generation  # read before checking: a wake-up in between counts
            if reached():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the projection has not reached the position in time")
            self._wait_after(seen, min(remaining, self.recheck))

    def _wait_after(self, seen: int, seconds: float) -> None:
        """Sleeps until a notification newer than generation `seen`, or `seconds` pass."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != seen, seconds)

    def close(self) -> None:
        """Stops the listener and closes its connection (waits at most a fraction of a second)."""
        self._stop.set()
        if self._thread is not None and self._started_in == os.getpid():
            self._thread.join(timeout=2)

    def _ensure_listening(self) -> None:
        with self._start_lock:
            if self._started_in == os.getpid() or self._stop.is_set():
                return
            self._started_in = os.getpid()
            self._thread = threading.Thread(target=self._listen, name="kefu-views", daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._listen_once()
                backoff = 0.1
            except Exception:
                log.warning("projection listener lost its connection; reconnecting", exc_info=True)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _listen_once(self) -> None:
        with self._connect() as connection:
            connection.execute(f"LISTEN {PROJECTIONS_CHANNEL}")
            self._wake()  # whatever committed while nobody listened
            while not self._stop.is_set():
                # Short slices, so that close() is honoured quickly.
                for _ in connection.notifies(timeout=0.2):
                    self._wake()

    def _wake(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()
