"""A complaint's deadlines folded from its events: due, met, escalated once, tasks included."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from kefu.domain.complaint import Complaint
from kefu.domain.complaint_deadlines import (
    FINAL_ANSWER,
    FIRST_REPLY,
    ComplaintDeadlines,
    fold_deadlines,
)
from kefu.domain.complaint_values import EscalationLevel
from kefu.domain.metadata import EventMetadata
from tests.unit.complaint_builders import T0, A, later, register, walk

SYSTEM = EventMetadata("system", "automation", UUID(int=9), UUID(int=9), None, "deadline:")


def deadlines(complaint: Complaint) -> ComplaintDeadlines:
    state = None
    for event in complaint.collect_events():
        state = fold_deadlines(state, event)
    assert state is not None
    return state


def test_a_new_complaint_owes_a_reply_in_24_hours_and_an_answer_in_3_days() -> None:
    state = deadlines(register())

    assert state.due(later(days=1, minutes=-1)) == []
    assert [d.key for d in state.due(later(days=1, minutes=1))] == [FIRST_REPLY]
    assert {d.key for d in state.due(later(days=4))} == {FIRST_REPLY, FINAL_ANSWER}
    assert state.next_due() == state.deadlines[FIRST_REPLY].due_at


def test_acknowledging_meets_the_first_reply_and_accepting_a_resolution_the_final_answer() -> None:
    complaint = walk(register(), A.ACKNOWLEDGE, A.FACTS, A.ATTRIBUTE, A.PROPOSE, A.ACCEPT)

    assert deadlines(complaint).due(later(days=30)) == []


def test_a_department_task_past_due_is_escalated_to_its_department_until_done() -> None:
    complaint = walk(register(), *[A.ACKNOWLEDGE, A.FACTS, A.ATTRIBUTE, A.PROPOSE, A.ACCEPT])
    walk(complaint, A.ASSIGN_TASK, start=20)
    state = deadlines(complaint)
    [task] = state.due(later(days=2))
    assert (task.key, task.level, task.to) == ("task:1", EscalationLevel.SUPERVISOR,
                                               "department finance")  # fmt: skip

    walk(complaint, A.COMPLETE_TASK, start=30)
    done = state
    for event in complaint.collect_events():
        done = fold_deadlines(done, event)
    assert done.due(later(days=2)) == []


def test_an_escalation_for_a_deadline_marks_it_done_and_others_do_not() -> None:
    complaint = register()
    complaint.escalate(
        level=EscalationLevel.MANAGER, to="boss", reason="angry customer", meta=SYSTEM, at=later(5)
    )  # fmt: skip  (not a deadline's channel)
    by_deadline = EventMetadata("system", "automation", UUID(int=8), UUID(int=8), None,
                                f"deadline:{FIRST_REPLY}")  # fmt: skip
    complaint.escalate(level=EscalationLevel.SUPERVISOR, to="supervisor", reason="late",
                       meta=by_deadline, at=T0 + timedelta(days=1, minutes=1))  # fmt: skip

    assert [d.key for d in deadlines(complaint).due(later(days=4))] == [FINAL_ANSWER]
