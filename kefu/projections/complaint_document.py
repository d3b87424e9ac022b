"""The complaint document (投诉查询): one complaint as handlers see it, folded from its events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.complaint import EVENT_ACTIONS, Complaint
from kefu.domain.complaint_lifecycle import TRANSITIONS, ComplaintStatus
from kefu.domain.lifecycle import status_after

C = Complaint


class RemedyView(msgspec.Struct, frozen=True, kw_only=True):
    """One remedy of a proposal."""

    kind: str
    amount: Decimal | None = None


class ProposalView(msgspec.Struct, frozen=True, kw_only=True):
    """The latest proposed resolution and what the customer said to it."""

    number: int
    remedies: tuple[RemedyView, ...]
    note: str
    outcome: str


class TaskView(msgspec.Struct, frozen=True, kw_only=True):
    """A task of the accepted resolution that is not complete yet."""

    task_id: str
    department: str
    owner: str
    due_at: datetime
    description: str
    outcome: str = "open"
    note: str = ""


class ComplaintDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A complaint as agents, managers and reports see it."""

    id: UUID
    status: str
    channel: str
    customer_id: str
    ticket_id: UUID | None
    type: str
    description: str
    expectation: str
    contact: str
    severity: str
    major: bool
    reported_to: str | None = None
    escalation_level: str | None = None
    escalated_to: str | None = None
    escalation_count: int = 0
    facts_count: int = 0
    responsible_department: str | None = None
    cause: str | None = None
    current_proposal: ProposalView | None = None
    proposal_count: int = 0
    open_tasks: tuple[TaskView, ...] = ()
    task_departments: tuple[str, ...] = ()  # every department given a task, once each
    contact_attempts: int = 0
    resolved: bool | None = None
    satisfaction: int | None = None
    satisfaction_comment: str | None = None
    registered_at: datetime
    updated_at: datetime
    first_reply_due_at: datetime
    final_answer_due_at: datetime
    acknowledged_at: datetime | None = None
    acknowledge_seconds: float | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    closed_unreachable: bool = False
    reopen_count: int = 0
    archived_at: datetime | None = None
    version: int
    position: int = 0

    def overdue(self, now: datetime) -> dict[str, bool]:
        """Whether the first reply (acknowledgement) and the final answer (an accepted
        resolution) missed, or are missing, their deadlines."""
        return {
            "first_reply_overdue": (self.acknowledged_at or now) > self.first_reply_due_at,
            "final_answer_overdue": (self.answered_at or now) > self.final_answer_due_at,
        }


