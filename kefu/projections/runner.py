"""Follows the application's log and feeds each projection its events in batches.

PostgreSQL wakes the runner with LISTEN/NOTIFY, with a periodic safety poll so a lost
notification never stalls a view; SQLite is polled.

Failures: a database that is unavailable (connection lost, PostgreSQL restarting, a pool
timeout, SQLite busy) is waited out with backoff, whatever it interrupted, and the runner then
reconnects (LISTEN included) and carries on. Any other error in a projection's batch is retried
event by event: an event that fails the same way twice parks its projection at that event
(stored, so `/ready` and `kefu projections status` see it from any process) while the other
projections keep following the log; `kefu projections retry NAME` lets it try again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.persistence import Notification, Tracking

from kefu.application import ServiceDesk
from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.health import ParkedProjection, RunnerHealthView
from kefu.projections.sql import SqlView, Tx
from kefu.projections.waiting import ChangeWaiter, waiter_for
from kefu.store.availability import is_database_unavailable

# Larger batches spread each batch's fixed costs (one read, one commit, one lookup of the rows
# it touches per view) over more events; 2,000 events decode to a few MB.
DEFAULT_BATCH_SIZE = 2_000
RUNNER_NAME = "projections"
HEARTBEAT_EVERY_SECONDS = 1.0
log = logging.getLogger("kefu.projections")


def wall_clock() -> datetime:
    return datetime.now(UTC)


class LogProcess(Protocol):
    """A process policy run in the runner's loop (the visit planner): it tracks its own position."""

    def catch_up(self) -> int: ...


class Backoff:
    """Delays between retries: doubling from `first` up to `cap`, back to `first` on success."""

    def __init__(self, first: float = 0.2, cap: float = 5.0) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.first


