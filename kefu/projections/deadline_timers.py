"""The complaint due-timer table: per complaint, its deadlines and when the next one falls due.

Like `sla_timers`, a view built from events; the automation asks it only for the rows due now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from kefu.domain.complaint import Complaint
from kefu.domain.complaint_deadlines import ComplaintDeadlines, fold_deadlines
from kefu.domain.metadata import imported
from kefu.projections.documents import FoldProjection
from kefu.projections.due_timers import DueTimerView


class DeadlineDoc(msgspec.Struct, frozen=True, kw_only=True):
    """A complaint's deadlines and the due time of the next open one (None: none open)."""

    deadlines: ComplaintDeadlines
    due_at: datetime | None = None
    version: int
    position: int


class ComplaintTimerStore(DueTimerView[DeadlineDoc]):
    """One row per complaint; `due_at` indexed."""

    table = "complaint_timers"
    document = DeadlineDoc


class ComplaintTimersProjection(FoldProjection[ComplaintTimerStore]):
    """Keeps the complaint due-timer table."""

    name = "complaint_timers"
    event_classes = (
        Complaint.Registered, Complaint.Acknowledged, Complaint.ResolutionAccepted,
        Complaint.TaskAssigned, Complaint.TaskCompleted, Complaint.TaskFailed,
        Complaint.Closed, Complaint.Archived, Complaint.Escalated,
    )  # fmt: skip

    @staticmethod
    def fold(doc: DeadlineDoc | None, event: Any, position: int, /) -> DeadlineDoc:
        deadlines = fold_deadlines(doc.deadlines if doc else None, event)
        return DeadlineDoc(
            deadlines=deadlines,
            # Imported history sets no timer (docs/import.md): the next change made here does.
            due_at=None if imported(event) else deadlines.next_due(),
            version=event.originator_version,
            position=position,
        )
