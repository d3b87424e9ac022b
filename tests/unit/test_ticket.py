"""The ticket (工单) aggregate: deadlines, each verb's effect, the lifecycle table's refusals."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority, ResponseTimes
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.sla import Escalation
from kefu.domain.ticket import EVENT_ACTIONS, Ticket
from kefu.domain.ticket_lifecycle import (
    AGENT_ACTIONS,
    TRANSITIONS,
    TicketAction,
    TicketStatus,
    transition_table_markdown,
)

A = TicketAction
S = TicketStatus
SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI)
POLICY = DeadlinePolicy()


def meta(actor: str = "agent-7", n: int = 1) -> EventMetadata:
    return EventMetadata(
        actor_id=actor,
        actor_role="service",
        command_id=UUID(int=n),
        correlation_id=UUID(int=1000 + n),
        causation_id=UUID(int=2000 + n),
        channel="web",
    )


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def open_ticket(
    priority: Priority = Priority.NORMAL, policy: DeadlinePolicy = POLICY, at: datetime = T0
) -> Ticket:
    return Ticket.open(
        channel=Channel.PHONE,
        customer_id="c-42",
        category="billing",
        priority=priority,
        subject="Charged twice",
        description="My card was charged twice for one order.",
        policy=policy,
        meta=meta("agent-1", 0),
        at=at,
    )


Verb = Callable[[Ticket, EventMetadata, datetime], None]

# Each action performed with valid arguments: what a well-formed command would do.
VERBS: dict[TicketAction, Verb] = {
    A.REVIEW: lambda t, m, at: t.review(note="content checked", meta=m, at=at),
    A.DISPATCH: lambda t, m, at: t.dispatch(department="billing", agent_id="a-1", meta=m, at=at),
    A.REDISPATCH: lambda t, m, at: t.redispatch(
        department="refunds", agent_id="a-2", reason="refund needed", meta=m, at=at
    ),
    A.URGE: lambda t, m, at: t.urge(urged_by="c-42", reason="still waiting", meta=m, at=at),
    A.FOLLOW_UP: lambda t, m, at: t.follow_up(note="called the bank", meta=m, at=at),
    A.START: lambda t, m, at: t.start(meta=m, at=at),
    A.RESOLVE: lambda t, m, at: t.resolve(resolution="refunded", code="refund", meta=m, at=at),
    A.FEEDBACK: lambda t, m, at: t.give_feedback(
        channel=Channel.SMS, message="refund sent", meta=m, at=at
    ),
    A.RATE: lambda t, m, at: t.rate(score=4, comment="quick", meta=m, at=at),
    A.CLOSE: lambda t, m, at: t.close(meta=m, at=at),
    A.REOPEN: lambda t, m, at: t.reopen(reason="not refunded", policy=POLICY, meta=m, at=at),
    A.ARCHIVE: lambda t, m, at: t.archive(meta=m, at=at),
    A.AWAIT_CUSTOMER: lambda t, m, at: t.await_customer(
        note="asked for the receipt", meta=m, at=at
    ),
    A.CUSTOMER_REPLY: lambda t, m, at: t.record_customer_reply(
        message="receipt attached", meta=m, at=at
    ),
    A.ESCALATE: lambda t, m, at: t.escalate(
        escalation=Escalation(1, "overdue", Priority.URGENT, "supervisors"), meta=m, at=at
    ),
    A.SET_PRIORITY: lambda t, m, at: t.set_priority(
        priority=Priority.URGENT, reason="VIP", meta=m, at=at
    ),
    A.SET_CATEGORY: lambda t, m, at: t.recategorise(
        category="account-security", reason="stolen card", meta=m, at=at
    ),
    A.TAG: lambda t, m, at: t.tag(tag="10-minute-lane", meta=m, at=at),
    A.CANCEL: lambda t, m, at: t.cancel(reason="opened by mistake", meta=m, at=at),
    A.MARK_DUPLICATE: lambda t, m, at: t.mark_duplicate(
        original_id=str(ORIGINAL), reason="asked twice", meta=m, at=at
    ),
    A.OPEN_NODE: lambda t, m, at: t.open_node(
        department="finance",
        owner_id="a-3",
        deliverable="refund",
        warn_at=at + timedelta(hours=8),
        due_at=at + timedelta(hours=10),
        meta=m,
        at=at,
    ),
    A.COMPLETE_NODE: lambda t, m, at: t.complete_node(
        department="warehouse", note="exchanged", meta=m, at=at
    ),
    A.ESCALATE_NODE: lambda t, m, at: t.escalate_node(
        department="warehouse", reason="overdue", meta=m, at=at
    ),
    A.OVERRIDE_NODES: lambda t, m, at: t.override_nodes(
        reason="the customer took a refund instead", meta=m, at=at
    ),
}
ORIGINAL = UUID(int=99)  # the ticket a duplicate repeats

# The node actions need a node: the warehouse's, due a minute after T0 (overdue at later(5)).
NEEDS_A_NODE = {A.COMPLETE_NODE, A.ESCALATE_NODE, A.OVERRIDE_NODES}


def with_node(ticket: Ticket, action: TicketAction) -> Ticket:
    """The ticket, with the warehouse node `action` needs opened at T0."""
    if action in NEEDS_A_NODE:
        ticket.open_node(
            department="warehouse", owner_id=None, deliverable="exchange",
            warn_at=later(0.5), due_at=later(1), meta=meta(), at=T0,
        )  # fmt: skip
    return ticket


EVENT_OF: dict[TicketAction, type[Any]] = {
    A.REVIEW: Ticket.Reviewed,
    A.DISPATCH: Ticket.Dispatched,
    A.REDISPATCH: Ticket.Redispatched,
    A.URGE: Ticket.Urged,
    A.FOLLOW_UP: Ticket.FollowedUp,
    A.START: Ticket.Started,
    A.RESOLVE: Ticket.Resolved,
    A.FEEDBACK: Ticket.FeedbackGiven,
    A.RATE: Ticket.Rated,
    A.CLOSE: Ticket.Closed,
    A.REOPEN: Ticket.Reopened,
    A.ARCHIVE: Ticket.Archived,
    A.AWAIT_CUSTOMER: Ticket.AwaitingCustomer,
    A.CUSTOMER_REPLY: Ticket.CustomerReplied,
    A.ESCALATE: Ticket.Escalated,
    A.SET_PRIORITY: Ticket.PriorityChanged,
    A.SET_CATEGORY: Ticket.Recategorised,
    A.TAG: Ticket.Tagged,
    A.CANCEL: Ticket.Cancelled,
    A.MARK_DUPLICATE: Ticket.MarkedDuplicate,
    A.OPEN_NODE: Ticket.NodeOpened,
    A.COMPLETE_NODE: Ticket.NodeCompleted,
    A.ESCALATE_NODE: Ticket.NodeEscalated,
    A.OVERRIDE_NODES: Ticket.NodesOverridden,
}

_RESOLVED = [A.DISPATCH, A.START, A.RESOLVE]
PATH_TO: dict[TicketStatus, list[TicketAction]] = {
    S.OPEN: [],
    S.REVIEWED: [A.REVIEW],
    S.DISPATCHED: [A.REVIEW, A.DISPATCH],
    S.IN_PROGRESS: [A.DISPATCH, A.START],
    S.RESOLVED: _RESOLVED,
    S.FEEDBACK_GIVEN: [*_RESOLVED, A.FEEDBACK],
    S.CLOSED: [*_RESOLVED, A.CLOSE],
    S.REOPENED: [*_RESOLVED, A.REOPEN],
    S.PENDING: [A.DISPATCH, A.AWAIT_CUSTOMER],
    S.ARCHIVED: [*_RESOLVED, A.CLOSE, A.ARCHIVE],
    S.CANCELLED: [A.CANCEL],
    S.DUPLICATE: [A.REVIEW, A.MARK_DUPLICATE],
}


def act(ticket: Ticket, *actions: TicketAction, at: datetime = T0) -> Ticket:
    for action in actions:
        VERBS[action](ticket, meta(), at)
    return ticket


def ticket_in(status: TicketStatus, at: datetime = T0) -> Ticket:
    ticket = act(open_ticket(at=at), *PATH_TO[status], at=at)
    assert ticket.status is status
    return ticket


def table_allows(status: TicketStatus) -> tuple[str, ...]:
    return tuple(action.value for action in TRANSITIONS[status])


def state_of(ticket: Ticket) -> dict[str, Any]:
    state = copy.deepcopy(ticket.__dict__)
    del state["_pending_events"]
    return state


# Opening and deadlines


@pytest.mark.parametrize(
    ("priority", "respond_within", "resolve_within"),
    [
        (Priority.URGENT, timedelta(minutes=10), timedelta(hours=4)),
        (Priority.IMPORTANT, timedelta(hours=1), timedelta(hours=24)),
        (Priority.NORMAL, timedelta(hours=4), timedelta(hours=72)),
    ],
)
def test_opening_sets_the_deadlines_from_the_priority(
    priority: Priority, respond_within: timedelta, resolve_within: timedelta
) -> None:
    ticket = open_ticket(priority, at=T0)

    assert ticket.response_due_at == T0 + respond_within
    assert ticket.resolution_due_at == T0 + resolve_within


def test_a_custom_deadline_policy_sets_the_deadlines_instead_of_the_defaults() -> None:
    policy = DeadlinePolicy(
        {
            Priority.URGENT: ResponseTimes(timedelta(minutes=3), timedelta(hours=1)),
            Priority.IMPORTANT: ResponseTimes(timedelta(minutes=30), timedelta(hours=8)),
            Priority.NORMAL: ResponseTimes(timedelta(hours=2), timedelta(days=5)),
        }
    )

    ticket = open_ticket(Priority.IMPORTANT, policy=policy, at=T0)

    assert ticket.response_due_at == later(30)
    assert ticket.resolution_due_at == T0 + timedelta(hours=8)


def test_a_new_ticket_is_open_unassigned_unanswered_unurged_and_unrated() -> None:
    ticket = open_ticket(Priority.URGENT)

    assert ticket.status is S.OPEN
    assert (ticket.channel, ticket.customer_id, ticket.category) == (
        Channel.PHONE,
        "c-42",
        "billing",
    )
    assert ticket.priority is Priority.URGENT
    assert ticket.subject == "Charged twice"
    assert ticket.department is None
    assert ticket.assignee_id is None
    assert ticket.first_response_at is None
    assert ticket.urge_count == 0
    assert ticket.rating is None
    assert ticket.version == 1
    assert ticket.created_on == T0


def test_the_opened_event_carries_the_metadata_the_time_and_the_deadlines() -> None:
    ticket = open_ticket(Priority.URGENT, at=T0)

    [opened] = ticket.pending_events
    assert isinstance(opened, Ticket.Opened)
    assert opened.meta == meta("agent-1", 0)
    assert opened.timestamp == T0
    assert opened.response_due_at == later(10)
    assert opened.resolution_due_at == T0 + timedelta(hours=4)


# The lifecycle table, cell by cell


@pytest.mark.parametrize("action", list(TicketAction))
@pytest.mark.parametrize("status", list(TicketStatus))
def test_each_status_accepts_exactly_the_actions_of_its_table_row(
    status: TicketStatus, action: TicketAction
) -> None:
    ticket = ticket_in(status)
    if action in TRANSITIONS[status]:
        with_node(ticket, action)
    events_before = len(ticket.pending_events)

    if action in TRANSITIONS[status]:
        VERBS[action](ticket, meta(), later(5))
        assert ticket.status is (TRANSITIONS[status][action] or status)
        assert type(ticket.pending_events[-1]) is EVENT_OF[action]
        assert len(ticket.pending_events) == events_before + 1
    else:
        with pytest.raises(ActionNotAllowed) as refused:
            VERBS[action](ticket, meta(), later(5))
        assert refused.value.allowed_now == table_allows(status)
        assert ticket.status is status
        assert len(ticket.pending_events) == events_before


def test_a_refusal_names_the_action_the_state_and_the_actions_allowed_now() -> None:
    ticket = open_ticket()

    with pytest.raises(ActionNotAllowed) as refused:
        ticket.resolve(resolution="done", code="ok", meta=meta(), at=later(1))

    assert refused.value.allowed_now == (
        "review",
        "dispatch",
        "urge",
        "follow-ups",
        "customer-reply",
        "escalate",
        "priority",
        "category",
        "tags",
        "cancel",
        "duplicate",
        "nodes",
        "complete-node",
        "escalate-node",
        "override-nodes",
    )
    assert "resolve" in str(refused.value)
    assert "open" in str(refused.value)


def test_every_event_class_maps_to_the_action_that_records_it() -> None:
    assert {EVENT_ACTIONS[cls]: cls for cls in EVENT_ACTIONS} == EVENT_OF
    assert Ticket.Opened not in EVENT_ACTIONS


# Each action's effect


def test_review_moves_an_open_ticket_to_reviewed() -> None:
    ticket = open_ticket()

    ticket.review(note="content checked", meta=meta(), at=later(1))

    assert ticket.status is S.REVIEWED


def test_dispatch_hands_the_ticket_to_a_department_and_an_agent() -> None:
    ticket = open_ticket()

    ticket.dispatch(department="billing", agent_id="a-1", meta=meta(), at=later(1))

    assert ticket.status is S.DISPATCHED
    assert (ticket.department, ticket.assignee_id) == ("billing", "a-1")


def test_dispatch_to_a_department_alone_leaves_the_ticket_without_an_assignee() -> None:
    ticket = open_ticket()

    ticket.dispatch(department="billing", agent_id=None, meta=meta(), at=later(1))

    assert (ticket.department, ticket.assignee_id) == ("billing", None)


def test_redispatch_moves_a_ticket_in_progress_to_another_department_and_agent() -> None:
    ticket = ticket_in(S.IN_PROGRESS)

    ticket.redispatch(
        department="refunds", agent_id="a-9", reason="refund needed", meta=meta(), at=later(1)
    )

    assert ticket.status is S.DISPATCHED
    assert (ticket.department, ticket.assignee_id) == ("refunds", "a-9")


def test_redispatch_to_a_department_alone_drops_the_previous_assignee() -> None:
    ticket = ticket_in(S.DISPATCHED)
    assert ticket.assignee_id == "a-1"

    ticket.redispatch(
        department="refunds", agent_id=None, reason="wrong team", meta=meta(), at=later(1)
    )

    assert (ticket.department, ticket.assignee_id) == ("refunds", None)


def test_every_urge_is_counted_and_leaves_the_status_where_it_was() -> None:
    ticket = ticket_in(S.DISPATCHED)

    for minute in (1, 2, 3):
        ticket.urge(urged_by="c-42", reason="still waiting", meta=meta(), at=later(minute))

    assert ticket.urge_count == 3
    assert ticket.status is S.DISPATCHED


def test_a_follow_up_leaves_the_status_where_it_was() -> None:
    ticket = ticket_in(S.RESOLVED)

    ticket.follow_up(note="customer called back", meta=meta(), at=later(1))

    assert ticket.status is S.RESOLVED


def test_start_puts_a_dispatched_ticket_in_progress() -> None:
    ticket = ticket_in(S.DISPATCHED)

    ticket.start(meta=meta(), at=later(1))

    assert ticket.status is S.IN_PROGRESS


def test_a_ticket_can_be_resolved_given_feedback_closed_and_archived_in_turn() -> None:
    ticket = ticket_in(S.IN_PROGRESS)

    ticket.resolve(resolution="refunded", code="refund", meta=meta(), at=later(1))
    assert ticket.status is S.RESOLVED
    ticket.give_feedback(channel=Channel.SMS, message="refund sent", meta=meta(), at=later(2))
    assert ticket.status is S.FEEDBACK_GIVEN
    ticket.close(meta=meta(), at=later(3))
    assert ticket.status is S.CLOSED
    ticket.archive(meta=meta(), at=later(4))
    assert ticket.status is S.ARCHIVED


# Rating (满意度)


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_a_resolved_ticket_can_be_rated_from_1_to_5(score: int) -> None:
    ticket = ticket_in(S.RESOLVED)

    ticket.rate(score=score, comment="", meta=meta(), at=later(1))

    assert ticket.rating == score
    assert ticket.status is S.RESOLVED


@pytest.mark.parametrize("score", [-1, 0, 6, 100])
def test_a_rating_outside_1_to_5_is_refused(score: int) -> None:
    ticket = ticket_in(S.RESOLVED)

    with pytest.raises(RuleViolated) as refused:
        ticket.rate(score=score, comment="", meta=meta(), at=later(1))

    assert refused.value.allowed_now == table_allows(S.RESOLVED)
    assert ticket.rating is None


@pytest.mark.parametrize("score", [4.5, True])
def test_a_rating_that_is_not_a_whole_number_is_refused(score: Any) -> None:
    ticket = ticket_in(S.RESOLVED)

    with pytest.raises(RuleViolated):
        ticket.rate(score=score, comment="", meta=meta(), at=later(1))


@pytest.mark.parametrize("second_rating_in", [S.RESOLVED, S.FEEDBACK_GIVEN, S.CLOSED])
def test_a_resolution_can_be_rated_only_once(second_rating_in: TicketStatus) -> None:
    ticket = ticket_in(S.RESOLVED)
    ticket.rate(score=2, comment="slow", meta=meta(), at=later(1))
    if second_rating_in is S.FEEDBACK_GIVEN:
        act(ticket, A.FEEDBACK)
    if second_rating_in is S.CLOSED:
        act(ticket, A.CLOSE)

    with pytest.raises(RuleViolated) as refused:
        ticket.rate(score=5, comment="changed my mind", meta=meta(), at=later(2))

    assert refused.value.allowed_now == table_allows(second_rating_in)
    assert ticket.rating == 2


@pytest.mark.parametrize("status", [S.FEEDBACK_GIVEN, S.CLOSED])
def test_a_resolution_can_still_be_rated_after_feedback_or_closing(status: TicketStatus) -> None:
    ticket = ticket_in(status)

    ticket.rate(score=5, comment="", meta=meta(), at=later(1))

    assert ticket.rating == 5
    assert ticket.status is status


def test_reopening_clears_the_rating_and_a_new_resolution_may_be_rated_again() -> None:
    ticket = ticket_in(S.RESOLVED)
    ticket.rate(score=2, comment="", meta=meta(), at=later(1))

    ticket.reopen(reason="still charged twice", policy=POLICY, meta=meta(), at=later(2))
    assert ticket.rating is None
    act(ticket, A.START, A.RESOLVE, at=later(3))
    ticket.rate(score=5, comment="sorted now", meta=meta(), at=later(4))

    assert ticket.rating == 5


def test_reopening_alone_does_not_allow_a_second_rating_of_the_same_resolution() -> None:
    ticket = ticket_in(S.CLOSED)
    ticket.rate(score=1, comment="", meta=meta(), at=later(1))
    ticket.reopen(reason="still charged twice", policy=POLICY, meta=meta(), at=later(2))
    act(ticket, A.FOLLOW_UP)

    with pytest.raises(ActionNotAllowed):
        ticket.rate(score=5, comment="", meta=meta(), at=later(3))


# Reopening


@pytest.mark.parametrize("reason", ["", " ", "\t\n", "\u3000"])
def test_reopening_needs_a_reason_that_is_not_blank(reason: str) -> None:
    ticket = ticket_in(S.CLOSED)

    with pytest.raises(RuleViolated) as refused:
        ticket.reopen(reason=reason, policy=POLICY, meta=meta(), at=later(1))

    assert refused.value.allowed_now == table_allows(S.CLOSED)
    assert ticket.status is S.CLOSED


@pytest.mark.parametrize("priority", list(Priority))
def test_reopening_sets_a_new_resolution_deadline_from_the_reopen_time(
    priority: Priority,
) -> None:
    ticket = act(open_ticket(priority), *PATH_TO[S.CLOSED])
    response_due = ticket.response_due_at
    reopened_at = T0 + timedelta(days=10)

    ticket.reopen(reason="not refunded", policy=POLICY, meta=meta(), at=reopened_at)

    assert ticket.status is S.REOPENED
    assert ticket.resolution_due_at == reopened_at + POLICY.times[priority].resolve_within
    assert ticket.response_due_at == response_due
    reopened = ticket.pending_events[-1]
    assert isinstance(reopened, Ticket.Reopened)
    assert reopened.resolution_due_at == ticket.resolution_due_at
    assert reopened.reason == "not refunded"


def test_reopening_uses_the_policy_it_is_given() -> None:
    strict = DeadlinePolicy(
        {p: ResponseTimes(timedelta(minutes=1), timedelta(minutes=90)) for p in Priority}
    )
    ticket = ticket_in(S.RESOLVED)

    ticket.reopen(reason="not refunded", policy=strict, meta=meta(), at=later(60))

    assert ticket.resolution_due_at == later(150)


def test_a_reopened_ticket_goes_back_to_work() -> None:
    ticket = ticket_in(S.REOPENED)

    ticket.start(meta=meta(), at=later(1))
    ticket.resolve(resolution="refunded again", code="refund", meta=meta(), at=later(2))

    assert ticket.status is S.RESOLVED


# Archive is terminal


@pytest.mark.parametrize("action", list(TicketAction))
def test_an_archived_ticket_refuses_every_action_and_allows_nothing(action: TicketAction) -> None:
    ticket = ticket_in(S.ARCHIVED)
    before = state_of(ticket)
    events_before = list(ticket.pending_events)

    with pytest.raises(ActionNotAllowed) as refused:
        VERBS[action](ticket, meta(), later(1))

    assert refused.value.allowed_now == ()
    assert ticket.allowed_now == ()
    assert state_of(ticket) == before
    assert ticket.pending_events == events_before


# First response (首次响应)


@pytest.mark.parametrize("first", [A.REVIEW, A.DISPATCH, A.FOLLOW_UP])
def test_first_response_is_the_time_of_the_first_agent_action(first: TicketAction) -> None:
    ticket = open_ticket()

    VERBS[first](ticket, meta(), later(7))

    assert ticket.first_response_at == later(7)


def test_an_urge_is_not_a_response() -> None:
    ticket = open_ticket()

    ticket.urge(urged_by="c-42", reason="hello?", meta=meta(), at=later(3))
    assert ticket.first_response_at is None
    ticket.dispatch(department="billing", agent_id=None, meta=meta(), at=later(8))

    assert ticket.first_response_at == later(8)


def test_first_response_is_set_once_and_later_actions_do_not_move_it() -> None:
    ticket = open_ticket()

    ticket.review(note="checked", meta=meta(), at=later(2))
    for minute, action in enumerate([A.DISPATCH, A.START, A.RESOLVE, A.FEEDBACK], start=3):
        VERBS[action](ticket, meta(), later(minute))

    assert ticket.first_response_at == later(2)


def test_the_agent_actions_are_the_ones_a_desk_agent_takes_and_not_urge_or_rating() -> None:
    assert {
        A.REVIEW,
        A.DISPATCH,
        A.REDISPATCH,
        A.START,
        A.RESOLVE,
        A.FOLLOW_UP,
        A.FEEDBACK,
        A.AWAIT_CUSTOMER,  # asking the customer something is a response too
    } == AGENT_ACTIONS


# Refused commands record nothing


def _rate_six(ticket: Ticket) -> None:
    ticket.rate(score=6, comment="", meta=meta(), at=later(1))


REFUSALS: list[tuple[str, TicketStatus, Callable[[Ticket], None], type[Exception]]] = [
    ("resolve an open ticket", S.OPEN, lambda t: act(t, A.RESOLVE), ActionNotAllowed),
    ("start a reviewed ticket", S.REVIEWED, lambda t: act(t, A.START), ActionNotAllowed),
    ("urge a resolved ticket", S.RESOLVED, lambda t: act(t, A.URGE), ActionNotAllowed),
    ("archive a resolved ticket", S.RESOLVED, lambda t: act(t, A.ARCHIVE), ActionNotAllowed),
    ("rate 6", S.RESOLVED, _rate_six, RuleViolated),
    (
        "reopen without a reason",
        S.CLOSED,
        lambda t: t.reopen(reason=" ", policy=POLICY, meta=meta(), at=later(1)),
        RuleViolated,
    ),
]


@pytest.mark.parametrize(
    ("status", "command", "error"),
    [refusal[1:] for refusal in REFUSALS],
    ids=[refusal[0] for refusal in REFUSALS],
)
def test_a_refused_command_records_no_event_and_changes_nothing(
    status: TicketStatus, command: Callable[[Ticket], None], error: type[Exception]
) -> None:
    ticket = ticket_in(status)
    before = state_of(ticket)
    events_before = list(ticket.pending_events)

    with pytest.raises(error):
        command(ticket)

    assert ticket.pending_events == events_before
    assert state_of(ticket) == before


def test_a_refused_second_rating_records_no_event_and_keeps_the_first() -> None:
    ticket = ticket_in(S.RESOLVED)
    ticket.rate(score=3, comment="", meta=meta(), at=later(1))
    before = state_of(ticket)
    events_before = list(ticket.pending_events)

    with pytest.raises(RuleViolated):
        ticket.rate(score=5, comment="", meta=meta(), at=later(2))

    assert ticket.pending_events == events_before
    assert state_of(ticket) == before


# Events carry who, why and when


@pytest.mark.parametrize("action", list(TicketAction))
def test_every_event_carries_the_metadata_and_the_time_it_was_given(
    action: TicketAction,
) -> None:
    status = next(s for s in PATH_TO if action in TRANSITIONS[s])
    ticket = with_node(ticket_in(status, at=T0), action)
    given = meta("supervisor-3", 77)
    at = T0 + timedelta(hours=5, seconds=1, microseconds=7)

    VERBS[action](ticket, given, at)

    recorded = ticket.pending_events[-1]
    assert type(recorded) is EVENT_OF[action]
    assert recorded.meta == given
    assert recorded.timestamp == at
    assert recorded.originator_id == ticket.id
    assert recorded.originator_version == ticket.version
    assert ticket.modified_on == at


# The table as documentation


def test_the_markdown_table_lists_every_row_of_the_transition_table() -> None:
    lines = transition_table_markdown().splitlines()

    expected = {
        f"| {status} | {action} | {target or status} |"
        for status, row in TRANSITIONS.items()
        for action, target in row.items()
    }
    assert expected <= set(lines)
    assert "| archived | (none: terminal) | |" in lines
    assert len(lines) == 2 + len(expected) + 1


def test_an_escalation_raises_the_priority_and_hands_the_ticket_to_a_supervisor_group() -> None:
    ticket = act(open_ticket(Priority.NORMAL), A.DISPATCH)
    escalation = Escalation(2, "resolution overdue", Priority.IMPORTANT, "supervisors", "lead-1")

    ticket.escalate(escalation=escalation, meta=meta(), at=later(9))

    assert (ticket.priority, ticket.department, ticket.assignee_id) == (
        Priority.IMPORTANT,
        "supervisors",
        "lead-1",
    )
    assert ticket.status is S.DISPATCHED


def test_an_escalation_never_lowers_the_priority() -> None:
    ticket = open_ticket(Priority.URGENT)

    ticket.escalate(escalation=Escalation(1, "overdue", Priority.NORMAL), meta=meta(), at=later(1))

    assert ticket.priority is Priority.URGENT
    assert ticket.pending_events[-1].priority is None  # type: ignore[attr-defined]


def test_an_escalation_needs_a_reason() -> None:
    with pytest.raises(RuleViolated):
        open_ticket().escalate(escalation=Escalation(1, " "), meta=meta(), at=later(1))
