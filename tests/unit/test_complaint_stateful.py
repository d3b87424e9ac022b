"""Random action sequences against a complaint, checked against a model of its rules.

The model's status moves only through `TRANSITIONS`; the complaint must accept exactly what the
table and the model's rules (blank texts, remedies, tasks, confirmation, the closing rules and
the unreachable rule) accept. After every step the recorded events must rebuild the same
complaint, through the stored-event mapper, and fold into a view that agrees with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kefu.domain.channels import Channel
from kefu.domain.complaint import EVENT_ACTIONS, Complaint
from kefu.domain.complaint_lifecycle import TRANSITIONS, ComplaintAction, ComplaintStatus
from kefu.domain.complaint_policy import ComplaintPolicy
from kefu.domain.complaint_values import (
    PAID_REMEDIES,
    ComplaintType,
    EscalationLevel,
    Remedy,
    RemedyKind,
    is_money,
)
from kefu.domain.deadlines import Priority
from kefu.domain.errors import ActionNotAllowed, NotFound, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.projections.complaint_document import ComplaintDocument, fold
from kefu.store.mapper import MsgspecMapper
from tests.unit.complaint_builders import SHANGHAI

A = ComplaintAction
S = ComplaintStatus
POLICY = ComplaintPolicy()
MAPPER = MsgspecMapper()

blanks = st.sampled_from(["", " ", "\t\n", "\u3000"])
texts = st.one_of(st.sampled_from(["seal cracked", "已核实"]), blanks, st.text(max_size=12))
names = st.sampled_from(["finance", "warehouse", "售后", " "])
task_ids = st.sampled_from(["1", "2", "3", "4", "9"])
amounts = st.none() | st.sampled_from(["0", "-5", "0.001", "NaN", "12.50", "100"]).map(Decimal)
sensible_remedies = st.lists(
    st.sampled_from(
        [
            Remedy(RemedyKind.APOLOGY),
            Remedy(RemedyKind.REFUND, Decimal("59.90")),
            Remedy(RemedyKind.COMPENSATION, Decimal(20)),
            Remedy(RemedyKind.EXCHANGE),
        ]
    ),
    min_size=1,
    max_size=2,
    unique_by=lambda r: r.kind,
)
remedies = sensible_remedies | st.lists(
    st.builds(Remedy, st.sampled_from(RemedyKind), amounts), max_size=3
)
metas = st.builds(
    EventMetadata,
    actor_id=st.sampled_from(["agent-1", "sup-2"]),
    actor_role=st.just("service"),
    command_id=st.uuids(),
    correlation_id=st.uuids(),
    causation_id=st.none() | st.uuids(),
    channel=st.just("web"),
)
pauses = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3)),
    st.timedeltas(min_value=timedelta(hours=12), max_value=timedelta(days=2)),
)


def remedies_make_sense(chosen: list[Remedy]) -> bool:
    kinds = [r.kind for r in chosen]
    if not chosen or len(set(kinds)) < len(kinds):
        return False
    return all(
        (r.amount is not None and is_money(r.amount))
        if r.kind in PAID_REMEDIES
        else r.amount is None
        for r in chosen
    )


@dataclass
class Model:
    """What the complaint should be, kept by the test's own simple bookkeeping."""

    status: ComplaintStatus = ComplaintStatus.REGISTERED
    facts: int = 0
    attributed: bool = False
    escalations: int = 0
    major: bool = False
    proposals: int = 0
    accepted: int | None = None
    tasks: dict[str, tuple[int, bool]] = field(default_factory=dict)  # id → (proposal, done)
    days_tried: set[date] = field(default_factory=set)
    resolved: bool | None = None

    def unfinished(self) -> set[str]:
        return {i for i, (p, done) in self.tasks.items() if p == self.accepted and not done}

    def may_close(self) -> bool:
        confirmed = self.resolved is True or len(self.days_tried) >= 3
        return bool(
            self.facts and self.attributed and self.accepted and not self.unfinished()
        ) and (confirmed)


