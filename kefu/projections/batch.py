"""Projections that take their events in batches: many events, one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from kefu.projections.erasure import ERASURE_EVENTS, erased_records
from kefu.projections.sql import SqlView

TView = TypeVar("TView", bound=SqlView)


class Positioned:
    """A domain event with its position in the application's log."""

    __slots__ = ("event", "position")

    def __init__(self, event: Any, position: int) -> None:
        self.event = event
        self.position = position


class BatchProjection(Projection[TView]):
    """A Projection whose view is updated a batch at a time, with the batch's last position.

    `event_classes` names the events it reads; the runner decodes no others. A projection
    whose view holds personal data sets `erases_personal_data` and implements
    `erase_personal_data`: it then also reads the erasure events (kefu/projections/erasure.py)
    and rewrites the erased records' rows where the erasure stands in the log.
    """

    event_classes: tuple[type[object], ...] = ()
    reads_every_event: bool = False
    erases_personal_data: ClassVar[bool] = False

    @classmethod
    def topic_set(cls) -> frozenset[str] | None:
        """The topics it reads; None when it reads every event."""
        if cls.reads_every_event:
            return None
        erasures = ERASURE_EVENTS if cls.erases_personal_data else ()
        return frozenset(get_topic(c) for c in (*cls.event_classes, *erasures))

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([Positioned(domain_event, tracking.notification_id)], tracking)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        raise NotImplementedError

    def process(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        """`process_batch`, with each erasure applied where it stands among the events: the
        events before it, then the rewrite of the erased rows, then the events after it (all
        in the caller's transaction, each part with its position)."""
        if not self.erases_personal_data:
            self.process_batch(events, tracking)
            return
        segment: list[Positioned] = []
        tracked = None
        for positioned in events:
            if isinstance(positioned.event, self.event_classes):
                segment.append(positioned)
            records = erased_records(positioned.event)
            if records:
                if segment:
                    self.process_batch(segment, Tracking(self.name, positioned.position))
                    segment, tracked = [], positioned.position
                self.erase_personal_data([str(r) for r in records])
        if segment:
            self.process_batch(segment, tracking)
        elif tracked != tracking.notification_id:
            with self.view.write() as tx:
                tx.track(tracking)

    def erase_personal_data(self, record_ids: Sequence[str]) -> None:
        """Rewrites the view's rows of these records with their personal values erased."""
        with self.view.write() as tx:
            self.view.erase_personal_data(tx, record_ids)
