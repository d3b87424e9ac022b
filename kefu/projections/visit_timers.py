"""The visit due-timer table: per member visit, when it becomes late (its 3-day limit).

Like `sla_timers`, a view built from events; the automation asks it only for the rows due now
and decides each visit again from its own events (`kefu/processes/visit_watch.py`).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

import msgspec

from kefu.domain.visit import Visit, late_from
from kefu.projections.documents import FoldProjection
from kefu.projections.due_timers import DueTimerView


class VisitTimerDoc(msgspec.Struct, frozen=True, kw_only=True):
    """A visit's deadline (None: not a member's), whether it is done or escalated, and when
    it falls due (None: nothing to watch)."""

    finish_by: date | None
    done: bool = False
    escalated: bool = False
    due_at: datetime | None = None
    version: int
    position: int


class VisitTimerStore(DueTimerView[VisitTimerDoc]):
    """One row per visit; `due_at` indexed."""

    table = "visit_timers"
    document = VisitTimerDoc


class VisitTimersProjection(FoldProjection[VisitTimerStore]):
    """Keeps the visit due-timer table."""

    name = "visit_timers"
    event_classes = (Visit.Scheduled, Visit.Done, Visit.Escalated)

    def __init__(self, view: VisitTimerStore, zone: tzinfo) -> None:
        super().__init__(view)
        self.zone = zone

    # An instance method, not the usual staticmethod: the day ends in the business time zone.
    def fold(self, doc: VisitTimerDoc | None, event: Any, position: int) -> VisitTimerDoc:  # type: ignore[override]
        finish_by = event.finish_by if isinstance(event, Visit.Scheduled) else None
        finish_by = doc.finish_by if doc else finish_by
        done = isinstance(event, Visit.Done) or (doc is not None and doc.done)
        escalated = isinstance(event, Visit.Escalated) or (doc is not None and doc.escalated)
        watching = finish_by is not None and not done and not escalated
        return VisitTimerDoc(
            finish_by=finish_by,
            done=done,
            escalated=escalated,
            due_at=late_from(finish_by, self.zone) if watching and finish_by else None,
            version=event.originator_version,
            position=position,
        )
