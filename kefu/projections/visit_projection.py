"""The visit view (its table and list queries) and the projection that keeps it."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from kefu.domain.visit import Visit
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.erased_documents import erased_visit
from kefu.projections.listing import BadFilter
from kefu.projections.sql import db_time
from kefu.projections.visit_document import VisitDocument
from kefu.projections.visit_document import fold as fold_visit

_OPEN = "status <> 'done'"
# Which open tasks each ?due= selects, by business date.
DUE = {
    "today": f"{_OPEN} AND due_on = :today",
    "overdue": f"{_OPEN} AND due_on < :today",
    "late": f"{_OPEN} AND finish_by < :today",  # members' visits past their 3-day limit
}

VISIT_VIEWS = "visit_views"


class VisitView(DocumentView[VisitDocument]):
    """One row per visit task, with the columns the visit lists filter and sort on."""

    table = VISIT_VIEWS
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

    def erased(self, doc: VisitDocument) -> VisitDocument:
        return erased_visit(doc)

    # (filter, sort, id): each list order and its cursor is a range of one index (listing.py).
    indexes = ("due_on, id", "scheduled_at, id", "status, due_on, id", "assignee_id", "customer_id")

    @staticmethod
    def due_condition(kind: str, today: date) -> tuple[str, dict[str, object]]:
        """A WHERE condition for open tasks due `today`, overdue or late as of `today`."""
        if kind not in DUE:
            raise BadFilter("due", kind, list(DUE))
        return f"({DUE[kind]})", {"today": today.isoformat()}

    def open_for(self, customer_id: UUID) -> list[UUID]:
        """The customer's visits not done yet (the planner moves them when the file is merged)."""
        rows = self.query(
            f"SELECT id FROM {self.table} WHERE customer_id = :customer AND status <> 'done' "
            "ORDER BY id",
            {"customer": str(customer_id)},
        )
        return [UUID(row["id"]) for row in rows]

    def seen(self) -> int:
        """The log position this view has processed up to."""
        return self.max_tracking_id(VISIT_VIEWS) or 0


class VisitProjection(FoldProjection[VisitView]):
    """Keeps one row per visit task up to date."""

    erases_personal_data = True

    name = VISIT_VIEWS
    event_classes = (
        Visit.Scheduled,
        Visit.MovedToCustomer,
        Visit.Assigned,
        Visit.Rescheduled,
        Visit.NotReached,
        Visit.Done,
        Visit.Escalated,
    )

    fold = staticmethod(fold_visit)
