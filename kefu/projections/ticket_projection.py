"""The ticket view (its table, list and board queries) and the projection that keeps it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from kefu.domain.thread import TicketEntryPosted
from kefu.domain.ticket import Ticket
from kefu.projections.agent_projection import groups_column
from kefu.projections.batch import Positioned
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.erased_documents import erased_ticket
from kefu.projections.listing import BadFilter, Filter, ListQuery
from kefu.projections.sql import db_time
from kefu.projections.ticket_document import TicketDocument, with_duplicate
from kefu.projections.ticket_document import fold as fold_ticket

PRIORITY_RANK = {"urgent": 0, "important": 1, "normal": 2}
WITHDRAWN = "status IN ('cancelled', 'duplicate')"  # never resolved, owed nothing
UNRESOLVED = (
    "status NOT IN ('resolved', 'feedback_given', 'closed', 'archived', 'cancelled', 'duplicate')"
)
NOT_CLOSED = "status NOT IN ('closed', 'archived', 'cancelled', 'duplicate')"
# A missed deadline (?overdue=): the answer came after it, or has not come and it has passed
# (a withdrawn ticket misses none). TicketDocument.overdue is the same rule on one document; a
# test checks that the two agree.
MISSED_DEADLINE = {
    "response": f"NOT {WITHDRAWN} AND COALESCE(first_response_at, :now) > response_due_at",
    "resolution": f"NOT {WITHDRAWN} AND COALESCE(resolved_at, :now) > resolution_due_at",
}
# Open work past its deadline now (the department board; a late answer given does not count).
RESPONSE_LATE_NOW = f"({UNRESOLVED} AND first_response_at IS NULL AND response_due_at < :now)"
RESOLUTION_LATE_NOW = f"({UNRESOLVED} AND resolution_due_at < :now)"


def ticket_departments(view: TicketDocument) -> str:
    """The `departments` column: the ticket's department and its nodes' as `|a|b|`."""
    named = (view.department, *(node.department for node in view.nodes))
    return groups_column(tuple(dict.fromkeys(d for d in named if d is not None)))


class TicketView(DocumentView[TicketDocument]):
    """One row per ticket, with the columns the ticket lists filter and sort on."""

    table = "ticket_views"
    document = TicketDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "priority": ("TEXT NOT NULL", lambda v: v.priority),
        "priority_rank": ("INTEGER NOT NULL", lambda v: PRIORITY_RANK[v.priority]),
        "channel": ("TEXT NOT NULL", lambda v: v.channel),
        "category": ("TEXT NOT NULL", lambda v: v.category),
        "customer_id": ("TEXT", lambda v: v.customer_id),
        "department": ("TEXT", lambda v: v.department),
        # `|a|b|`: the department and every collaborative node's (department scopes)
        "departments": ("TEXT NOT NULL", ticket_departments),
        "assignee_id": ("TEXT", lambda v: v.assignee_id),
        "opened_at": ("TEXT NOT NULL", lambda v: db_time(v.opened_at)),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
        "response_due_at": ("TEXT NOT NULL", lambda v: db_time(v.response_due_at)),
        "resolution_due_at": ("TEXT NOT NULL", lambda v: db_time(v.resolution_due_at)),
        "first_response_at": ("TEXT", lambda v: db_time(v.first_response_at)),
        "resolved_at": ("TEXT", lambda v: db_time(v.resolved_at)),
        "closed_at": ("TEXT", lambda v: db_time(v.closed_at)),
    }

    def erased(self, doc: TicketDocument) -> TicketDocument:
        return erased_ticket(doc)

    # (filter, sort, id): each list order and its cursor is a range of one index (listing.py).
    indexes = (
        "opened_at, id",
        "updated_at, id",
        "priority_rank, id",
        "resolution_due_at, id",
        "status, opened_at, id",
        "status, resolution_due_at, id",
        f"assignee_id, resolution_due_at, id WHERE {NOT_CLOSED}",  # the work queue
        "customer_id",
        "department, status",
    )

    @staticmethod
    def overdue_condition(kind: str, now: datetime) -> tuple[str, dict[str, object]]:
        """A WHERE condition for tickets that missed the `kind` deadline as of `now`."""
        if kind not in MISSED_DEADLINE:
            raise BadFilter("overdue", kind, list(MISSED_DEADLINE))
        return f"({MISSED_DEADLINE[kind]})", {"now": db_time(now)}

    def queue(
        self, assignee_id: str, limit: int, cursor: str | None
    ) -> tuple[list[TicketDocument], str | None]:
        """One page of an agent's work queue: assigned, not closed or archived, by due time."""
        query = ListQuery(
            filters=[Filter("assignee_id", "eq", assignee_id)],
            order_by="resolution_due_at",
            limit=limit,
            cursor=cursor,
            extra_where=[NOT_CLOSED],
        )
        return self.page(query)

    def board(self, department: str, now: datetime) -> dict[str, Any]:
        """A department's tickets counted by status, and how many are overdue now."""
        params = {"department": department, "now": db_time(now)}
        by_status = self.query(
            f"SELECT status, COUNT(*) AS n FROM {self.table} "
            "WHERE department = :department GROUP BY status ORDER BY status",
            params,
        )
        late = self.query(
            f"SELECT SUM(CASE WHEN {RESPONSE_LATE_NOW} THEN 1 ELSE 0 END) AS response, "
            f"SUM(CASE WHEN {RESOLUTION_LATE_NOW} THEN 1 ELSE 0 END) AS resolution "
            f"FROM {self.table} WHERE department = :department",
            params,
        )[0]
        counts = {str(row["status"]): int(row["n"]) for row in by_status}
        return {
            "by_status": counts,
            "total": sum(counts.values()),
            "overdue": int(late["resolution"] or 0),
            "response_overdue": int(late["response"] or 0),
        }


