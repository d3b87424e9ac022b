"""The complaint (投诉) aggregate: every rule, every refusal and every path through the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kefu.domain.complaint import EVENT_ACTIONS, MAJOR_COMPLAINT, Complaint
from kefu.domain.complaint_lifecycle import TRANSITIONS, ComplaintAction, ComplaintStatus
from kefu.domain.complaint_policy import parse_complaint_policy
from kefu.domain.complaint_values import (
    EscalationLevel,
    ProposalOutcome,
    Remedy,
    RemedyKind,
    TaskOutcome,
)
from kefu.domain.errors import ActionNotAllowed, NotFound, RuleViolated
from kefu.store.mapper import MsgspecMapper
from tests.unit.complaint_builders import (
    POLICY,
    REFUND,
    SHANGHAI,
    T0,
    TICKET,
    VERBS,
    WALKS,
    complaint_in,
    later,
    meta,
    register,
    walk,
)

A = ComplaintAction
S = ComplaintStatus


def refused(error: type[Exception], verb: Any) -> Any:
    with pytest.raises(error) as caught:
        verb()
    return caught.value


def close(complaint: Complaint, at: datetime) -> None:
    complaint.close(policy=POLICY, zone=SHANGHAI, meta=meta(), at=at)


def attempt_contact(complaint: Complaint, *moments: datetime) -> None:
    for moment in moments:
        VERBS[A.CONTACT_ATTEMPT](complaint, meta(), moment)


# Registration


def test_a_complaint_is_registered_with_first_reply_due_in_24_hours_and_answer_in_3_days() -> None:
    complaint = register()

    assert complaint.status is S.REGISTERED
    assert (complaint.customer_id, complaint.ticket_id, complaint.major) == ("c-42", TICKET, False)
    assert complaint.first_reply_due_at == T0 + timedelta(hours=24)
    assert complaint.final_answer_due_at == T0 + timedelta(days=3)
    [registered] = complaint.collect_events()
    assert isinstance(registered, Complaint.Registered)
    assert (registered.meta.actor_id, registered.timestamp) == ("agent-1", T0)


def test_a_major_complaint_is_reported_to_the_manager_in_the_registering_save() -> None:
    complaint = register(major=True)

    registered, reported = complaint.collect_events()
    assert isinstance(registered, Complaint.Registered)
    assert isinstance(reported, Complaint.ReportedToManager)
    assert (reported.manager, reported.reason) == ("duty-manager", MAJOR_COMPLAINT)
    assert (reported.meta, reported.timestamp) == (registered.meta, T0)
    assert complaint.reported_to == "duty-manager"
    assert complaint.status is S.REGISTERED


def test_acknowledging_is_the_first_reply_and_keeps_when_it_happened() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, start=30)

    assert complaint.status is S.ACKNOWLEDGED
    assert complaint.acknowledged_at == later(30)


# The table


OUTSIDE_THE_TABLE = [(s, a) for s in S for a in A if a not in TRANSITIONS[s]]


@pytest.mark.parametrize(("status", "action"), OUTSIDE_THE_TABLE)
def test_an_action_outside_the_table_is_refused_with_what_is_allowed_now(
    status: ComplaintStatus, action: ComplaintAction
) -> None:
    complaint = complaint_in(status)

    error = refused(ActionNotAllowed, lambda: VERBS[action](complaint, meta(), later(500)))

    assert error.allowed_now == tuple(a.value for a in TRANSITIONS[status])
    assert complaint.pending_events == []
    assert complaint.status is status


def test_an_archived_complaint_allows_nothing() -> None:
    assert complaint_in(S.ARCHIVED).allowed_now == ()


def test_every_action_has_exactly_one_event_that_records_it() -> None:
    assert sorted(EVENT_ACTIONS.values()) == sorted(A)


# Investigation and escalation


def test_verified_facts_may_be_added_more_than_once_but_never_blank() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, A.FACTS, A.FACTS)

    error = refused(
        RuleViolated, lambda: complaint.record_facts(facts=" \n", meta=meta(), at=later(60))
    )

    assert complaint.facts_count == 2
    assert "verified facts" in error.message
    assert complaint.status is S.INVESTIGATING


def test_responsibility_names_a_department_and_a_cause_that_may_differ_from_the_type() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE)

    complaint.attribute(
        department="logistics",
        cause="logistics_delay",  # type: ignore[arg-type]
        note="courier dropped it",
        meta=meta(),
        at=later(20),
    )

    assert (complaint.department, complaint.cause) == ("logistics", "logistics_delay")
    assert complaint.complaint_type == "product_defect"
    assert complaint.status is S.INVESTIGATING


@pytest.mark.parametrize("status", [s for s in S if A.ESCALATE in TRANSITIONS[s]])
def test_a_complaint_may_be_escalated_at_any_time_before_it_is_closed(
    status: ComplaintStatus,
) -> None:
    complaint = complaint_in(status)

    complaint.escalate(
        level=EscalationLevel.EXPERT, to="expert-2", reason="legal risk", meta=meta(), at=later(99)
    )

    assert complaint.status is status
    assert (complaint.escalated_to, complaint.escalation_count) == ("expert-2", 1)


def test_an_escalation_needs_a_reason() -> None:
    complaint = register()

    refused(
        RuleViolated,
        lambda: complaint.escalate(
            level=EscalationLevel.SUPERVISOR, to="sup-1", reason="", meta=meta(), at=later(1)
        ),
    )

    assert complaint.escalation_count == 0


# Proposals


@pytest.mark.parametrize(
    ("remedies", "complaint_says"),
    [
        ((), "at least one remedy"),
        ((Remedy(RemedyKind.APOLOGY), Remedy(RemedyKind.APOLOGY)), "once"),
        ((Remedy(RemedyKind.REFUND),), "refund needs an amount"),
        ((Remedy(RemedyKind.COMPENSATION, Decimal(0)),), "compensation needs an amount"),
        ((Remedy(RemedyKind.REFUND, Decimal("0.001")),), "at most 2 decimals"),
        ((Remedy(RemedyKind.REFUND, Decimal("NaN")),), "positive sum"),
        ((Remedy(RemedyKind.REPAIR, Decimal(10)),), "repair has no amount"),
    ],
)
def test_a_proposal_is_refused_unless_its_remedies_make_sense(
    remedies: tuple[Remedy, ...], complaint_says: str
) -> None:
    complaint = complaint_in(S.INVESTIGATING)

    error = refused(
        RuleViolated, lambda: complaint.propose(remedies=remedies, note="", meta=meta(), at=T0)
    )

    assert complaint_says in error.message
    assert complaint.proposals == []


def test_a_rejected_proposal_returns_to_investigation_and_the_next_one_may_be_accepted() -> None:
    complaint = complaint_in(S.PROPOSED)

    complaint.reject(reason="wants an exchange", meta=meta(), at=later(60))
    assert complaint.status is S.INVESTIGATING
    exchange = (Remedy(RemedyKind.EXCHANGE),)
    complaint.propose(remedies=exchange, note="new kettle", meta=meta(), at=later(61))
    complaint.accept(note="", meta=meta(), at=later(62))

    assert complaint.status is S.EXECUTING
    assert [(p.number, p.remedies, p.outcome) for p in complaint.proposals] == [
        (1, REFUND, ProposalOutcome.REJECTED),
        (2, exchange, ProposalOutcome.ACCEPTED),
    ]
    assert complaint.accepted_proposal == 2
    assert complaint.answered_at == later(62)


def test_a_rejection_needs_the_customers_reason() -> None:
    complaint = complaint_in(S.PROPOSED)

    refused(RuleViolated, lambda: complaint.reject(reason="  ", meta=meta(), at=later(60)))

    assert complaint.status is S.PROPOSED


# Tasks


def test_tasks_are_numbered_in_order_and_belong_to_the_accepted_resolution() -> None:
    complaint = complaint_in(S.EXECUTING)

    first = VERBS[A.ASSIGN_TASK](complaint, meta(), later(100))
    second = VERBS[A.ASSIGN_TASK](complaint, meta(), later(101))

    assert (first, second) == ("1", "2")
    assert [t.proposal for t in complaint.tasks.values()] == [1, 1]
    assert [t.outcome for t in complaint.unfinished_tasks] == [TaskOutcome.OPEN] * 2


def test_a_task_must_be_due_after_it_is_assigned() -> None:
    complaint = complaint_in(S.EXECUTING)

    error = refused(
        RuleViolated,
        lambda: complaint.assign_task(
            department="finance",
            owner="f",
            due_at=later(99),
            description="",
            meta=meta(),
            at=later(100),
        ),
    )

    assert "due after" in error.message
    assert complaint.tasks == {}


def test_a_failed_task_stays_to_be_done_and_may_be_completed_later() -> None:
    complaint = complaint_in(S.EXECUTING)
    walk(complaint, A.ASSIGN_TASK, A.FAIL_TASK, start=100)
    assert [t.outcome for t in complaint.unfinished_tasks] == [TaskOutcome.FAILED]

    complaint.complete_task(task_id="1", note="paid by transfer", meta=meta(), at=later(200))

    assert complaint.unfinished_tasks == []
    assert complaint.tasks["1"].outcome is TaskOutcome.COMPLETED


def test_a_failure_needs_a_note_saying_why() -> None:
    complaint = walk(complaint_in(S.EXECUTING), A.ASSIGN_TASK, start=100)

    refused(RuleViolated, lambda: complaint.fail_task(task_id="1", note="", meta=meta(), at=T0))

    assert complaint.tasks["1"].outcome is TaskOutcome.OPEN


@pytest.mark.parametrize("action", [A.COMPLETE_TASK, A.FAIL_TASK])
def test_a_completed_task_cannot_be_completed_or_failed_again(action: ComplaintAction) -> None:
    complaint = walk(complaint_in(S.EXECUTING), A.ASSIGN_TASK, A.COMPLETE_TASK, start=100)

    error = refused(RuleViolated, lambda: VERBS[action](complaint, meta(), later(300)))

    assert error.message == "task 1 is already complete"


def test_an_unknown_task_is_not_found() -> None:
    complaint = complaint_in(S.EXECUTING)

    error = refused(
        NotFound, lambda: complaint.complete_task(task_id="9", note="", meta=meta(), at=T0)
    )

    assert (error.kind, error.record_id) == ("task", "9")


def test_the_tasks_of_an_earlier_resolution_cannot_be_finished_after_a_reopening() -> None:
    complaint = walk(complaint_in(S.EXECUTING), A.ASSIGN_TASK, start=100)
    complaint.confirm(resolved=False, satisfaction=1, comment="", meta=meta(), at=later(200))
    walk(complaint, A.PROPOSE, A.ACCEPT, start=300)

    error = refused(RuleViolated, lambda: VERBS[A.COMPLETE_TASK](complaint, meta(), later(400)))

    assert error.message == "task 1 belongs to an earlier resolution"
    assert complaint.unfinished_tasks == []


# Confirmation


def test_the_customer_confirms_only_once_every_task_is_complete() -> None:
    complaint = walk(complaint_in(S.EXECUTING), A.ASSIGN_TASK, A.ASSIGN_TASK, start=100)
    VERBS[A.COMPLETE_TASK](complaint, meta(), later(200))

    error = refused(RuleViolated, lambda: VERBS[A.CONFIRM](complaint, meta(), later(300)))
    assert error.message == "the resolution is not carried out yet: task 2 is open"
    complaint.complete_task(task_id="2", note="", meta=meta(), at=later(301))
    VERBS[A.CONFIRM](complaint, meta(), later(302))

    assert (complaint.status, complaint.resolved, complaint.satisfaction) == (S.CONFIRMED, True, 4)


@pytest.mark.parametrize("satisfaction", [0, 6, -1])
def test_satisfaction_is_a_whole_number_from_1_to_5(satisfaction: int) -> None:
    complaint = complaint_in(S.EXECUTING)

    refused(
        RuleViolated,
        lambda: complaint.confirm(
            resolved=True, satisfaction=satisfaction, comment="", meta=meta(), at=T0
        ),
    )

    assert complaint.status is S.EXECUTING


def test_not_resolved_reopens_the_complaint_in_the_same_save() -> None:
    complaint = complaint_in(S.EXECUTING)

    complaint.confirm(
        resolved=False, satisfaction=2, comment="still leaks", meta=meta(), at=later(200)
    )

    confirmed, reopened = complaint.collect_events()
    assert isinstance(confirmed, Complaint.Confirmed)
    assert not confirmed.resolved
    assert isinstance(reopened, Complaint.Reopened)
    assert reopened.reason == "the customer says it is not resolved: still leaks"
    assert complaint.status is S.REOPENED
    assert (complaint.accepted_proposal, complaint.reopen_count) == (None, 1)


# Closing


def test_a_confirmed_complaint_with_facts_attribution_and_done_tasks_closes() -> None:
    complaint = walk(complaint_in(S.EXECUTING), A.ASSIGN_TASK, A.COMPLETE_TASK, A.CONFIRM)

    close(complaint, later(500))

    assert complaint.status is S.CLOSED
    assert complaint.closed_unreachable is False


def test_closing_without_facts_says_so() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, A.ATTRIBUTE, A.PROPOSE, A.ACCEPT, A.CONFIRM)

    error = refused(RuleViolated, lambda: close(complaint, later(500)))

    assert error.message == "cannot close: no verified facts are recorded"
    assert error.allowed_now == ("close", "reopen", "escalate", "major")


def test_closing_without_an_attributed_responsibility_says_so() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, A.FACTS, A.PROPOSE, A.ACCEPT, A.CONFIRM)

    error = refused(RuleViolated, lambda: close(complaint, later(500)))

    assert error.message == "cannot close: responsibility is not attributed"


def test_closing_before_the_customer_confirms_lists_every_missing_step() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, A.FACTS, A.PROPOSE, A.ACCEPT, A.ASSIGN_TASK)
    attempt_contact(complaint, later(days=1))

    error = refused(RuleViolated, lambda: close(complaint, later(days=2)))

    assert error.message == (
        "cannot close: responsibility is not attributed; "
        "the resolution is not carried out yet: task 1 is open; "
        "the customer has not confirmed the outcome, nor been tried on 3 different days "
        "(tried on 1)"
    )
    assert complaint.status is S.EXECUTING


def test_a_customer_tried_on_three_different_days_may_be_closed_as_unreachable() -> None:
    complaint = complaint_in(S.EXECUTING)
    attempt_contact(complaint, later(days=1), later(days=2), later(days=3))

    close(complaint, later(days=3, minutes=5))

    assert complaint.status is S.CLOSED
    assert complaint.closed_unreachable is True
    assert complaint.resolved is None


def test_three_attempts_on_one_day_do_not_make_a_customer_unreachable() -> None:
    complaint = complaint_in(S.EXECUTING)
    attempt_contact(complaint, later(60), later(120), later(180))

    error = refused(RuleViolated, lambda: close(complaint, later(240)))

    assert "(tried on 1)" in error.message


def test_days_are_counted_in_the_business_time_zone_not_in_utc() -> None:
    complaint = complaint_in(S.EXECUTING)
    # 23:30 and 00:30 UTC are 07:30 and 08:30 on one Shanghai day; 16:30 UTC is the next.
    late, early, next_day = (
        datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
        datetime(2024, 3, 2, 0, 30, tzinfo=UTC),
        datetime(2024, 3, 2, 16, 30, tzinfo=UTC),
    )
    attempt_contact(complaint, late, early, next_day)

    error = refused(RuleViolated, lambda: close(complaint, next_day + timedelta(hours=1)))

    assert "(tried on 2)" in error.message


def test_contact_attempts_count_only_since_the_resolution_now_accepted() -> None:
    complaint = complaint_in(S.EXECUTING)
    attempt_contact(complaint, later(days=1), later(days=2))
    complaint.confirm(resolved=False, satisfaction=1, comment="", meta=meta(), at=later(days=3))
    walk(complaint, A.PROPOSE, A.ACCEPT, start=60 * 24 * 3 + 1)
    attempt_contact(complaint, later(days=4))

    error = refused(RuleViolated, lambda: close(complaint, later(days=4, minutes=1)))

    assert "(tried on 1)" in error.message


# Reopening and archiving


def test_a_closed_complaint_reopens_with_a_reason_and_needs_a_new_resolution() -> None:
    complaint = complaint_in(S.CLOSED)

    complaint.reopen(reason="leaks again", meta=meta(), at=later(days=10))

    assert complaint.status is S.REOPENED
    assert (complaint.accepted_proposal, complaint.resolved, complaint.reopen_count) == (
        None,
        None,
        1,
    )
    assert complaint.answered_at == later(14)  # the first accepted answer stays on record


def test_reopening_needs_a_reason() -> None:
    complaint = complaint_in(S.CLOSED)

    refused(RuleViolated, lambda: complaint.reopen(reason="", meta=meta(), at=later(days=10)))

    assert complaint.status is S.CLOSED


def test_a_reopened_complaint_can_be_resolved_and_closed_again() -> None:
    complaint = complaint_in(S.REOPENED)

    walk(complaint, A.PROPOSE, A.ACCEPT, A.CONFIRM, A.CLOSE, A.ARCHIVE, start=1000)

    assert complaint.status is S.ARCHIVED
    assert [p.outcome for p in complaint.proposals] == [ProposalOutcome.ACCEPTED] * 2


# Whole paths, and replay


PATHS = {
    "accept": WALKS[S.ARCHIVED],
    "reject then accept": [
        A.ACKNOWLEDGE, A.FACTS, A.ATTRIBUTE, A.PROPOSE, A.REJECT, A.PROPOSE, A.ACCEPT,
        A.ASSIGN_TASK, A.COMPLETE_TASK, A.CONFIRM, A.CLOSE, A.ARCHIVE,
    ],
    "escalate": [
        A.ESCALATE, A.ACKNOWLEDGE, A.FACTS, A.ESCALATE, A.ATTRIBUTE, A.PROPOSE, A.ACCEPT,
        A.CONFIRM, A.CLOSE, A.ARCHIVE,
    ],
    "reopen": [*WALKS[S.REOPENED], A.PROPOSE, A.ACCEPT, A.CONFIRM, A.CLOSE, A.ARCHIVE],
}  # fmt: skip


@pytest.mark.parametrize("path", list(PATHS), ids=list(PATHS))
def test_each_path_ends_archived_and_its_stored_events_rebuild_the_same_complaint(
    path: str,
) -> None:
    complaint = register(major=True)
    events = complaint.collect_events()
    walk(complaint, *PATHS[path])
    events += complaint.collect_events()
    mapper = MsgspecMapper()

    rebuilt = None
    for event in (mapper.to_domain_event(mapper.to_stored_event(e)) for e in events):
        rebuilt = event.mutate(rebuilt)

    assert complaint.status is S.ARCHIVED
    assert vars(rebuilt) == vars(complaint)
    assert len(events) == complaint.version == len(PATHS[path]) + 2


def test_a_complaint_made_major_after_registration_is_reported_to_the_manager_at_once() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, A.FACTS)

    complaint.make_major(
        reason="a second customer was hurt", policy=POLICY, meta=meta(), at=later(30)
    )

    events = complaint.collect_events()
    assert [type(e).__name__ for e in events][-2:] == ["MadeMajor", "ReportedToManager"]
    assert (complaint.major, complaint.reported_to) == (True, POLICY.manager)
    with pytest.raises(RuleViolated, match="major already"):
        complaint.make_major(reason="again", policy=POLICY, meta=meta(), at=later(31))


def test_a_closed_complaint_cannot_be_made_major() -> None:
    with pytest.raises(ActionNotAllowed):
        complaint_in(S.CLOSED).make_major(reason="x", policy=POLICY, meta=meta(), at=later(99))


def test_the_complaint_policy_durations_are_configurable_and_checked() -> None:
    policy = parse_complaint_policy("first_reply=2h, final_answer=1d, manager=li-lei")

    assert (policy.first_reply_within, policy.final_answer_within) == (
        timedelta(hours=2),
        timedelta(days=1),
    )
    assert (policy.unreachable_after_days, policy.manager) == (3, "li-lei")
    for bad in ("first_reply=2x", "unreachable_days=0", "colour=red", "manager="):
        with pytest.raises(ValueError):
            parse_complaint_policy(bad)