# Each action's rule (a method of the machine) and the arguments it is called with.
RULES: dict[ComplaintAction, tuple[str, dict[str, st.SearchStrategy[Any]]]] = {
    A.ACKNOWLEDGE: ("acknowledge", {"message": texts, "meta": metas}),
    A.FACTS: ("record_facts", {"facts": texts, "meta": metas}),
    A.ATTRIBUTE: (
        "attribute",
        {"department": names, "cause": st.sampled_from(ComplaintType), "meta": metas},
    ),
    A.ESCALATE: (
        "escalate",
        {"level": st.sampled_from(EscalationLevel), "reason": texts, "meta": metas},
    ),
    A.PROPOSE: ("propose", {"chosen": remedies, "meta": metas}),
    A.MAKE_MAJOR: ("make_major", {"reason": texts, "meta": metas}),
    A.ACCEPT: ("accept", {"meta": metas}),
    A.REJECT: ("reject", {"reason": texts, "meta": metas}),
    A.ASSIGN_TASK: ("assign_task", {"due_in": st.sampled_from([-1, 0, 1, 48]), "meta": metas}),
    A.COMPLETE_TASK: ("complete_task", {"task_id": task_ids, "note": texts, "meta": metas}),
    A.FAIL_TASK: ("fail_task", {"task_id": task_ids, "note": texts, "meta": metas}),
    A.CONTACT_ATTEMPT: ("record_contact_attempt", {"meta": metas}),
    A.CONFIRM: (
        "confirm",
        {"resolved": st.booleans(), "satisfaction": st.integers(0, 6), "meta": metas},
    ),
    A.CLOSE: ("close", {"meta": metas}),
    A.REOPEN: ("reopen", {"reason": texts, "meta": metas}),
    A.ARCHIVE: ("archive", {"meta": metas}),
}


def arguments(action: ComplaintAction) -> dict[str, st.SearchStrategy[Any]]:
    return RULES[action][1]


