"""The ticket view's table and projection."""

from __future__ import annotations

from typing import Any, ClassVar

from kefu.domain.ticket import Ticket
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.sql import db_time
from kefu.projections.ticket_view import TicketView, fold

PRIORITY_RANK = {"urgent": 0, "important": 1, "normal": 2}


class TicketViewStore(DocumentView[TicketView]):
    """One row per ticket, with the columns the ticket lists filter and sort on."""

    table = "ticket_views"
    document = TicketView
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "priority": ("TEXT NOT NULL", lambda v: v.priority),
        "priority_rank": ("INTEGER NOT NULL", lambda v: PRIORITY_RANK[v.priority]),
        "channel": ("TEXT NOT NULL", lambda v: v.channel),
        "category": ("TEXT NOT NULL", lambda v: v.category),
        "customer_id": ("TEXT", lambda v: v.customer_id),
        "department": ("TEXT", lambda v: v.department),
        "assignee_id": ("TEXT", lambda v: v.assignee_id),
        "opened_at": ("TEXT NOT NULL", lambda v: db_time(v.opened_at)),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
        "response_due_at": ("TEXT NOT NULL", lambda v: db_time(v.response_due_at)),
        "resolution_due_at": ("TEXT NOT NULL", lambda v: db_time(v.resolution_due_at)),
        "first_response_at": ("TEXT", lambda v: db_time(v.first_response_at)),
        "resolved_at": ("TEXT", lambda v: db_time(v.resolved_at)),
        "closed_at": ("TEXT", lambda v: db_time(v.closed_at)),
    }
    indexes = ("status, opened_at", "assignee_id", "customer_id", "resolution_due_at")


class TicketViewProjection(FoldProjection[TicketViewStore]):
    """Keeps one row per ticket up to date."""

    name = "ticket_views"
    event_classes = (
        Ticket.Opened, Ticket.Reviewed, Ticket.Dispatched, Ticket.Redispatched, Ticket.Urged,
        Ticket.FollowedUp, Ticket.Started, Ticket.Resolved, Ticket.FeedbackGiven, Ticket.Rated,
        Ticket.Closed, Ticket.Reopened, Ticket.Archived,
    )  # fmt: skip

    def fold(self, doc: Any | None, event: Any, position: int) -> TicketView:
        return fold(doc, event, position)