class ProjectionRunner:
    """Brings projections up to the head of the log, once or for ever."""

    def __init__(
        self,
        app: ServiceDesk,
        projections: Sequence[BatchProjection[Any]],
        batch_size: int = DEFAULT_BATCH_SIZE,
        processes: Sequence[LogProcess] = (),
        health: RunnerHealthView | None = None,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.processes = list(processes)
        self.batch_size = batch_size
        self.health = health  # None: parking is kept in memory only, and no heartbeat
        self.clock = clock
        self.name = RUNNER_NAME
        self._topics = {p.name: p.topic_set() for p in self.projections}
        self.parked: dict[str, ParkedProjection] = {}
        self._resting: dict[str, float] = {}  # projection → monotonic time to try again
        self._last_beat = float("-inf")

    def step(self, projection: BatchProjection[Any], until: int | None = None) -> int:
        """Processes the next batch for one projection (up to position `until`, if given);
        returns how many notifications it read."""
        position = projection.view.max_tracking_id(projection.name) or 0
        notifications = self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, stop=until, inclusive_of_start=False
        )
        if notifications:
            self._apply(projection, position, notifications, {})
        return len(notifications)

    def step_all(self) -> int:
        """One batch read once from the log, from the position of the projection furthest
        behind, and given to every projection it moves on (parked ones excepted); each
        notification is decoded at most once. Returns how many notifications it read."""
        now = time.monotonic()
        healthy = [
            p
            for p in self.projections
            if p.name not in self.parked and self._resting.get(p.name, 0.0) <= now
        ]
        if not healthy:
            return 0
        positions = self._positions(healthy)
        notifications = self.app.recorder.select_notifications(
            start=min(positions.values()), limit=self.batch_size, inclusive_of_start=False
        )
        decoded: dict[int, Any] = {}
        due = [(p, positions[p.name], _after(notifications, positions[p.name])) for p in healthy]
        due = [(p, position, newer) for p, position, newer in due if newer]
        if not self._apply_together(due, decoded):
            for projection, position, newer in due:
                self._apply_isolated(projection, position, newer, decoded)
        return len(notifications)

    def _apply_together(self, due: Sequence[Due], decoded: dict[int, Any]) -> bool:
        """Every projection's batch in one transaction: one commit instead of one per view.
        False when any of them failed: the whole transaction is then rolled back, and the
        caller applies the batch again a projection at a time, so a failing projection does
        not stop the others."""
        if len(due) < 2:
            return False
        try:
            with due[0][0].view.write() as tx, tx.pipelined():
                self._write_together(tx, due, decoded)
        except Exception:
            log.debug("a batch for all projections failed; retrying one at a time", exc_info=True)
            return False
        return True

    def _write_together(self, tx: Tx, due: Sequence[Due], decoded: dict[int, Any]) -> None:
        tx.lock_all([projection.view for projection, _, _ in due])
        now = tx.positions([projection.name for projection, _, _ in due])
        # A position that moved since it was read: a rebuild swapped tables in; read again.
        moved = [(p, notes) for p, position, notes in due if now[p.name] == position]
        idle = []
        for projection, notifications in moved:
            events = self._decode(notifications, self._topics[projection.name], decoded)
            tracking = Tracking(projection.name, notifications[-1].id)
            if not events:
                idle.append(tracking)
                continue
            with projection.view.joined(tx.on(projection.view)):
                projection.process(events, tracking)
        tx.track_all(idle)  # nothing to write but the position: one round trip for all
        tx.announce()

    def _apply_isolated(
        self,
        projection: BatchProjection[Any],
        position: int,
        notifications: Sequence[Notification],
        decoded: dict[int, Any],
    ) -> None:
        """One projection's batch. A database outage is raised (the loop waits it out); any
        other failure rolls the batch back and retries it event by event."""
        try:
            self._apply(projection, position, notifications, decoded)
        except Exception as error:
            if is_database_unavailable(error):
                raise
            log.warning(
                "projection %s failed on a batch after %s (%s: %s); retrying event by event",
                *(projection.name, position, type(error).__name__, error),
            )
            self._apply_one_by_one(projection, position, notifications, decoded)

    def _apply_one_by_one(
        self,
        projection: BatchProjection[Any],
        position: int,
        notifications: Sequence[Notification],
        decoded: dict[int, Any],
    ) -> None:
        for notification in notifications:
            if not self._apply_or_park(projection, position, notification, decoded):
                return
            position = notification.id

    def _apply_or_park(
        self,
        projection: BatchProjection[Any],
        position: int,
        notification: Notification,
        decoded: dict[int, Any],
    ) -> bool:
        """Applies one event, twice if need be. The same failure twice parks the projection
        at it; two different failures look accidental: the projection rests and tries again."""
        failures = []
        for _ in range(2):
            try:
                self._apply(projection, position, [notification], decoded)
                return True
            except Exception as error:
                if is_database_unavailable(error):
                    raise
                failures.append(f"{type(error).__name__}: {error}")
        if failures[0] == failures[1]:
            self._park(projection.name, notification.id, failures[1])
        else:
            log.warning("projection %s failed twice differently: %s", projection.name, failures)
            self._resting[projection.name] = time.monotonic() + HEARTBEAT_EVERY_SECONDS
        return False

    def _park(self, name: str, position: int, error: str) -> None:
        parked = ParkedProjection(name, position, error, self.clock())
        log.error(
            "projection %s parked at position %s: %s (after a fix: kefu projections retry %s)",
            *(name, position, error, name),
        )
        self.parked[name] = parked
        if self.health is not None:
            self.health.park(parked)

    def catch_up(self, stop: threading.Event | None = None) -> int:
        """Runs every projection, then every process, to the head of the log, and then the
        projections again over what the processes wrote; returns reads. A command's own
        effect is in the views before the processes react to it (a waiting `?after=` read
        does not wait for them), and the views still include what they made in the same pass.
        Once `stop` is set it returns after the batch in hand: a runner far behind the log
        stops when asked, not when it has caught up."""
        if self.health is not None:  # `kefu projections retry` un-parks from another process
            self.parked = self.health.parked()
        stop = stop or threading.Event()
        total = self._project(stop)
        if self.processes and not stop.is_set():
            total += sum(process.catch_up() for process in self.processes)
            total += self._project(stop)
        return total

    def _project(self, stop: threading.Event) -> int:
        total = 0
        while not stop.is_set() and (read := self.step_all()):
            total += read
            self.beat()
        return total

    def beat(self) -> None:
        """Tells `/ready` this runner is alive (at most once a second)."""
        if self.health is None or time.monotonic() - self._last_beat < HEARTBEAT_EVERY_SECONDS:
            return
        self.health.beat(self.name, wall_clock())
        self._last_beat = time.monotonic()

    def _apply(
        self,
        projection: BatchProjection[Any],
        position: int,
        notifications: Sequence[Notification],
        decoded: dict[int, Any],
    ) -> None:
        with projection.view.write() as tx:
            self._apply_in(tx, projection, position, notifications, decoded)
            tx.announce()

    def _apply_in(
        self,
        tx: Tx,
        projection: BatchProjection[Any],
        position: int,
        notifications: Sequence[Notification],
        decoded: dict[int, Any],
    ) -> None:
        """One projection's batch in `tx`, which holds the projection's view lock."""
        view = projection.view
        with view.joined(tx):
            # Under the view's write lock: if a rebuild swapped the tables in since the read
            # above, the position moved; skip this batch and read again from the new one.
            if tx.position(projection.name) == position:
                events = self._decode(notifications, self._topics[projection.name], decoded)
                tracking = Tracking(projection.name, notifications[-1].id)
                projection.process(events, tracking)

    def _positions(self, projections: Sequence[BatchProjection[Any]]) -> dict[str, int]:
        """Every projection's position: one query when they share a tracking table."""
        first: SqlView = projections[0].view
        if all(p.view.tracking_table() == first.tracking_table() for p in projections):
            return first.positions([p.name for p in projections])
        return {p.name: p.view.max_tracking_id(p.name) or 0 for p in projections}

    def run_forever(self, stop: threading.Event, safety_poll: float = 1.0) -> None:
        """Follows the log until `stop` is set. A database outage is waited out with backoff,
        then the runner reconnects (LISTEN included) and carries on; any other error ends it
        (its supervisor restarts it)."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                self._follow(stop, safety_poll, backoff)
            except Exception as error:
                if not is_database_unavailable(error):
                    raise
                delay = backoff.next()
                log.warning("database unavailable (%s); trying again in %.1f s", error, delay)
                stop.wait(delay)

    def _follow(self, stop: threading.Event, safety_poll: float, backoff: Backoff) -> None:
        waiter: ChangeWaiter = waiter_for(self.app, safety_poll)
        with waiter:
            while not stop.is_set():
                self.beat()
                read = self.catch_up(stop)
                backoff.reset()
                if read == 0:
                    waiter.wait(stop)

    def _decode(
        self,
        notifications: Sequence[Notification],
        topics: frozenset[str] | None,
        decoded: dict[int, Any],
    ) -> list[Positioned]:
        """The events of `notifications` this projection reads; `decoded` keeps each decoded
        event (with its position) for the other projections of the same batch."""
        wanted = [n for n in notifications if topics is None or n.topic in topics]
        new = [n for n in wanted if n.id not in decoded]
        for n, event in zip(new, self.app.mapper.to_domain_events(new), strict=True):
            decoded[n.id] = Positioned(event, n.id)
        return [decoded[n.id] for n in wanted]


Due = tuple[BatchProjection[Any], int, Sequence[Notification]]  # a projection's part of a batch


def _after(notifications: Sequence[Notification], position: int) -> Sequence[Notification]:
    """The notifications after `position` (they are in position order)."""
    if not notifications or notifications[0].id > position:
        return notifications
    return [n for n in notifications if n.id > position]