class ComplaintLifecycle(RuleBasedStateMachine):
    """One complaint, its model, and every event the complaint has recorded so far."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []
        self.model = Model()

    @initialize(
        major=st.booleans(),
        at=st.datetimes(
            min_value=datetime(2020, 1, 1),
            max_value=datetime(2030, 1, 1),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
        ),
        meta=metas,
        unreachable=st.booleans(),
    )
    def register(self, major: bool, at: datetime, meta: EventMetadata, unreachable: bool) -> None:
        self.now = at
        self.unreachable = unreachable  # whether the customer will ever answer our calls
        self.complaint = Complaint.register(
            channel=Channel.WECHAT,
            customer_id="c-1",
            ticket_id=None,
            complaint_type=ComplaintType.SERVICE_FAILURE,
            description="rude agent",
            expectation="an apology",
            contact="c-1@example.com",
            severity=Priority.URGENT,
            major=major,
            policy=POLICY,
            meta=meta,
            at=at,
        )
        self.events.extend(self.complaint.collect_events())
        assert len(self.events) == (2 if major else 1)
        self.model.major = major

    @rule(pause=pauses)
    def time_passes(self, pause: timedelta) -> None:
        self.now += pause

    @rule(**arguments(A.ACKNOWLEDGE))
    def acknowledge(self, message: str, meta: EventMetadata) -> None:
        c = self.complaint
        self.attempt(A.ACKNOWLEDGE, lambda: c.acknowledge(message=message, **self.kw(meta)))

    @rule(**arguments(A.FACTS))
    def record_facts(self, facts: str, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.FACTS, lambda: c.record_facts(facts=facts, **self.kw(meta)), holds=bool(facts.strip())
        ):
            self.model.facts += 1

    @rule(**arguments(A.ATTRIBUTE))
    def attribute(self, department: str, cause: ComplaintType, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.ATTRIBUTE,
            lambda: c.attribute(department=department, cause=cause, note="", **self.kw(meta)),
            holds=bool(department.strip()),
        ):
            self.model.attributed = True

    @rule(**arguments(A.ESCALATE))
    def escalate(self, level: EscalationLevel, reason: str, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.ESCALATE,
            lambda: c.escalate(level=level, to="sup-2", reason=reason, **self.kw(meta)),
            holds=bool(reason.strip()),
        ):
            self.model.escalations += 1

    @rule(**arguments(A.MAKE_MAJOR))
    def make_major(self, reason: str, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.MAKE_MAJOR,
            lambda: c.make_major(reason=reason, policy=POLICY, **self.kw(meta)),
            holds=bool(reason.strip()) and not self.model.major,
        ):
            self.model.major = True

    @rule(**arguments(A.PROPOSE))
    def propose(self, chosen: list[Remedy], meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.PROPOSE,
            lambda: c.propose(remedies=tuple(chosen), note="", **self.kw(meta)),
            holds=remedies_make_sense(chosen),
        ):
            self.model.proposals += 1

    @rule(**arguments(A.ACCEPT))
    def accept(self, meta: EventMetadata) -> None:
        if self.attempt(A.ACCEPT, lambda: self.complaint.accept(note="", **self.kw(meta))):
            self.model.accepted = self.model.proposals
            self.model.days_tried = set()

    @rule(**arguments(A.REJECT))
    def reject(self, reason: str, meta: EventMetadata) -> None:
        c = self.complaint
        self.attempt(
            A.REJECT, lambda: c.reject(reason=reason, **self.kw(meta)), holds=bool(reason.strip())
        )

    @rule(**arguments(A.ASSIGN_TASK))
    def assign_task(self, due_in: int, meta: EventMetadata) -> None:
        due_at = self.now + timedelta(hours=due_in)
        c = self.complaint
        if self.attempt(
            A.ASSIGN_TASK,
            lambda: c.assign_task(
                department="finance", owner="f-1", due_at=due_at, description="", **self.kw(meta)
            ),
            holds=due_in > 0,
        ):
            assert self.model.accepted is not None
            self.model.tasks[str(len(self.model.tasks) + 1)] = (self.model.accepted, False)

    @rule(**arguments(A.COMPLETE_TASK))
    def complete_task(self, task_id: str, note: str, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt_on_task(
            A.COMPLETE_TASK,
            task_id,
            lambda: c.complete_task(task_id=task_id, note=note, **self.kw(meta)),
            holds=True,
        ):
            self.model.tasks[task_id] = (self.model.tasks[task_id][0], True)

    @rule(**arguments(A.FAIL_TASK))
    def fail_task(self, task_id: str, note: str, meta: EventMetadata) -> None:
        c = self.complaint
        self.attempt_on_task(
            A.FAIL_TASK,
            task_id,
            lambda: c.fail_task(task_id=task_id, note=note, **self.kw(meta)),
            holds=bool(note.strip()),
        )

    @rule(**arguments(A.CONTACT_ATTEMPT))
    def record_contact_attempt(self, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.CONTACT_ATTEMPT,
            lambda: c.record_contact_attempt(channel=Channel.PHONE, note="", **self.kw(meta)),
        ):
            self.model.days_tried.add(self.now.astimezone(SHANGHAI).date())

    @rule(**arguments(A.CONFIRM))
    def confirm(self, resolved: bool, satisfaction: int, meta: EventMetadata) -> None:
        c = self.complaint
        if self.attempt(
            A.CONFIRM,
            lambda: c.confirm(
                resolved=resolved, satisfaction=satisfaction, comment="", **self.kw(meta)
            ),
            holds=1 <= satisfaction <= 5 and not (resolved and self.model.unfinished()),
        ):
            self.model.resolved = True if resolved else None

    @rule(**arguments(A.CLOSE))
    def close(self, meta: EventMetadata) -> None:
        c = self.complaint
        self.attempt(
            A.CLOSE,
            lambda: c.close(policy=POLICY, zone=SHANGHAI, **self.kw(meta)),
            holds=self.model.may_close(),
        )

    @rule(**arguments(A.REOPEN))
    def reopen(self, reason: str, meta: EventMetadata) -> None:
        c = self.complaint
        self.attempt(
            A.REOPEN, lambda: c.reopen(reason=reason, **self.kw(meta)), holds=bool(reason.strip())
        )

    @rule(**arguments(A.ARCHIVE))
    def archive(self, meta: EventMetadata) -> None:
        self.attempt(A.ARCHIVE, lambda: self.complaint.archive(**self.kw(meta)))

    @rule(data=st.data(), steps=st.integers(1, 6))
    def actions_the_table_allows_now(self, data: st.DataObject, steps: int) -> None:
        """Walks the lifecycle on purpose, so that random runs reach its far end too."""
        for _ in range(steps):
            allowed = list(TRANSITIONS[self.model.status])
            if allowed:
                method, strategies = RULES[data.draw(st.sampled_from(allowed))]
                getattr(self, method)(**data.draw(st.fixed_dictionaries(strategies)))

    @rule(meta=metas, resolved=st.booleans(), fails=st.booleans())
    def the_next_step_towards_the_archive(
        self, meta: EventMetadata, resolved: bool, fails: bool
    ) -> None:
        """Takes the next step of a well-formed handling, so that runs reach the far end."""
        m, s = self.model, self.model.status
        if s is S.REGISTERED:
            self.acknowledge("sorry", meta)
        elif s in (S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED) and not m.facts:
            self.record_facts("seal cracked", meta)
        elif s in (S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED) and not m.attributed:
            self.attribute("quality", ComplaintType.OTHER, meta)
        elif s in (S.INVESTIGATING, S.REOPENED):
            self.propose([Remedy(RemedyKind.APOLOGY)], meta)
        elif s is S.PROPOSED:
            self.accept(meta)
        elif s is S.EXECUTING and m.accepted not in {p for p, _ in m.tasks.values()}:
            self.assign_task(48, meta)
        elif s is S.EXECUTING and m.unfinished():
            (self.fail_task if fails else self.complete_task)(min(m.unfinished()), "refund", meta)
        elif s is S.EXECUTING and self.unreachable and len(m.days_tried) >= 3:
            self.close(meta)
        elif s is S.EXECUTING and self.unreachable:
            self.time_passes(timedelta(days=1))  # no answer today: try again tomorrow
            self.record_contact_attempt(meta)
        elif s is S.EXECUTING:
            self.confirm(resolved, 4, meta)
        elif s is S.CONFIRMED:
            self.close(meta)
        elif s is S.CLOSED:
            self.archive(meta)

    def kw(self, meta: EventMetadata) -> dict[str, Any]:
        return {"meta": meta, "at": self.now}

    def attempt_on_task(
        self, action: ComplaintAction, task_id: str, verb: Callable[[], object], holds: bool
    ) -> bool:
        task = self.model.tasks.get(task_id)
        if task is None:
            return self.attempt(action, verb, missing=True)
        proposal, done = task
        return self.attempt(
            action, verb, holds=holds and proposal == self.model.accepted and not done
        )

    def attempt(
        self,
        action: ComplaintAction,
        verb: Callable[[], object],
        holds: bool = True,
        missing: bool = False,
    ) -> bool:
        """Run the verb; check it was accepted iff the table and the rules allow it."""
        row = TRANSITIONS[self.model.status]
        before = comparable(self.complaint)
        if action not in row or missing or not holds:
            error = ActionNotAllowed if action not in row else NotFound if missing else RuleViolated
            with pytest.raises(error) as refused:
                verb()
            if isinstance(refused.value, ActionNotAllowed | RuleViolated):
                assert refused.value.allowed_now == tuple(a.value for a in row)
            assert self.complaint.pending_events == []
            assert comparable(self.complaint) == before
            return False
        verb()
        recorded = self.complaint.collect_events()
        assert EVENT_ACTIONS[type(recorded[0])] is action
        for event in recorded:
            assert event.timestamp == self.now
            if isinstance(event, Complaint.ReportedToManager):
                continue  # accompanies making a complaint major; moves nothing
            self.model.status = TRANSITIONS[self.model.status][EVENT_ACTIONS[type(event)]] or (
                self.model.status
            )
            if isinstance(event, Complaint.Reopened):
                self.model.accepted = self.model.resolved = None
        self.events.extend(recorded)
        return True

    @invariant()
    def the_complaint_agrees_with_the_model(self) -> None:
        c, m = self.complaint, self.model
        assert c.status is m.status
        assert c.allowed_now == tuple(a.value for a in TRANSITIONS[m.status])
        assert (c.facts_count, c.escalation_count, len(c.proposals)) == (
            m.facts,
            m.escalations,
            m.proposals,
        )
        assert c.accepted_proposal == m.accepted
        assert {t.task_id for t in c.unfinished_tasks} == m.unfinished()
        assert c.version == len(self.events)

    @invariant()
    def replaying_the_stored_events_rebuilds_the_same_complaint(self) -> None:
        events = [MAPPER.to_domain_event(MAPPER.to_stored_event(e)) for e in self.events]
        complaint = None
        for event in events:
            complaint = event.mutate(complaint)
        assert isinstance(complaint, Complaint)
        assert comparable(complaint) == comparable(self.complaint)

    @invariant()
    def the_folded_view_agrees_with_the_complaint(self) -> None:
        view: ComplaintDocument | None = None
        for position, event in enumerate(self.events, start=1):
            view = fold(view, event, position)
        assert view is not None
        c = self.complaint
        assert (view.status, view.version, view.facts_count) == (c.status, c.version, c.facts_count)
        assert (view.responsible_department, view.escalation_count) == (
            c.department,
            c.escalation_count,
        )
        assert {t.task_id for t in view.open_tasks} == {t.task_id for t in c.unfinished_tasks}
        assert view.contact_attempts == len(c.contact_attempts)
        assert (view.resolved, view.satisfaction) == (c.resolved, c.satisfaction)
        assert (view.acknowledged_at, view.answered_at) == (c.acknowledged_at, c.answered_at)
        assert view.reported_to == c.reported_to
        assert view.proposal_count == len(c.proposals)


def comparable(complaint: Complaint) -> dict[str, Any]:
    return {k: v for k, v in complaint.__dict__.items() if k != "_pending_events"}


ComplaintLifecycle.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None
)
test_complaint_lifecycle = ComplaintLifecycle.TestCase
