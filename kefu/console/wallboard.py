"""The wallboard's one shared computation per process: a snapshot per change, for every viewer.

A thread of its own (started by the first viewer, ended after a minute without one) watches the
positions of the views a snapshot reads (kefu/projections/wallboard.py): on PostgreSQL it is
woken by the runner's NOTIFY through the views' commit listener, on SQLite it looks every
quarter second. When a position moved — or every `refresh_seconds`, because "overdue" and
"today" move with the clock alone — it reads one snapshot (at most one a second: a busy desk
moves the positions all the time) and encodes it once; the viewers' streams only wait for the
next generation and write the same bytes. A viewer therefore costs
the server one thread while connected and a write per change, never a query.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import msgspec

from kefu.projections.signals import CommitSignal, PositionWaiter
from kefu.projections.wallboard import WallboardReader

log = logging.getLogger("kefu.console")
REFRESH_SECONDS = 15.0  # a snapshot at least this often: deadlines pass with no event
POLL_SECONDS = 0.25  # SQLite: how often the positions are read
MIN_GAP_SECONDS = 1.0  # at most one snapshot a second, however busy the desk
IDLE_SECONDS = 60.0  # the thread stops after this long without a viewer
SLICE_SECONDS = 1.0  # viewers wake at least this often, to notice a stopping worker

Frame = tuple[int, bytes]  # (generation, the snapshot's JSON)


class SteadyPoller:
    """Checks `reached` every `pause` seconds (SQLite has no notifications)."""

    def __init__(self, pause: float) -> None:
        self.pause = pause

    def wait_until(self, reached: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not reached():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no change")
            time.sleep(min(self.pause, remaining))


class Wallboard:
    """The latest snapshot of this process, recomputed once per change of the views."""

    def __init__(
        self,
        reader: WallboardReader,
        clock: Callable[[], datetime],
        waiter: PositionWaiter,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.reader = reader
        self.clock = clock
        self.waiter = waiter if isinstance(waiter, CommitSignal) else SteadyPoller(POLL_SECONDS)
        self.refresh_seconds = refresh_seconds
        self.computations = 0  # snapshots read since the process started (tests and the note)
        self._changed = threading.Condition()
        self._frame: Frame | None = None
        self._demanded = 0.0
        self._runner: threading.Thread | None = None
        self._closed = False

    def latest(self, timeout: float) -> Frame:
        """The current snapshot; waits for the first one (TimeoutError after `timeout`)."""
        frame = self._wait(lambda f: f is not None, timeout)
        if frame is None:
            raise TimeoutError("no wallboard snapshot yet")
        return frame

    def next_after(self, generation: int, timeout: float) -> Frame | None:
        """The first snapshot newer than `generation`, or None after `timeout` seconds."""
        return self._wait(lambda f: f is not None and f[0] > generation, timeout)

    def _wait(self, ready: Callable[[Frame | None], bool], timeout: float) -> Frame | None:
        self._ensure_running()
        with self._changed:
            self._changed.wait_for(lambda: ready(self._frame), timeout)
            return self._frame if ready(self._frame) else None

    def close(self) -> None:
        """Stops the thread and waits for it: the views it reads are about to close (a query
        on a closing SQLite connection from another thread can crash the process)."""
        with self._changed:
            self._closed = True
            runner, self._runner = self._runner, None
            self._changed.notify_all()
        if runner is not None and runner is not threading.current_thread():
            runner.join()

    def _ensure_running(self) -> None:
        with self._changed:
            if self._closed:
                return
            self._demanded = time.monotonic()
            # A forked child sees its parent's thread as not alive, and starts its own.
            if self._runner is None or not self._runner.is_alive():
                self._runner = threading.Thread(
                    target=self._follow, name="kefu-wallboard", daemon=True
                )
                self._runner.start()

    def _follow(self) -> None:
        try:
            self._follow_while_watched()
        except Exception:
            log.exception("the wallboard stopped; the next viewer starts it again")
            with self._changed:
                if self._runner is threading.current_thread():
                    self._runner = None

    def _follow_while_watched(self) -> None:
        seen: dict[str, int] | None = None
        computed_at = 0.0
        while True:
            with self._changed:
                if self._closed:
                    return
                if time.monotonic() - self._demanded > IDLE_SECONDS:
                    self._frame = None  # the next viewer must not be shown an old snapshot
                    self._runner = None
                    return
            positions = self.reader.positions()
            if positions != seen or time.monotonic() - computed_at >= self.refresh_seconds:
                time.sleep(max(0.0, computed_at + MIN_GAP_SECONDS - time.monotonic()))
                seen, computed_at = self.reader.positions(), time.monotonic()
                self._publish(msgspec.json.encode(self.reader.snapshot(self.clock())))
            due = max(0.0, computed_at + self.refresh_seconds - time.monotonic())
            self._wait_for_change(seen, min(due, 5.0))

    def _wait_for_change(self, seen: dict[str, int], seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            self.waiter.wait_until(lambda: self._closed or self.reader.positions() != seen, seconds)

    def _publish(self, body: bytes) -> None:
        with self._changed:
            self.computations += 1
            generation = self._frame[0] + 1 if self._frame else 1
            self._frame = (generation, body)
            self._changed.notify_all()
