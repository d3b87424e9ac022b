"""The event stream for pull consumers: public events after a position, with long-polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kefu.application import ServiceDesk
from kefu.domain.event_kinds import topics_by_kind, topics_for
from kefu.projections.envelope import envelope

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class StreamPage:
    """Events in log order, and the position to ask after next time.

    `next_after` moves past positions that hold no wanted event, so a consumer with a
    narrow filter does not scan the same stretch of the log again.
    """

    events: list[dict[str, Any]]
    next_after: int


class EventStream:
    """Reads the log for consumers that follow it without a webhook."""

    def __init__(self, app: ServiceDesk) -> None:
        self.app = app

    def read(
        self,
        after: int,
        event_kinds: Sequence[str],
        aggregate_kinds: Sequence[str],
        limit: int,
        wait_seconds: float = 0.0,
        stop: threading.Event | None = None,
    ) -> StreamPage:
        """The page after `after`; when it is empty, waits up to `wait_seconds` for one."""
        topics = self._topics(event_kinds, aggregate_kinds)
        deadline = time.monotonic() + wait_seconds
        while True:
            page = self._page(after, topics, limit)
            if page.events or time.monotonic() >= deadline or (stop and stop.is_set()):
                return page
            time.sleep(POLL_SECONDS)

    def _topics(self, event_kinds: Sequence[str], aggregate_kinds: Sequence[str]) -> list[str]:
        if not event_kinds and not aggregate_kinds:
            return sorted(topics_by_kind().values())
        return topics_for(event_kinds, aggregate_kinds)

    def _page(self, after: int, topics: list[str], limit: int) -> StreamPage:
        # The head is read first: every position up to it is committed, so a short page
        # proves there is nothing more to want up to the head.
        head = self.app.recorder.max_notification_id() or 0
        notifications = self.app.recorder.select_notifications(
            start=after, limit=limit, stop=head, topics=topics, inclusive_of_start=False
        )
        to_event = self.app.mapper.to_domain_event
        events = [envelope(to_event(n), n.topic, n.id) for n in notifications]
        full = len(notifications) == limit
        last = notifications[-1].id if notifications else after
        return StreamPage(events, last if full else max(last, head, after))
