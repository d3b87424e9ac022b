"""The ticket document (工单查询): one ticket as agents see it, folded from its events."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.collaboration import NodeStatus, light
from kefu.domain.lifecycle import status_after
from kefu.domain.sla_clocks import TicketClocks, fold_clocks
from kefu.domain.thread import EntryKind, TicketEntryPosted
from kefu.domain.ticket import EVENT_ACTIONS, Ticket
from kefu.domain.ticket_lifecycle import TRANSITIONS, TicketStatus


class NodeDocument(msgspec.Struct, frozen=True, kw_only=True):
    """协同工单: one department's node (its light is read at the moment of the request)."""

    department: str
    owner_id: str | None
    deliverable: str
    opened_at: datetime
    warn_at: datetime
    due_at: datetime
    status: str = str(NodeStatus.OPEN)
    finished_at: datetime | None = None
    escalated: bool = False

    def light(self, now: datetime) -> str:
        return str(light(self.warn_at, self.due_at, self.finished_at, now))


class TicketDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket as report consumers and agents see it."""

    id: UUID
    status: str
    priority: str
    channel: str
    category: str
    customer_id: str | None
    subject: str
    description: str
    department: str | None = None
    assignee_id: str | None = None
    opened_at: datetime
    updated_at: datetime
    response_due_at: datetime
    resolution_due_at: datetime
    first_response_at: datetime | None = None
    first_response_seconds: float | None = None
    # The thread: the customer's first message (else the opening) to the first public reply.
    first_customer_message_at: datetime | None = None
    first_reply_at: datetime | None = None
    first_reply_seconds: float | None = None
    thread_entries: int = 0
    urge_count: int = 0
    resolution: str | None = None
    resolution_code: str | None = None
    resolved_at: datetime | None = None
    feedback_channel: str | None = None
    rating: int | None = None
    rating_comment: str | None = None
    reopen_count: int = 0
    closed_at: datetime | None = None
    archived_at: datetime | None = None
    escalation_level: int = 0
    tags: tuple[str, ...] = ()
    sla: TicketClocks | None = None  # the SLA clocks (rendered with elapsed/remaining)
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None  # withdrawn (cancelled, or marked a duplicate)
    duplicate_of: str | None = None  # the ticket this one repeats
    duplicates: tuple[str, ...] = ()  # the tickets marked as repeating this one
    nodes: tuple[NodeDocument, ...] = ()  # 协同工单: one per department
    version: int
    position: int = 0

    def overdue(self, now: datetime) -> dict[str, bool]:
        """Whether the response and the resolution missed (or are missing) their deadlines; a
        withdrawn ticket (cancelled or a duplicate) misses none."""
        if self.cancelled_at is not None:
            return {"response_overdue": False, "resolution_overdue": False}
        responded = self.first_response_at or now
        resolved = self.resolved_at if self.status not in ("reopened",) else None
        return {
            "response_overdue": responded > self.response_due_at,
            "resolution_overdue": (resolved or now) > self.resolution_due_at,
        }


FIRST_RESPONSE_EVENTS = (
    Ticket.Reviewed,
    Ticket.Dispatched,
    Ticket.Redispatched,
    Ticket.Started,
    Ticket.Resolved,
    Ticket.FollowedUp,
    Ticket.FeedbackGiven,
    Ticket.AwaitingCustomer,
)


def fold(view: TicketDocument | None, event: Any, position: int) -> TicketDocument:
    """The view after `event` (an event of the ticket at `position` in the log)."""
    if view is None:
        return replace(_opened(event, position), sla=fold_clocks(None, event))
    changed = _apply(event, view)
    changed = replace(
        changed,
        sla=fold_clocks(view.sla, event),
        status=_status_after(changed, event),
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )
    if changed.first_response_at is None and _is_first_response(event):
        seconds = (event.timestamp - changed.opened_at).total_seconds()
        changed = replace(
            changed, first_response_at=event.timestamp, first_response_seconds=seconds
        )
    return changed


def _is_first_response(event: Any) -> bool:
    """An agent's action, or a public reply in the thread (whichever comes first)."""
    if isinstance(event, TicketEntryPosted):
        return event.entry.kind is EntryKind.PUBLIC_REPLY
    return isinstance(event, FIRST_RESPONSE_EVENTS)


def _status_after(view: Any, event: Any) -> str:
    return str(status_after(TRANSITIONS, EVENT_ACTIONS, TicketStatus(view.status), event))


def _opened(event: Ticket.Opened, position: int) -> TicketDocument:
    return TicketDocument(
        id=event.originator_id,
        status="open",
        priority=str(event.priority),
        channel=str(event.channel),
        category=event.category,
        customer_id=event.customer_id,
        subject=event.subject,
        description=event.description,
        opened_at=event.timestamp,
        updated_at=event.timestamp,
        response_due_at=event.response_due_at,
        resolution_due_at=event.resolution_due_at,
        version=event.originator_version,
        position=position,
    )


@singledispatch
def _apply(event: Any, view: TicketDocument) -> TicketDocument:
    return view


@_apply.register
def _(event: Ticket.Dispatched, view: TicketDocument) -> TicketDocument:
    return replace(view, department=event.department, assignee_id=event.agent_id)