class TicketProjection(FoldProjection[TicketView]):
    """Keeps one row per ticket up to date."""

    erases_personal_data = True

    name = "ticket_views"
    event_classes = (
        Ticket.Opened, Ticket.Reviewed, Ticket.Dispatched, Ticket.Redispatched, Ticket.Urged,
        Ticket.FollowedUp, Ticket.Started, Ticket.Resolved, Ticket.FeedbackGiven, Ticket.Rated,
        Ticket.Closed, Ticket.Reopened, Ticket.Archived, Ticket.AwaitingCustomer,
        Ticket.CustomerReplied, Ticket.Escalated, Ticket.SlaAssigned, Ticket.SlaWarned,
        Ticket.SlaBreached, Ticket.PriorityChanged, Ticket.Recategorised, Ticket.Tagged,
        Ticket.Cancelled, Ticket.MarkedDuplicate, Ticket.NodeOpened, Ticket.NodeCompleted,
        Ticket.NodeEscalated, Ticket.NodesOverridden,
        TicketEntryPosted,
    )  # fmt: skip

    fold = staticmethod(fold_ticket)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        """Folds each ticket's events; a ticket marked a duplicate is also named on the
        ticket it repeats, so the link reads both ways."""
        with self.view.write() as tx:
            ids = [p.event.originator_id for p in events]
            ids += [UUID(p.event.original_id) for p in events if _duplicate(p.event)]
            docs = self.view.get_many(tx, list(dict.fromkeys(ids)))
            for p in events:
                key = p.event.originator_id
                docs[key] = self.fold(docs.get(key), p.event, p.position)
                original = UUID(p.event.original_id) if _duplicate(p.event) else None
                if original is not None and original in docs:
                    docs[original] = with_duplicate(docs[original], key)
            self.view.save(tx, docs, tracking)


def _duplicate(event: Any) -> bool:
    return isinstance(event, Ticket.MarkedDuplicate)