def fold(view: ComplaintDocument | None, event: Any, position: int) -> ComplaintDocument:
    """The view after `event` (an event of the complaint at `position` in the log)."""
    if view is None:
        return _registered(event, position)
    changed = _apply(event, view)
    return replace(
        changed,
        status=_status_after(changed, event),
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _status_after(view: Any, event: Any) -> str:
    return str(status_after(TRANSITIONS, EVENT_ACTIONS, ComplaintStatus(view.status), event))


def _registered(event: Complaint.Registered, position: int) -> ComplaintDocument:
    return ComplaintDocument(
        id=event.originator_id,
        status=str(ComplaintStatus.REGISTERED),
        channel=str(event.channel),
        customer_id=event.customer_id,
        ticket_id=event.ticket_id,
        type=str(event.complaint_type),
        description=event.description,
        expectation=event.expectation,
        contact=event.contact,
        severity=str(event.severity),
        major=event.major,
        registered_at=event.timestamp,
        updated_at=event.timestamp,
        first_reply_due_at=event.first_reply_due_at,
        final_answer_due_at=event.final_answer_due_at,
        version=event.originator_version,
        position=position,
    )


def _with_task(view: ComplaintDocument, task_id: str, **changes: Any) -> ComplaintDocument:
    tasks = tuple(replace(t, **changes) if t.task_id == task_id else t for t in view.open_tasks)
    return replace(view, open_tasks=tasks)


@singledispatch
def _apply(event: Any, view: ComplaintDocument) -> ComplaintDocument:
    return view


@_apply.register
def _(event: C.ReportedToManager, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, reported_to=event.manager)


@_apply.register
def _(event: C.MadeMajor, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, major=True)


@_apply.register
def _(event: C.Acknowledged, view: ComplaintDocument) -> ComplaintDocument:
    seconds = (event.timestamp - view.registered_at).total_seconds()
    return replace(view, acknowledged_at=event.timestamp, acknowledge_seconds=seconds)


@_apply.register
def _(event: C.FactsRecorded, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, facts_count=view.facts_count + 1)


@_apply.register
def _(event: C.ResponsibilityAttributed, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, responsible_department=event.department, cause=str(event.cause))


@_apply.register
def _(event: C.Escalated, view: ComplaintDocument) -> ComplaintDocument:
    return replace(
        view,
        escalation_level=str(event.level),
        escalated_to=event.to,
        escalation_count=view.escalation_count + 1,
    )


@_apply.register
def _(event: C.ResolutionProposed, view: ComplaintDocument) -> ComplaintDocument:
    remedies = tuple(RemedyView(kind=str(r.kind), amount=r.amount) for r in event.remedies)
    proposal = ProposalView(
        number=event.number, remedies=remedies, note=event.note, outcome="pending"
    )
    return replace(view, current_proposal=proposal, proposal_count=view.proposal_count + 1)


@_apply.register
def _(event: C.ResolutionAccepted, view: ComplaintDocument) -> ComplaintDocument:
    assert view.current_proposal is not None
    return replace(
        view,
        current_proposal=replace(view.current_proposal, outcome="accepted"),
        answered_at=view.answered_at or event.timestamp,
        open_tasks=(),
        contact_attempts=0,
    )


@_apply.register
def _(event: C.ResolutionRejected, view: ComplaintDocument) -> ComplaintDocument:
    assert view.current_proposal is not None
    return replace(view, current_proposal=replace(view.current_proposal, outcome="rejected"))


@_apply.register
def _(event: C.TaskAssigned, view: ComplaintDocument) -> ComplaintDocument:
    task = TaskView(
        task_id=event.task_id,
        department=event.department,
        owner=event.owner,
        due_at=event.due_at,
        description=event.description,
    )
    departments = tuple(dict.fromkeys((*view.task_departments, event.department)))
    return replace(view, open_tasks=(*view.open_tasks, task), task_departments=departments)


@_apply.register
def _(event: C.TaskCompleted, view: ComplaintDocument) -> ComplaintDocument:
    tasks = tuple(t for t in view.open_tasks if t.task_id != event.task_id)
    return replace(view, open_tasks=tasks)


@_apply.register
def _(event: C.TaskFailed, view: ComplaintDocument) -> ComplaintDocument:
    return _with_task(view, event.task_id, outcome="failed", note=event.note)


@_apply.register
def _(event: C.ContactAttempted, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, contact_attempts=view.contact_attempts + 1)


@_apply.register
def _(event: C.Confirmed, view: ComplaintDocument) -> ComplaintDocument:
    return replace(
        view,
        resolved=event.resolved,
        satisfaction=event.satisfaction,
        satisfaction_comment=event.comment,
    )


@_apply.register
def _(event: C.Closed, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, closed_at=event.timestamp, closed_unreachable=event.unreachable)


@_apply.register
def _(event: C.Reopened, view: ComplaintDocument) -> ComplaintDocument:
    # The customer's verdict on the old resolution stays in the history, not in the view.
    return replace(
        view,
        reopen_count=view.reopen_count + 1,
        open_tasks=(),
        contact_attempts=0,
        resolved=None,
        satisfaction=None,
        satisfaction_comment=None,
        closed_at=None,
        closed_unreachable=False,
    )


@_apply.register
def _(event: C.Archived, view: ComplaintDocument) -> ComplaintDocument:
    return replace(view, archived_at=event.timestamp)
