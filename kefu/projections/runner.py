"""Follows the application's log and feeds each projection its events in batches.

PostgreSQL wakes the runner with LISTEN/NOTIFY, with a periodic safety poll so a lost
notification never stalls a view; SQLite is polled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import Notification, Tracking

from kefu.application import ServiceDesk
from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.sql import SqlView, Tx
from kefu.projections.waiting import ChangeWaiter, waiter_for

# Larger batches spread each batch's fixed costs (one read, one commit, one lookup of the rows
# it touches per view) over more events; 2,000 events decode to a few MB.
DEFAULT_BATCH_SIZE = 2_000
log = logging.getLogger("kefu.projections")


class LogProcess(Protocol):
    """A process policy run in the runner's loop (the visit planner): it tracks its own position."""

    def catch_up(self) -> int: ...


class ProjectionRunner:
    """Brings projections up to the head of the log, once or for ever."""

    def __init__(
        self,
        app: ServiceDesk,
        projections: Sequence[BatchProjection[Any]],
        batch_size: int = DEFAULT_BATCH_SIZE,
        processes: Sequence[LogProcess] = (),
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.processes = list(processes)
        self.batch_size = batch_size
        self._topics = {p.name: p.topic_set() for p in self.projections}
        self.failed: dict[str, str] = {}  # projection → the error that stopped it

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
        behind, and given to every projection it moves on; each notification is decoded at
        most once. Returns how many notifications it read."""
        healthy = [p for p in self.projections if p.name not in self.failed]
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
            with due[0][0].view.write() as tx:
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
                projection.process_batch(events, tracking)
        tx.track_all(idle)  # nothing to write but the position: one round trip for all
        tx.announce()

    def _apply_isolated(
        self,
        projection: BatchProjection[Any],
        position: int,
        notifications: Sequence[Notification],
        decoded: dict[int, Any],
    ) -> None:
        """One projection's batch; if it fails, that projection stops (its transaction rolled
        back, its position kept) and is reported, while the others keep following the log."""
        try:
            self._apply(projection, position, notifications, decoded)
        except Exception as error:
            log.exception("projection %s stopped at position %s", projection.name, position)
            self.failed[projection.name] = f"{type(error).__name__}: {error}"

    def catch_up(self) -> int:
        """Runs every process, then every projection, to the head of the log; returns reads."""
        # Processes first: the views then include what they made, in the same pass.
        total = sum(process.catch_up() for process in self.processes)
        while read := self.step_all():
            total += read
        return total

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
                projection.process_batch(events, tracking)

    def _positions(self, projections: Sequence[BatchProjection[Any]]) -> dict[str, int]:
        """Every projection's position: one query when they share a tracking table."""
        first: SqlView = projections[0].view
        if all(p.view.tracking_table() == first.tracking_table() for p in projections):
            return first.positions([p.name for p in projections])
        return {p.name: p.view.max_tracking_id(p.name) or 0 for p in projections}

    def run_forever(self, stop: threading.Event, safety_poll: float = 1.0) -> None:
        waiter: ChangeWaiter = waiter_for(self.app, safety_poll)
        with waiter:
            while not stop.is_set():
                if self.catch_up() == 0:
                    waiter.wait(stop)

    def _decode(
        self,
        notifications: Sequence[Notification],
        topics: frozenset[str] | None,
        decoded: dict[int, Any],
    ) -> list[Positioned]:
        """The events of `notifications` this projection reads; `decoded` keeps each decoded
        event (with its position) for the other projections of the same batch."""
        to_event = self.app.mapper.to_domain_event
        events = []
        for n in notifications:
            if topics is None or n.topic in topics:
                event = decoded.get(n.id)
                if event is None:
                    event = decoded[n.id] = Positioned(to_event(n), n.id)
                events.append(event)
        return events


Due = tuple[BatchProjection[Any], int, Sequence[Notification]]  # a projection's part of a batch


def _after(notifications: Sequence[Notification], position: int) -> Sequence[Notification]:
    """The notifications after `position` (they are in position order)."""
    if not notifications or notifications[0].id > position:
        return notifications
    return [n for n in notifications if n.id > position]
