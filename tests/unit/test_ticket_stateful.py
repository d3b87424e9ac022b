"""Random action sequences against a ticket, checked against the lifecycle table as the model.

The model's status moves only through `TRANSITIONS`; the ticket must accept exactly what the
table (and the two extra rules: one rating per resolution, a non-blank reopen reason) accepts.
After every step, the recorded events must rebuild the same ticket, directly and through the
stored-event mapper, and fold into a ticket view that agrees with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kefu.domain.channels import Channel
from kefu.domain.collaboration import warning_time
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.sla import Escalation
from kefu.domain.ticket import EVENT_ACTIONS, Ticket
from kefu.domain.ticket_lifecycle import AGENT_ACTIONS, TRANSITIONS, TicketAction, TicketStatus
from kefu.projections.ticket_document import fold
from kefu.store.mapper import MsgspecMapper

A = TicketAction
ORIGINAL = UUID(int=99)  # the ticket a duplicate repeats
POLICY = DeadlinePolicy()
MAPPER = MsgspecMapper()

names = st.text(min_size=1, max_size=12)
notes = st.text(max_size=20)
reasons = st.one_of(st.sampled_from(["", " ", "\t\n", "\u3000"]), st.text(max_size=20))
departments = st.sampled_from(["billing", "refunds", "logistics", "售后"])
agents = st.none() | st.sampled_from(["a-1", "a-2", "a-3"]) | names
metas = st.builds(
    EventMetadata,
    actor_id=names,
    actor_role=st.sampled_from(["service", "admin"]),
    command_id=st.uuids(),
    correlation_id=st.uuids(),
    causation_id=st.none() | st.uuids(),
    channel=st.sampled_from([str(c) for c in Channel]),
)
opening_times = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
)
pauses = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=15)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)),
)

node_times = st.timedeltas(min_value=timedelta(minutes=-5), max_value=timedelta(days=2))

# Each action's rule (a method of the machine) and the arguments it is called with.
RULES: dict[TicketAction, tuple[str, dict[str, st.SearchStrategy[Any]]]] = {
    A.REVIEW: ("review", {"note": notes, "meta": metas}),
    A.DISPATCH: ("dispatch", {"department": departments, "agent_id": agents, "meta": metas}),
    A.REDISPATCH: (
        "redispatch",
        {"department": departments, "agent_id": agents, "reason": notes, "meta": metas},
    ),
    A.URGE: ("urge", {"urged_by": names, "reason": notes, "meta": metas}),
    A.FOLLOW_UP: ("follow_up", {"note": notes, "meta": metas}),
    A.START: ("start", {"meta": metas}),
    A.RESOLVE: ("resolve", {"resolution": notes, "code": names, "meta": metas}),
    A.FEEDBACK: (
        "give_feedback",
        {"channel": st.sampled_from(Channel), "message": notes, "meta": metas},
    ),
    A.RATE: (
        "rate",
        {"score": st.integers(min_value=0, max_value=6), "comment": notes, "meta": metas},
    ),
    A.CLOSE: ("close", {"meta": metas}),
    A.REOPEN: ("reopen", {"reason": reasons, "meta": metas}),
    A.ARCHIVE: ("archive", {"meta": metas}),
    A.AWAIT_CUSTOMER: ("await_customer", {"note": notes, "meta": metas}),
    A.CUSTOMER_REPLY: ("customer_reply", {"message": notes, "meta": metas}),
    A.ESCALATE: ("escalate", {"reason": reasons, "department": departments, "meta": metas}),
    A.SET_PRIORITY: ("set_priority", {"priority": st.sampled_from(Priority), "meta": metas}),
    A.SET_CATEGORY: ("set_category", {"category": reasons, "meta": metas}),
    A.TAG: ("tag", {"tag": reasons, "meta": metas}),
    A.CANCEL: ("cancel", {"reason": reasons, "meta": metas}),
    A.MARK_DUPLICATE: ("mark_duplicate", {"itself": st.booleans(), "meta": metas}),
    A.OPEN_NODE: (
        "open_node",
        {"department": departments, "due_in": node_times, "meta": metas},
    ),
    A.COMPLETE_NODE: ("complete_node", {"department": departments, "meta": metas}),
    A.ESCALATE_NODE: ("escalate_node", {"department": departments, "meta": metas}),
    A.OVERRIDE_NODES: ("override_nodes", {"reason": reasons, "meta": metas}),
}


def arguments(action: TicketAction) -> dict[str, st.SearchStrategy[Any]]:
    return RULES[action][1]


def comparable(ticket: Ticket) -> dict[str, Any]:
    return {k: v for k, v in ticket.__dict__.items() if k != "_pending_events"}


def replay(events: list[Any]) -> Ticket:
    ticket = None
    for event in events:
        ticket = event.mutate(ticket)
    assert isinstance(ticket, Ticket)
    return ticket


class TicketLifecycle(RuleBasedStateMachine):
    """One ticket, one model status, and every event the ticket has recorded so far."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []
        self.status = TicketStatus.OPEN
        self.rateable = False
        self.rating: int | None = None
        self.urges = 0
        self.first_response_at: datetime | None = None
        self.nodes: dict[str, tuple[datetime, str, bool]] = {}  # department → due, status, esc.

    def open_nodes(self) -> list[str]:
        return [d for d, (_, status, _) in self.nodes.items() if status == "open"]

    @initialize(priority=st.sampled_from(Priority), at=opening_times, meta=metas)
    def open_ticket(self, priority: Priority, at: datetime, meta: EventMetadata) -> None:
        self.now = at
        self.ticket = Ticket.open(
            channel=Channel.WECHAT,
            customer_id="c-1",
            category="billing",
            priority=priority,
            subject="charged twice",
            description="",
            policy=POLICY,
            meta=meta,
            at=at,
        )
        self.events.extend(self.ticket.collect_events())

    @rule(pause=pauses)
    def time_passes(self, pause: timedelta) -> None:
        self.now += pause

    @rule(**arguments(A.REVIEW))
    def review(self, note: str, meta: EventMetadata) -> None:
        self.attempt(A.REVIEW, meta, lambda: self.ticket.review(note=note, meta=meta, at=self.now))

    @rule(**arguments(A.DISPATCH))
    def dispatch(self, department: str, agent_id: str | None, meta: EventMetadata) -> None:
        if self.attempt(
            A.DISPATCH,
            meta,
            lambda: self.ticket.dispatch(
                department=department, agent_id=agent_id, meta=meta, at=self.now
            ),
        ):
            assert (self.ticket.department, self.ticket.assignee_id) == (department, agent_id)

    @rule(**arguments(A.REDISPATCH))
    def redispatch(
        self, department: str, agent_id: str | None, reason: str, meta: EventMetadata
    ) -> None:
        if self.attempt(
            A.REDISPATCH,
            meta,
            lambda: self.ticket.redispatch(
                department=department, agent_id=agent_id, reason=reason, meta=meta, at=self.now
            ),
        ):
            assert (self.ticket.department, self.ticket.assignee_id) == (department, agent_id)

    @rule(**arguments(A.URGE))
    def urge(self, urged_by: str, reason: str, meta: EventMetadata) -> None:
        if self.attempt(
            A.URGE,
            meta,
            lambda: self.ticket.urge(urged_by=urged_by, reason=reason, meta=meta, at=self.now),
        ):
            self.urges += 1

    @rule(**arguments(A.FOLLOW_UP))
    def follow_up(self, note: str, meta: EventMetadata) -> None:
        self.attempt(
            A.FOLLOW_UP, meta, lambda: self.ticket.follow_up(note=note, meta=meta, at=self.now)
        )

    @rule(**arguments(A.START))
    def start(self, meta: EventMetadata) -> None:
        self.attempt(A.START, meta, lambda: self.ticket.start(meta=meta, at=self.now))

    @rule(**arguments(A.RESOLVE))
    def resolve(self, resolution: str, code: str, meta: EventMetadata) -> None:
        if self.attempt(
            A.RESOLVE,
            meta,
            lambda: self.ticket.resolve(resolution=resolution, code=code, meta=meta, at=self.now),
            rule_holds=not self.open_nodes(),
        ):
            self.rateable = True

    @rule(**arguments(A.FEEDBACK))
    def give_feedback(self, channel: Channel, message: str, meta: EventMetadata) -> None:
        self.attempt(
            A.FEEDBACK,
            meta,
            lambda: self.ticket.give_feedback(
                channel=channel, message=message, meta=meta, at=self.now
            ),
        )

    @rule(**arguments(A.RATE))
    def rate(self, score: int, comment: str, meta: EventMetadata) -> None:
        if self.attempt(
            A.RATE,
            meta,
            lambda: self.ticket.rate(score=score, comment=comment, meta=meta, at=self.now),
            rule_holds=self.rateable and 1 <= score <= 5,
        ):
            self.rateable = False
            self.rating = score

    @rule(**arguments(A.CLOSE))
    def close(self, meta: EventMetadata) -> None:
        self.attempt(A.CLOSE, meta, lambda: self.ticket.close(meta=meta, at=self.now))

    @rule(**arguments(A.REOPEN))
    def reopen(self, reason: str, meta: EventMetadata) -> None:
        if self.attempt(
            A.REOPEN,
            meta,
            lambda: self.ticket.reopen(reason=reason, policy=POLICY, meta=meta, at=self.now),
            rule_holds=reason.strip() != "",
        ):
            self.rating = None
            resolve_within = POLICY.times[self.ticket.priority].resolve_within
            assert self.ticket.resolution_due_at == self.now + resolve_within

    @rule(**arguments(A.ARCHIVE))
    def archive(self, meta: EventMetadata) -> None:
        self.attempt(A.ARCHIVE, meta, lambda: self.ticket.archive(meta=meta, at=self.now))

    @rule(**arguments(A.AWAIT_CUSTOMER))
    def await_customer(self, note: str, meta: EventMetadata) -> None:
        self.attempt(
            A.AWAIT_CUSTOMER,
            meta,
            lambda: self.ticket.await_customer(note=note, meta=meta, at=self.now),
        )

    @rule(**arguments(A.CUSTOMER_REPLY))
    def customer_reply(self, message: str, meta: EventMetadata) -> None:
        self.attempt(
            A.CUSTOMER_REPLY,
            meta,
            lambda: self.ticket.record_customer_reply(message=message, meta=meta, at=self.now),
        )

    @rule(**arguments(A.ESCALATE))
    def escalate(self, reason: str, department: str, meta: EventMetadata) -> None:
        escalation = Escalation(1, reason, Priority.URGENT, department)
        self.attempt(
            A.ESCALATE,
            meta,
            lambda: self.ticket.escalate(escalation=escalation, meta=meta, at=self.now),
            rule_holds=bool(reason.strip()),
        )

    @rule(**arguments(A.SET_PRIORITY))
    def set_priority(self, priority: Priority, meta: EventMetadata) -> None:
        self.attempt(
            A.SET_PRIORITY,
            meta,
            lambda: self.ticket.set_priority(priority=priority, reason="", meta=meta, at=self.now),
        )

    @rule(**arguments(A.SET_CATEGORY))
    def set_category(self, category: str, meta: EventMetadata) -> None:
        self.attempt(
            A.SET_CATEGORY,
            meta,
            lambda: self.ticket.recategorise(category=category, reason="", meta=meta, at=self.now),
            rule_holds=bool(category.strip()),
        )

    @rule(**arguments(A.TAG))
    def tag(self, tag: str, meta: EventMetadata) -> None:
        self.attempt(
            A.TAG,
            meta,
            lambda: self.ticket.tag(tag=tag, meta=meta, at=self.now),
            rule_holds=bool(tag.strip()),
        )

    @rule(**arguments(A.CANCEL))
    def cancel(self, reason: str, meta: EventMetadata) -> None:
        self.attempt(
            A.CANCEL,
            meta,
            lambda: self.ticket.cancel(reason=reason, meta=meta, at=self.now),
            rule_holds=bool(reason.strip()) and not self.open_nodes(),
        )

    @rule(**arguments(A.MARK_DUPLICATE))
    def mark_duplicate(self, itself: bool, meta: EventMetadata) -> None:
        original = str(self.ticket.id if itself else ORIGINAL)
        self.attempt(
            A.MARK_DUPLICATE,
            meta,
            lambda: self.ticket.mark_duplicate(
                original_id=original, reason="", meta=meta, at=self.now
            ),
            rule_holds=not itself and not self.open_nodes(),
        )

    @rule(**arguments(A.OPEN_NODE))
    def open_node(self, department: str, due_in: timedelta, meta: EventMetadata) -> None:
        due = self.now + due_in
        if self.attempt(
            A.OPEN_NODE,
            meta,
            lambda: self.ticket.open_node(
                department=department,
                owner_id=None,
                deliverable="",
                meta=meta,
                at=self.now,
                warn_at=warning_time(self.now, due, 0.8) if due > self.now else self.now,
                due_at=due,
            ),
            rule_holds=department not in self.nodes and due > self.now,
        ):
            self.nodes[department] = (due, "open", False)

    @rule(**arguments(A.COMPLETE_NODE))
    def complete_node(self, department: str, meta: EventMetadata) -> None:
        if self.attempt(
            A.COMPLETE_NODE,
            meta,
            lambda: self.ticket.complete_node(
                department=department, note="", meta=meta, at=self.now
            ),
            rule_holds=department in self.open_nodes(),
        ):
            due, _, escalated = self.nodes[department]
            self.nodes[department] = (due, "done", escalated)

    @rule(**arguments(A.ESCALATE_NODE))
    def escalate_node(self, department: str, meta: EventMetadata) -> None:
        due, _, escalated = self.nodes.get(department, (self.now, "", False))
        if self.attempt(
            A.ESCALATE_NODE,
            meta,
            lambda: self.ticket.escalate_node(
                department=department, reason="overdue", meta=meta, at=self.now
            ),
            rule_holds=department in self.open_nodes() and not escalated and self.now >= due,
        ):
            self.nodes[department] = (due, "open", True)

    @rule(**arguments(A.OVERRIDE_NODES))
    def override_nodes(self, reason: str, meta: EventMetadata) -> None:
        still_open = self.open_nodes()
        if self.attempt(
            A.OVERRIDE_NODES,
            meta,
            lambda: self.ticket.override_nodes(reason=reason, meta=meta, at=self.now),
            rule_holds=bool(still_open) and bool(reason.strip()),
        ):
            for department in still_open:
                due, _, escalated = self.nodes[department]
                self.nodes[department] = (due, "overridden", escalated)

    @rule(data=st.data())
    def an_action_the_table_allows_now(self, data: st.DataObject) -> None:
        """Walks the lifecycle on purpose, so that random runs reach its far end too."""
        allowed = list(TRANSITIONS[self.status])
        if allowed:
            method, strategies = RULES[data.draw(st.sampled_from(allowed))]
            getattr(self, method)(**data.draw(st.fixed_dictionaries(strategies)))

    def attempt(
        self,
        action: TicketAction,
        meta: EventMetadata,
        command: Callable[[], None],
        rule_holds: bool = True,
    ) -> bool:
        """Run the command; check it was accepted iff the table and the rules allow it."""
        allowed_now = tuple(a.value for a in TRANSITIONS[self.status])
        before = comparable(self.ticket)
        if action not in TRANSITIONS[self.status] or not rule_holds:
            error = RuleViolated if action in TRANSITIONS[self.status] else ActionNotAllowed
            with pytest.raises(error) as refused:
                command()
            assert refused.value.allowed_now == allowed_now
            assert self.ticket.pending_events == []
            assert comparable(self.ticket) == before
            return False
        command()
        [recorded] = self.ticket.collect_events()
        assert EVENT_ACTIONS[type(recorded)] is action
        assert (recorded.meta, recorded.timestamp) == (meta, self.now)
        self.events.append(recorded)
        self.status = TRANSITIONS[self.status][action] or self.status
        if action in AGENT_ACTIONS and self.first_response_at is None:
            self.first_response_at = self.now
        return True

    @invariant()
    def the_ticket_agrees_with_the_model(self) -> None:
        assert self.ticket.status is self.status
        assert self.ticket.allowed_now == tuple(a.value for a in TRANSITIONS[self.status])
        assert self.ticket.urge_count == self.urges
        assert self.ticket.rating == self.rating
        assert self.ticket.first_response_at == self.first_response_at
        assert self.ticket.version == len(self.events)
        assert {d: (n.due_at, n.status, n.escalated) for d, n in self.ticket.nodes.items()} == (
            self.nodes
        )

    @invariant()
    def replaying_the_events_rebuilds_the_same_ticket(self) -> None:
        assert comparable(replay(self.events)) == comparable(self.ticket)

    @invariant()
    def replaying_the_stored_events_rebuilds_the_same_ticket(self) -> None:
        stored = [MAPPER.to_stored_event(event) for event in self.events]
        events = [MAPPER.to_domain_event(record) for record in stored]
        assert comparable(replay(events)) == comparable(self.ticket)

    @invariant()
    def the_folded_view_agrees_with_the_ticket(self) -> None:
        view = None
        for position, event in enumerate(self.events, start=1):
            view = fold(view, event, position)
        assert view is not None
        ticket = self.ticket
        assert view.status == ticket.status
        assert (view.priority, view.category) == (ticket.priority, ticket.category)
        assert view.urge_count == ticket.urge_count
        assert view.rating == ticket.rating
        assert (view.department, view.assignee_id) == (ticket.department, ticket.assignee_id)
        assert view.first_response_at == ticket.first_response_at
        assert view.version == ticket.version
        assert [(n.department, n.status, n.escalated) for n in view.nodes] == [
            (d, n.status, n.escalated) for d, n in ticket.nodes.items()
        ]
        assert (view.response_due_at, view.resolution_due_at) == (
            ticket.response_due_at,
            ticket.resolution_due_at,
        )


TicketLifecycle.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None
)
test_ticket_lifecycle = TicketLifecycle.TestCase
