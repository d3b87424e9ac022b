"""The ticket lifecycle (工单流程) as ONE declarative table: state by action → next state.

The aggregate enforces it, the HTTP 409 answer quotes it and the docs print it
(`kefu docs transitions`). Changing a row changes how stored events replay, so rows are
only ever added for new actions, never edited.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import allowed_in, follow, table_markdown


class TicketStatus(StrEnum):
    """Where a ticket stands."""

    OPEN = "open"  # 受理
    REVIEWED = "reviewed"  # 复核
    DISPATCHED = "dispatched"  # 派单
    IN_PROGRESS = "in_progress"
    PENDING = "pending"  # 待客户回复: waiting for the customer; SLA clocks are paused
    RESOLVED = "resolved"  # 处理
    FEEDBACK_GIVEN = "feedback_given"  # 反馈
    CLOSED = "closed"
    REOPENED = "reopened"
    ARCHIVED = "archived"  # 归档: terminal
    CANCELLED = "cancelled"  # opened by mistake: withdrawn, never resolved
    DUPLICATE = "duplicate"  # the same request as another ticket, which carries the work


class TicketAction(StrEnum):
    """What may be done to a ticket; the values are the HTTP action names."""

    REVIEW = "review"
    DISPATCH = "dispatch"
    REDISPATCH = "redispatch"
    URGE = "urge"
    FOLLOW_UP = "follow-ups"
    START = "start"
    RESOLVE = "resolve"
    FEEDBACK = "feedback"
    RATE = "rating"
    CLOSE = "close"
    REOPEN = "reopen"
    ARCHIVE = "archive"
    AWAIT_CUSTOMER = "await-customer"
    CUSTOMER_REPLY = "customer-reply"
    ESCALATE = "escalate"
    SET_PRIORITY = "priority"
    SET_CATEGORY = "category"
    TAG = "tags"
    CANCEL = "cancel"
    MARK_DUPLICATE = "duplicate"
    OPEN_NODE = "nodes"  # 协同工单: a department's node, with its own deadline
    COMPLETE_NODE = "complete-node"
    ESCALATE_NODE = "escalate-node"
    OVERRIDE_NODES = "override-nodes"  # the lead department closes the open nodes, saying why


S = TicketStatus
A = TicketAction

# Before a ticket is resolved: withdraw it or name the ticket it repeats, and work across
# departments node by node.
_UNRESOLVED_EXTRAS: dict[TicketAction, TicketStatus | None] = {
    A.CANCEL: S.CANCELLED,
    A.MARK_DUPLICATE: S.DUPLICATE,
    A.OPEN_NODE: None,
    A.COMPLETE_NODE: None,
    A.ESCALATE_NODE: None,
    A.OVERRIDE_NODES: None,
}
# Withdrawn tickets keep their notes and are archived like closed ones.
_WITHDRAWN: dict[TicketAction, TicketStatus | None] = {A.FOLLOW_UP: None, A.ARCHIVE: S.ARCHIVED}

_WORKING = {
    A.REDISPATCH: S.DISPATCHED,
    A.START: S.IN_PROGRESS,
    A.RESOLVE: S.RESOLVED,
    A.URGE: None,
    A.FOLLOW_UP: None,
    A.AWAIT_CUSTOMER: S.PENDING,
    A.CUSTOMER_REPLY: None,
    A.ESCALATE: None,
    A.SET_PRIORITY: None,
    A.SET_CATEGORY: None,
    A.TAG: None,
    **_UNRESOLVED_EXTRAS,
}

# None as the next state means "stays where it is".
TRANSITIONS: dict[TicketStatus, dict[TicketAction, TicketStatus | None]] = {
    S.OPEN: {
        A.REVIEW: S.REVIEWED,
        A.DISPATCH: S.DISPATCHED,
        A.URGE: None,
        A.FOLLOW_UP: None,
        A.CUSTOMER_REPLY: None,
        A.ESCALATE: None,
        A.SET_PRIORITY: None,
        A.SET_CATEGORY: None,
        A.TAG: None,
        **_UNRESOLVED_EXTRAS,
    },
    S.REVIEWED: {
        A.DISPATCH: S.DISPATCHED,
        A.URGE: None,
        A.FOLLOW_UP: None,
        A.CUSTOMER_REPLY: None,
        A.ESCALATE: None,
        A.SET_PRIORITY: None,
        A.SET_CATEGORY: None,
        A.TAG: None,
        **_UNRESOLVED_EXTRAS,
    },
    S.DISPATCHED: _WORKING,
    S.IN_PROGRESS: {k: v for k, v in _WORKING.items() if k is not A.START},
    S.REOPENED: _WORKING,
    # Waiting for the customer: their answer resumes the work (and the clocks).
    S.PENDING: {
        A.CUSTOMER_REPLY: S.IN_PROGRESS,
        A.RESOLVE: S.RESOLVED,
        A.REDISPATCH: S.DISPATCHED,
        A.URGE: None,
        A.FOLLOW_UP: None,
        A.ESCALATE: None,
        A.SET_PRIORITY: None,
        A.SET_CATEGORY: None,
        A.TAG: None,
        **_UNRESOLVED_EXTRAS,
    },
    S.RESOLVED: {
        A.FEEDBACK: S.FEEDBACK_GIVEN,
        A.RATE: None,
        A.CLOSE: S.CLOSED,
        A.REOPEN: S.REOPENED,
        A.FOLLOW_UP: None,
    },
    S.FEEDBACK_GIVEN: {A.RATE: None, A.CLOSE: S.CLOSED, A.REOPEN: S.REOPENED, A.FOLLOW_UP: None},
    S.CLOSED: {A.RATE: None, A.REOPEN: S.REOPENED, A.ARCHIVE: S.ARCHIVED, A.FOLLOW_UP: None},
    S.ARCHIVED: {},
    S.CANCELLED: _WITHDRAWN,
    S.DUPLICATE: _WITHDRAWN,
}

# The first of these after opening is the ticket's first response (首次响应).
AGENT_ACTIONS = frozenset(
    {
        A.REVIEW,
        A.DISPATCH,
        A.REDISPATCH,
        A.START,
        A.RESOLVE,
        A.FOLLOW_UP,
        A.FEEDBACK,
        A.AWAIT_CUSTOMER,
    }
)


def allowed_actions(status: TicketStatus) -> tuple[str, ...]:
    """The actions the table allows in `status`, in the table's order."""
    return allowed_in(TRANSITIONS, status)


def next_status(status: TicketStatus, action: TicketAction) -> TicketStatus:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for the docs and `kefu docs transitions`."""
    return table_markdown(TRANSITIONS)