@_apply.register
def _(event: Ticket.Redispatched, view: TicketDocument) -> TicketDocument:
    return replace(view, department=event.department, assignee_id=event.agent_id)


@_apply.register
def _(event: Ticket.Urged, view: TicketDocument) -> TicketDocument:
    return replace(view, urge_count=view.urge_count + 1)


@_apply.register
def _(event: Ticket.Resolved, view: TicketDocument) -> TicketDocument:
    return replace(
        view, resolution=event.resolution, resolution_code=event.code, resolved_at=event.timestamp
    )


@_apply.register
def _(event: Ticket.FeedbackGiven, view: TicketDocument) -> TicketDocument:
    return replace(view, feedback_channel=str(event.channel))


@_apply.register
def _(event: Ticket.Rated, view: TicketDocument) -> TicketDocument:
    return replace(view, rating=event.score, rating_comment=event.comment)


@_apply.register
def _(event: Ticket.Closed, view: TicketDocument) -> TicketDocument:
    return replace(view, closed_at=event.timestamp)


@_apply.register
def _(event: Ticket.Reopened, view: TicketDocument) -> TicketDocument:
    return replace(
        view,
        resolution_due_at=event.resolution_due_at,
        reopen_count=view.reopen_count + 1,
        resolved_at=None,
        closed_at=None,
        rating=None,
        rating_comment=None,
    )


@_apply.register
def _(event: Ticket.Escalated, view: TicketDocument) -> TicketDocument:
    changed = replace(
        view,
        priority=str(event.priority or view.priority),
        escalation_level=max(view.escalation_level, event.level),
    )
    if event.department is not None:
        return replace(changed, department=event.department, assignee_id=event.agent_id)
    if event.agent_id is not None:
        return replace(changed, assignee_id=event.agent_id)
    return changed


@_apply.register
def _(event: Ticket.PriorityChanged, view: TicketDocument) -> TicketDocument:
    return replace(view, priority=str(event.priority))


@_apply.register
def _(event: Ticket.Recategorised, view: TicketDocument) -> TicketDocument:
    return replace(view, category=event.category)


@_apply.register
def _(event: Ticket.Tagged, view: TicketDocument) -> TicketDocument:
    return view if event.tag in view.tags else replace(view, tags=(*view.tags, event.tag))


@_apply.register
def _(event: Ticket.Archived, view: TicketDocument) -> TicketDocument:
    return replace(view, archived_at=event.timestamp)


@_apply.register
def _(event: Ticket.Cancelled, view: TicketDocument) -> TicketDocument:
    return replace(view, cancel_reason=event.reason, cancelled_at=event.timestamp)


@_apply.register
def _(event: Ticket.MarkedDuplicate, view: TicketDocument) -> TicketDocument:
    return replace(view, duplicate_of=event.original_id, cancelled_at=event.timestamp)


def with_duplicate(original: TicketDocument, duplicate_id: UUID) -> TicketDocument:
    """The original ticket's document, naming one more ticket that repeats it."""
    if str(duplicate_id) in original.duplicates:
        return original
    return replace(original, duplicates=(*original.duplicates, str(duplicate_id)))


@_apply.register
def _(event: Ticket.NodeOpened, view: TicketDocument) -> TicketDocument:
    node = NodeDocument(
        department=event.department,
        owner_id=event.owner_id,
        deliverable=event.deliverable,
        opened_at=event.timestamp,
        warn_at=event.warn_at,
        due_at=event.due_at,
    )
    return replace(view, nodes=(*view.nodes, node))


@_apply.register
def _(event: Ticket.NodeCompleted, view: TicketDocument) -> TicketDocument:
    return _finished(view, (event.department,), NodeStatus.DONE, event.timestamp)


@_apply.register
def _(event: Ticket.NodesOverridden, view: TicketDocument) -> TicketDocument:
    return _finished(view, event.departments, NodeStatus.OVERRIDDEN, event.timestamp)


@_apply.register
def _(event: Ticket.NodeEscalated, view: TicketDocument) -> TicketDocument:
    nodes = tuple(
        replace(n, escalated=True) if n.department == event.department else n for n in view.nodes
    )
    return replace(view, nodes=nodes)


def _finished(
    view: TicketDocument, departments: tuple[str, ...], status: NodeStatus, at: datetime
) -> TicketDocument:
    nodes = tuple(
        replace(n, status=str(status), finished_at=at) if n.department in departments else n
        for n in view.nodes
    )
    return replace(view, nodes=nodes)


@_apply.register
def _(event: TicketEntryPosted, view: TicketDocument) -> TicketDocument:
    changed = replace(view, thread_entries=view.thread_entries + 1)
    kind = event.entry.kind
    if kind is EntryKind.CUSTOMER_MESSAGE and view.first_customer_message_at is None:
        return replace(changed, first_customer_message_at=event.timestamp)
    if kind is EntryKind.PUBLIC_REPLY and view.first_reply_at is None:
        asked = view.first_customer_message_at or view.opened_at
        seconds = (event.timestamp - asked).total_seconds()
        return replace(changed, first_reply_at=event.timestamp, first_reply_seconds=seconds)
    return changed
