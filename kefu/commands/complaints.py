"""Complaint (投诉) commands and their handlers: load, call the verb, save."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.errors import require
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_lifecycle import ComplaintAction
from kefu.domain.complaint_values import (
    ComplaintType,
    EscalationLevel,
    Remedy,
    RemedyKind,
    is_money,
)
from kefu.domain.deadlines import Priority
from kefu.domain.ticket import Ticket

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class RegisterComplaint(Command, frozen=True):
    """受理: record a complaint with the standard template."""

    channel: Channel
    customer_id: Name
    type: ComplaintType
    description: Text
    contact: Name
    expectation: Note = ""
    severity: Priority = Priority.NORMAL
    major: bool = False
    ticket_id: UUID | None = None


class AcknowledgeComplaint(Command, frozen=True):
    message: Note = ""


class RecordFacts(Command, frozen=True):
    facts: Text


class AttributeResponsibility(Command, frozen=True):
    department: Name
    cause: ComplaintType
    note: Note = ""


class EscalateComplaint(Command, frozen=True):
    level: EscalationLevel
    to: Name
    reason: Text


class RemedyItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One remedy of a proposal; `amount` (a decimal string or number) for money only."""

    kind: RemedyKind
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if self.amount is not None and not is_money(self.amount):
            raise ValueError("amount must be a positive sum with at most 2 decimal places")


class ProposeResolution(Command, frozen=True):
    remedies: Annotated[list[RemedyItem], msgspec.Meta(min_length=1, max_length=6)]
    note: Note = ""


class AcceptResolution(Command, frozen=True):
    note: Note = ""


class RejectResolution(Command, frozen=True):
    reason: Text


class AssignTask(Command, frozen=True):
    department: Name
    owner: Name
    due_at: AwareTime
    description: Note = ""


class TaskDone(Command, frozen=True):
    """The body of POST .../tasks/{task_id}/complete."""

    note: Note = ""


class TaskFailure(Command, frozen=True):
    """The body of POST .../tasks/{task_id}/fail: why it failed."""

    note: Text


class FinishTask(Command, frozen=True):
    """A task's outcome: its id from the path, its note from the body."""

    task_id: str
    note: str


class RecordContactAttempt(Command, frozen=True):
    channel: Channel
    note: Note = ""


class ConfirmOutcome(Command, frozen=True):
    resolved: bool
    satisfaction: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Note = ""


class CloseComplaint(Command, frozen=True):
    pass


class ReopenComplaint(Command, frozen=True):
    reason: Text


class ArchiveComplaint(Command, frozen=True):
    pass


def acknowledge(c: Complaint, cmd: AcknowledgeComplaint, e: Env) -> None:
    c.acknowledge(message=cmd.message, meta=e.meta, at=e.at)


def record_facts(c: Complaint, cmd: RecordFacts, e: Env) -> None:
    c.record_facts(facts=cmd.facts, meta=e.meta, at=e.at)


def attribute(c: Complaint, cmd: AttributeResponsibility, e: Env) -> None:
    c.attribute(department=cmd.department, cause=cmd.cause, note=cmd.note, meta=e.meta, at=e.at)


def escalate(c: Complaint, cmd: EscalateComplaint, e: Env) -> None:
    c.escalate(level=cmd.level, to=cmd.to, reason=cmd.reason, meta=e.meta, at=e.at)


def propose(c: Complaint, cmd: ProposeResolution, e: Env) -> None:
    remedies = tuple(Remedy(r.kind, r.amount) for r in cmd.remedies)
    c.propose(remedies=remedies, note=cmd.note, meta=e.meta, at=e.at)


def accept(c: Complaint, cmd: AcceptResolution, e: Env) -> None:
    c.accept(note=cmd.note, meta=e.meta, at=e.at)


def reject(c: Complaint, cmd: RejectResolution, e: Env) -> None:
    c.reject(reason=cmd.reason, meta=e.meta, at=e.at)


