"""Projections that take their events in batches: many events, one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

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

    `event_classes` names the events it reads; the runner decodes no others.
    """

    event_classes: tuple[type[object], ...] = ()
    reads_every_event: bool = False

    @classmethod
    def topic_set(cls) -> frozenset[str] | None:
        """The topics it reads; None when it reads every event."""
        if cls.reads_every_event:
            return None
        return frozenset(get_topic(c) for c in cls.event_classes)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([Positioned(domain_event, tracking.notification_id)], tracking)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        raise NotImplementedError
