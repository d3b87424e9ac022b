"""Complaint (投诉) commands: the Structs HTTP bodies decode into, and one handler per action.

A handler is handed the loaded complaint and calls its verb with the command's fields, the
metadata and the time in `env`. Loading at the expected version, idempotency and saving happen
once for all kinds, in `AggregateCommands` and `CommandRunner`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import InDepartment, Names, Reference
from kefu.domain.agent import Agent
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
from kefu.domain.customer import Customer
from kefu.domain.deadlines import Priority
from kefu.domain.ticket import Ticket

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class RegisterComplaint(Command, frozen=True):
    """受理: record a complaint with the standard template."""

    channel: Channel
    customer_id: UUID
    type: ComplaintType
    description: Text
    contact: Name
    expectation: Note = ""
    severity: Priority = Priority.NORMAL
    major: bool = False
    ticket_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (
            Names("customer_id", Customer, self.customer_id),
            Names("ticket_id", Ticket, self.ticket_id),
        )


class MakeMajor(Command, frozen=True):
    """重大投诉 after registration: why it is major; the manager is told in the same save."""

    reason: Text


class AcknowledgeComplaint(Command, frozen=True):
    message: Note = ""


class RecordFacts(Command, frozen=True):
    facts: Text


class AttributeResponsibility(Command, frozen=True):
    department: Name
    cause: ComplaintType
    note: Note = ""

    def references(self) -> Sequence[Reference]:
        return (InDepartment("department", self.department),)


class EscalateComplaint(Command, frozen=True):
    """升级 to a supervisor, expert or manager: `to` is that person's agent id."""

    level: EscalationLevel
    to: UUID
    reason: Text

    def references(self) -> Sequence[Reference]:
        return (Names("to", Agent, self.to),)


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
    """A department's part of the resolution; `owner` is the agent who carries it out."""

    department: Name
    owner: UUID
    due_at: AwareTime
    description: Note = ""

    def references(self) -> Sequence[Reference]:
        return (InDepartment("department", self.department), Names("owner", Agent, self.owner))


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


def acknowledge(complaint: Complaint, command: AcknowledgeComplaint, env: Env) -> None:
    complaint.acknowledge(message=command.message, meta=env.meta, at=env.at)


def record_facts(complaint: Complaint, command: RecordFacts, env: Env) -> None:
    complaint.record_facts(facts=command.facts, meta=env.meta, at=env.at)


def attribute(complaint: Complaint, command: AttributeResponsibility, env: Env) -> None:
    complaint.attribute(
        department=command.department,
        cause=command.cause,
        note=command.note,
        meta=env.meta,
        at=env.at,
    )


def escalate(complaint: Complaint, command: EscalateComplaint, env: Env) -> None:
    complaint.escalate(
        level=command.level, to=str(command.to), reason=command.reason, meta=env.meta, at=env.at
    )


def propose(complaint: Complaint, command: ProposeResolution, env: Env) -> None:
    remedies = tuple(Remedy(r.kind, r.amount) for r in command.remedies)
    complaint.propose(remedies=remedies, note=command.note, meta=env.meta, at=env.at)


def make_major(complaint: Complaint, command: MakeMajor, env: Env) -> None:
    complaint.make_major(
        reason=command.reason, policy=env.policies.complaints, meta=env.meta, at=env.at
    )


def accept(complaint: Complaint, command: AcceptResolution, env: Env) -> None:
    complaint.accept(note=command.note, meta=env.meta, at=env.at)


def reject(complaint: Complaint, command: RejectResolution, env: Env) -> None:
    complaint.reject(reason=command.reason, meta=env.meta, at=env.at)


def assign_task(complaint: Complaint, command: AssignTask, env: Env) -> None:
    complaint.assign_task(
        department=command.department,
        owner=str(command.owner),
        due_at=command.due_at,
        description=command.description,
        meta=env.meta,
        at=env.at,
    )


def complete_task(complaint: Complaint, command: FinishTask, env: Env) -> None:
    complaint.complete_task(task_id=command.task_id, note=command.note, meta=env.meta, at=env.at)


def fail_task(complaint: Complaint, command: FinishTask, env: Env) -> None:
    complaint.fail_task(task_id=command.task_id, note=command.note, meta=env.meta, at=env.at)


def record_contact_attempt(complaint: Complaint, command: RecordContactAttempt, env: Env) -> None:
    complaint.record_contact_attempt(
        channel=command.channel, note=command.note, meta=env.meta, at=env.at
    )


def confirm(complaint: Complaint, command: ConfirmOutcome, env: Env) -> None:
    complaint.confirm(
        resolved=command.resolved,
        satisfaction=command.satisfaction,
        comment=command.comment,
        meta=env.meta,
        at=env.at,
    )


def close(complaint: Complaint, command: CloseComplaint, env: Env) -> None:
    complaint.close(
        policy=env.policies.complaints, zone=env.policies.timezone, meta=env.meta, at=env.at
    )


def reopen(complaint: Complaint, command: ReopenComplaint, env: Env) -> None:
    complaint.reopen(reason=command.reason, meta=env.meta, at=env.at)


def archive(complaint: Complaint, command: ArchiveComplaint, env: Env) -> None:
    complaint.archive(meta=env.meta, at=env.at)


A = ComplaintAction

# Each action's command Struct and its handler. The task outcomes ("tasks/complete",
# "tasks/fail") are reached through /tasks/{task_id}/{outcome}, which builds a FinishTask.
COMPLAINT_ACTIONS: ActionTable[Complaint] = {
    A.ACKNOWLEDGE.value: action(AcknowledgeComplaint, acknowledge),
    A.FACTS.value: action(RecordFacts, record_facts),
    A.ATTRIBUTE.value: action(AttributeResponsibility, attribute),
    A.ESCALATE.value: action(EscalateComplaint, escalate),
    A.PROPOSE.value: action(ProposeResolution, propose),
    A.ACCEPT.value: action(AcceptResolution, accept),
    A.REJECT.value: action(RejectResolution, reject),
    A.ASSIGN_TASK.value: action(AssignTask, assign_task),
    A.COMPLETE_TASK.value: action(FinishTask, complete_task),
    A.FAIL_TASK.value: action(FinishTask, fail_task),
    A.CONTACT_ATTEMPT.value: action(RecordContactAttempt, record_contact_attempt),
    A.CONFIRM.value: action(ConfirmOutcome, confirm),
    A.CLOSE.value: action(CloseComplaint, close),
    A.REOPEN.value: action(ReopenComplaint, reopen),
    A.ARCHIVE.value: action(ArchiveComplaint, archive),
    A.MAKE_MAJOR.value: action(MakeMajor, make_major),
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

    def register(self, command: RegisterComplaint, ctx: Context) -> Outcome:
        self.check(command)
        return self.create(ctx, lambda env: self.registered(command, env))

    def registered(
        self, command: RegisterComplaint, env: Env, record_id: UUID | None = None
    ) -> Complaint:
        """The new complaint (unsaved); `record_id` is an import's id for it (else a new one)."""
        return Complaint.register(
            channel=command.channel,
            customer_id=str(command.customer_id),
            ticket_id=command.ticket_id,
            complaint_type=command.type,
            description=command.description,
            expectation=command.expectation,
            contact=command.contact,
            severity=command.severity,
            major=command.major,
            policy=env.policies.complaints,
            meta=env.meta,
            at=env.at,
            record_id=record_id,
        )