def assign_task(c: Complaint, cmd: AssignTask, e: Env) -> None:
    c.assign_task(
        department=cmd.department,
        owner=cmd.owner,
        due_at=cmd.due_at,
        description=cmd.description,
        meta=e.meta,
        at=e.at,
    )


def complete_task(c: Complaint, cmd: FinishTask, e: Env) -> None:
    c.complete_task(task_id=cmd.task_id, note=cmd.note, meta=e.meta, at=e.at)


def fail_task(c: Complaint, cmd: FinishTask, e: Env) -> None:
    c.fail_task(task_id=cmd.task_id, note=cmd.note, meta=e.meta, at=e.at)


def record_contact_attempt(c: Complaint, cmd: RecordContactAttempt, e: Env) -> None:
    c.record_contact_attempt(channel=cmd.channel, note=cmd.note, meta=e.meta, at=e.at)


def confirm(c: Complaint, cmd: ConfirmOutcome, e: Env) -> None:
    c.confirm(
        resolved=cmd.resolved,
        satisfaction=cmd.satisfaction,
        comment=cmd.comment,
        meta=e.meta,
        at=e.at,
    )


def close(c: Complaint, cmd: CloseComplaint, e: Env) -> None:
    c.close(policy=e.policies.complaints, zone=e.policies.timezone, meta=e.meta, at=e.at)


def reopen(c: Complaint, cmd: ReopenComplaint, e: Env) -> None:
    c.reopen(reason=cmd.reason, meta=e.meta, at=e.at)


def archive(c: Complaint, cmd: ArchiveComplaint, e: Env) -> None:
    c.archive(meta=e.meta, at=e.at)


A = ComplaintAction

# Each action's command Struct and its handler. The task outcomes ("tasks/complete",
# "tasks/fail") are reached through /tasks/{task_id}/{outcome}, which builds a FinishTask.
COMPLAINT_ACTIONS: ActionTable[Complaint] = {
    A.ACKNOWLEDGE.value: (AcknowledgeComplaint, acknowledge),
    A.FACTS.value: (RecordFacts, record_facts),
    A.ATTRIBUTE.value: (AttributeResponsibility, attribute),
    A.ESCALATE.value: (EscalateComplaint, escalate),
    A.PROPOSE.value: (ProposeResolution, propose),
    A.ACCEPT.value: (AcceptResolution, accept),
    A.REJECT.value: (RejectResolution, reject),
    A.ASSIGN_TASK.value: (AssignTask, assign_task),
    A.COMPLETE_TASK.value: (FinishTask, complete_task),
    A.FAIL_TASK.value: (FinishTask, fail_task),
    A.CONTACT_ATTEMPT.value: (RecordContactAttempt, record_contact_attempt),
    A.CONFIRM.value: (ConfirmOutcome, confirm),
    A.CLOSE.value: (CloseComplaint, close),
    A.REOPEN.value: (ReopenComplaint, reopen),
    A.ARCHIVE.value: (ArchiveComplaint, archive),
}

# The body each task outcome decodes, by the outcome's name in the path.
TASK_OUTCOME_BODIES: dict[str, type[TaskDone | TaskFailure]] = {
    "complete": TaskDone,
    "fail": TaskFailure,
}


class ComplaintCommands(AggregateCommands[Complaint]):
    """The complaint write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Complaint, COMPLAINT_ACTIONS)

    def register(self, cmd: RegisterComplaint, ctx: Context) -> Outcome:
        require(self.app, Ticket, cmd.ticket_id, "ticket_id")

        def make(e: Env) -> Complaint:
            return Complaint.register(
                channel=cmd.channel,
                customer_id=cmd.customer_id,
                ticket_id=cmd.ticket_id,
                complaint_type=cmd.type,
                description=cmd.description,
                expectation=cmd.expectation,
                contact=cmd.contact,
                severity=cmd.severity,
                major=cmd.major,
                policy=e.policies.complaints,
                meta=e.meta,
                at=e.at,
            )

        return self.create(ctx, make)
