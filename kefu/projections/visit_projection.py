"""The visit view (its table and list queries) and the projection that keeps it."""

from __future__ import annotations

from typing import ClassVar

from kefu.domain.visit import Visit
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.sql import db_time
from kefu.projections.visit_document import VisitDocument
from kefu.projections.visit_document import fold as fold_visit


class VisitView(DocumentView[VisitDocument]):
    """One row per visit task, with the columns the visit lists filter and sort on."""

    table = "visit_views"
    document = VisitDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "customer_id": ("TEXT NOT NULL", lambda v: str(v.customer_id)),
        "assignee_id": ("TEXT", lambda v: v.assignee_id),
        "rule": ("TEXT NOT NULL", lambda v: v.rule),
        "due_on": ("TEXT NOT NULL", lambda v: v.due_on.isoformat()),
        "finish_by": ("TEXT", lambda v: v.finish_by.isoformat() if v.finish_by else None),
        "scheduled_at": ("TEXT NOT NULL", lambda v: db_time(v.scheduled_at)),
    }
    indexes = ("status, due_on", "assignee_id", "customer_id")


class VisitProjection(FoldProjection[VisitView]):
    """Keeps one row per visit task up to date."""

    name = "visit_views"
    event_classes = (
        Visit.Scheduled,
        Visit.Assigned,
        Visit.Rescheduled,
        Visit.NotReached,
        Visit.Done,
    )

    fold = staticmethod(fold_visit)
