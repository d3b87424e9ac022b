"""The complaint view (its table and list queries) and the projection that keeps it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from kefu.domain.complaint import Complaint
from kefu.projections.agent_projection import groups_column
from kefu.projections.complaint_document import ComplaintDocument
from kefu.projections.complaint_document import fold as fold_complaint
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.erased_documents import erased_complaint
from kefu.projections.listing import BadFilter
from kefu.projections.sql import db_time
from kefu.projections.ticket_projection import PRIORITY_RANK

# A missed deadline: the reply came after it, or has not come and it has passed.
# ComplaintDocument.overdue is the same rule on one document; a test checks that the two agree.
_FIRST_REPLY_MISSED = "COALESCE(acknowledged_at, :now) > first_reply_due_at"
_FINAL_ANSWER_MISSED = "COALESCE(answered_at, :now) > final_answer_due_at"
MISSED_DEADLINE = {
    "first_reply": _FIRST_REPLY_MISSED,
    "final_answer": _FINAL_ANSWER_MISSED,
    "any": f"{_FIRST_REPLY_MISSED} OR {_FINAL_ANSWER_MISSED}",
}


def complaint_departments(view: ComplaintDocument) -> str:
    """The `departments` column: responsible and task departments as `|a|b|`."""
    named = (view.responsible_department, *view.task_departments)
    return groups_column(tuple(dict.fromkeys(d for d in named if d is not None)))


class ComplaintView(DocumentView[ComplaintDocument]):
    """One row per complaint, with the columns the complaint lists filter and sort on."""

    table = "complaint_views"
    document = ComplaintDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "type": ("TEXT NOT NULL", lambda v: v.type),
        "severity": ("TEXT NOT NULL", lambda v: v.severity),
        "severity_rank": ("INTEGER NOT NULL", lambda v: PRIORITY_RANK[v.severity]),
        "major": ("INTEGER NOT NULL", lambda v: int(v.major)),
        "channel": ("TEXT NOT NULL", lambda v: v.channel),
        "customer_id": ("TEXT NOT NULL", lambda v: v.customer_id),
        "ticket_id": ("TEXT", lambda v: None if v.ticket_id is None else str(v.ticket_id)),
        "responsible_department": ("TEXT", lambda v: v.responsible_department),
        # `|a|b|`: the responsible department and every task's (department scopes)
        "departments": ("TEXT NOT NULL", complaint_departments),
        "registered_at": ("TEXT NOT NULL", lambda v: db_time(v.registered_at)),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
        "first_reply_due_at": ("TEXT NOT NULL", lambda v: db_time(v.first_reply_due_at)),
        "final_answer_due_at": ("TEXT NOT NULL", lambda v: db_time(v.final_answer_due_at)),
        "acknowledged_at": ("TEXT", lambda v: db_time(v.acknowledged_at)),
        "answered_at": ("TEXT", lambda v: db_time(v.answered_at)),
        "closed_at": ("TEXT", lambda v: db_time(v.closed_at)),
    }

    def erased(self, doc: ComplaintDocument) -> ComplaintDocument:
        return erased_complaint(doc)

    # (filter, sort, id): each list order and its cursor is a range of one index (listing.py).
    indexes = (
        "registered_at, id",
        "updated_at, id",
        "severity_rank, id",
        "final_answer_due_at, id",
        "status, registered_at, id",
        "customer_id",
        "responsible_department",
    )

    @staticmethod
    def overdue_condition(kind: str, now: datetime) -> tuple[str, dict[str, object]]:
        """A WHERE condition for complaints that missed the `kind` deadline as of `now`."""
        if kind not in MISSED_DEADLINE:
            raise BadFilter("overdue", kind, list(MISSED_DEADLINE))
        return f"({MISSED_DEADLINE[kind]})", {"now": db_time(now)}


class ComplaintProjection(FoldProjection[ComplaintView]):
    """Keeps one row per complaint up to date."""

    erases_personal_data = True

    name = "complaint_views"
    event_classes = (
        Complaint.Registered, Complaint.ReportedToManager, Complaint.MadeMajor,
        Complaint.Acknowledged,
        Complaint.FactsRecorded, Complaint.ResponsibilityAttributed, Complaint.Escalated,
        Complaint.ResolutionProposed, Complaint.ResolutionAccepted, Complaint.ResolutionRejected,
        Complaint.TaskAssigned, Complaint.TaskCompleted, Complaint.TaskFailed,
        Complaint.ContactAttempted, Complaint.Confirmed, Complaint.Closed, Complaint.Reopened,
        Complaint.Archived,
    )  # fmt: skip

    fold = staticmethod(fold_complaint)
