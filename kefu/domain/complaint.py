"""The complaint (投诉): handled by 五清楚一报告, as an event-sourced aggregate."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.channels import Channel
from kefu.domain.complaint_lifecycle import (
    TRANSITIONS,
    ComplaintAction,
    ComplaintStatus,
    allowed_actions,
    next_status,
)
from kefu.domain.complaint_policy import ComplaintPolicy
from kefu.domain.complaint_values import (
    PAID_REMEDIES,
    ComplaintType,
    EscalationLevel,
    Proposal,
    ProposalOutcome,
    Remedy,
    Task,
    TaskOutcome,
    is_money,
)
from kefu.domain.deadlines import Priority
from kefu.domain.errors import ActionNotAllowed, NotFound, RuleViolated
from kefu.domain.metadata import EventMetadata

A = ComplaintAction
MAJOR_COMPLAINT = "major complaint (重大投诉): reported at registration"


class Complaint(Aggregate):
    """A customer's complaint, from 受理 (register) to 归档 (archive).

    Public methods are the domain verbs: each checks the lifecycle table and the complaint's
    rules, then records its event(s). `at` is when it happened: the domain reads no clock.
    """

    status: ComplaintStatus

    class Registered(Aggregate.Created):
        """受理: the complaint was recorded with the standard template, and its deadlines."""

        channel: Channel
        customer_id: str
        ticket_id: UUID | None
        complaint_type: ComplaintType
        description: str
        expectation: str
        contact: str
        severity: Priority
        major: bool
        first_reply_due_at: datetime
        final_answer_due_at: datetime
        meta: EventMetadata

    class ReportedToManager(Aggregate.Event):
        """一报告: a major complaint was reported to a manager, in the registering save."""

        manager: str
        reason: str
        meta: EventMetadata

    class MadeMajor(Aggregate.Event):
        """The complaint turned out to be major after registration (reported in the same save)."""

        reason: str
        meta: EventMetadata

    class Acknowledged(Aggregate.Event):
        message: str
        meta: EventMetadata

    class FactsRecorded(Aggregate.Event):
        facts: str
        meta: EventMetadata

    class ResponsibilityAttributed(Aggregate.Event):
        department: str
        cause: ComplaintType
        note: str
        meta: EventMetadata

    class Escalated(Aggregate.Event):
        level: EscalationLevel
        to: str
        reason: str
        meta: EventMetadata

    class ResolutionProposed(Aggregate.Event):
        number: int
        remedies: tuple[Remedy, ...]
        note: str
        meta: EventMetadata

    class ResolutionAccepted(Aggregate.Event):
        number: int
        note: str
        meta: EventMetadata

    class ResolutionRejected(Aggregate.Event):
        number: int
        reason: str
        meta: EventMetadata

    class TaskAssigned(Aggregate.Event):
        task_id: str
        proposal: int
        department: str
        owner: str
        due_at: datetime
        description: str
        meta: EventMetadata

    class TaskCompleted(Aggregate.Event):
        task_id: str
        note: str
        meta: EventMetadata

    class TaskFailed(Aggregate.Event):
        task_id: str
        note: str
        meta: EventMetadata

    class ContactAttempted(Aggregate.Event):
        channel: Channel
        note: str
        meta: EventMetadata

    class Confirmed(Aggregate.Event):
        resolved: bool
        satisfaction: int
        comment: str
        meta: EventMetadata

    class Closed(Aggregate.Event):
        unreachable: bool
        meta: EventMetadata

    class Reopened(Aggregate.Event):
        reason: str
        meta: EventMetadata

    class Archived(Aggregate.Event):
        meta: EventMetadata

    @event(Registered)
    def __init__(
        self,
        channel: Channel,
        customer_id: str,
        ticket_id: UUID | None,
        complaint_type: ComplaintType,
        description: str,
        expectation: str,
        contact: str,
        severity: Priority,
        major: bool,
        first_reply_due_at: datetime,
        final_answer_due_at: datetime,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.channel, self.customer_id, self.ticket_id = channel, customer_id, ticket_id
        self.complaint_type, self.severity, self.major = complaint_type, severity, major
        self.description, self.expectation, self.contact = description, expectation, contact
        self.first_reply_due_at = first_reply_due_at
        self.final_answer_due_at = final_answer_due_at
        self.status = ComplaintStatus.REGISTERED
        self.reported_to: str | None = None
        self.acknowledged_at: datetime | None = None
        self.answered_at: datetime | None = None
        self.facts_count = 0
        self.department: str | None = None
        self.cause: ComplaintType | None = None
        self.escalated_to: str | None = None
        self.escalation_count = 0
        self.proposals: list[Proposal] = []
        self.accepted_proposal: int | None = None
        self.tasks: dict[str, Task] = {}
        self.contact_attempts: list[datetime] = []
        self.resolved: bool | None = None
        self.satisfaction: int | None = None
        self.closed_unreachable = False
        self.reopen_count = 0

    @classmethod
    def register(
        cls,
        *,
        channel: Channel,
        customer_id: str,
        ticket_id: UUID | None,
        complaint_type: ComplaintType,
        description: str,
        expectation: str,
        contact: str,
        severity: Priority,
        major: bool,
        policy: ComplaintPolicy,
        meta: EventMetadata,
        at: datetime,
        record_id: UUID | None = None,
    ) -> Complaint:
        """受理: record a complaint; a major one is reported to the manager in the same save.
        `record_id`: an id given by the caller (an import's), else a new one."""
        complaint = cls._create(
            cls.Registered,
            id=record_id,
            channel=channel,
            customer_id=customer_id,
            ticket_id=ticket_id,
            complaint_type=complaint_type,
            description=description,
            expectation=expectation,
            contact=contact,
            severity=severity,
            major=major,
            first_reply_due_at=policy.first_reply_due(at),
            final_answer_due_at=policy.final_answer_due(at),
            meta=meta,
            timestamp=at,
        )
        if major:
            complaint._reported_to_manager(
                manager=policy.manager, reason=MAJOR_COMPLAINT, meta=meta, timestamp=at
            )
        return complaint

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    @property
    def unfinished_tasks(self) -> list[Task]:
        """Tasks of the accepted resolution that are not complete (open or failed)."""
        return [
            t
            for t in self.tasks.values()
            if t.proposal == self.accepted_proposal and t.outcome is not TaskOutcome.COMPLETED
        ]

    def make_major(
        self, *, reason: str, policy: ComplaintPolicy, meta: EventMetadata, at: datetime
    ) -> None:
        """重大投诉: the complaint is major after all; the manager is told at once (一报告)."""
        self._check_allowed(A.MAKE_MAJOR)
        if self.major:
            raise RuleViolated("the complaint is major already", self.allowed_now)
        self._check_text(reason, "the reason")
        self._made_major(reason=reason, meta=meta, timestamp=at)
        self._reported_to_manager(manager=policy.manager, reason=reason, meta=meta, timestamp=at)

    def acknowledge(self, *, message: str, meta: EventMetadata, at: datetime) -> None:
        """致歉: acknowledge the complaint and apologise; this is the first reply."""
        self._check_allowed(A.ACKNOWLEDGE)
        self._acknowledged(message=message, meta=meta, timestamp=at)

    def record_facts(self, *, facts: str, meta: EventMetadata, at: datetime) -> None:
        """核实: add verified facts; may be done more than once."""
        self._check_allowed(A.FACTS)
        self._check_text(facts, "verified facts")
        self._facts_recorded(facts=facts, meta=meta, timestamp=at)

    def attribute(
        self, *, department: str, cause: ComplaintType, note: str, meta: EventMetadata, at: datetime
    ) -> None:
        """定责: attribute responsibility to a department and a cause."""
        self._check_allowed(A.ATTRIBUTE)
        self._check_text(department, "the responsible department")
        self._attributed(department=department, cause=cause, note=note, meta=meta, timestamp=at)

    def escalate(
        self, *, level: EscalationLevel, to: str, reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """升级: hand the complaint to a supervisor, expert or manager, saying why."""
        self._check_allowed(A.ESCALATE)
        self._check_text(reason, "an escalation reason")
        self._escalated(level=level, to=to, reason=reason, meta=meta, timestamp=at)

    def propose(
        self, *, remedies: tuple[Remedy, ...], note: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Propose a resolution made of one or more remedies."""
        self._check_allowed(A.PROPOSE)
        self._check_remedies(remedies)
        number = len(self.proposals) + 1
        self._proposed(number=number, remedies=remedies, note=note, meta=meta, timestamp=at)

    def accept(self, *, note: str, meta: EventMetadata, at: datetime) -> None:
        """The customer accepts the proposed resolution; it is carried out next."""
        self._check_allowed(A.ACCEPT)
        number = self.proposals[-1].number
        self._accepted(number=number, note=note, meta=meta, timestamp=at)

    def reject(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """The customer rejects the proposal: back to investigation, the proposal kept."""
        self._check_allowed(A.REJECT)
        self._check_text(reason, "the customer's reason for rejecting")
        number = self.proposals[-1].number
        self._rejected(number=number, reason=reason, meta=meta, timestamp=at)

    def assign_task(
        self,
        *,
        department: str,
        owner: str,
        due_at: datetime,
        description: str,
        meta: EventMetadata,
        at: datetime,
    ) -> str:
        """执行: give a department a task of the accepted resolution; returns its id."""
        self._check_allowed(A.ASSIGN_TASK)
        if due_at <= at:
            raise RuleViolated("a task must be due after it is assigned", self.allowed_now)
        task_id = str(len(self.tasks) + 1)
        assert self.accepted_proposal is not None  # the table allows tasks only when accepted
        self._task_assigned(
            task_id=task_id,
            proposal=self.accepted_proposal,
            department=department,
            owner=owner,
            due_at=due_at,
            description=description,
            meta=meta,
            timestamp=at,
        )
        return task_id

    def complete_task(self, *, task_id: str, note: str, meta: EventMetadata, at: datetime) -> None:
        """A department reports its task done."""
        self._check_allowed(A.COMPLETE_TASK)
        self._check_task(task_id)
        self._task_completed(task_id=task_id, note=note, meta=meta, timestamp=at)

    def fail_task(self, *, task_id: str, note: str, meta: EventMetadata, at: datetime) -> None:
        """A department reports its task failed; it stays to be done (or the case reopened)."""
        self._check_allowed(A.FAIL_TASK)
        self._check_task(task_id)
        self._check_text(note, "why the task failed")
        self._task_failed(task_id=task_id, note=note, meta=meta, timestamp=at)

    def record_contact_attempt(
        self, *, channel: Channel, note: str, meta: EventMetadata, at: datetime
    ) -> None:
        """The customer could not be reached to confirm the outcome."""
        self._check_allowed(A.CONTACT_ATTEMPT)
        self._contact_attempted(channel=channel, note=note, meta=meta, timestamp=at)

    def confirm(
        self, *, resolved: bool, satisfaction: int, comment: str, meta: EventMetadata, at: datetime
    ) -> None:
        """回访确认: the customer's verdict; "not resolved" reopens the complaint at once."""
        self._check_allowed(A.CONFIRM)
        if not 1 <= satisfaction <= 5:
            raise RuleViolated("satisfaction is a whole number from 1 to 5", self.allowed_now)
        if resolved and self.unfinished_tasks:
            raise RuleViolated(
                f"the resolution is not carried out yet: {self._tasks_left()}", self.allowed_now
            )
        self._confirmed(
            resolved=resolved, satisfaction=satisfaction, comment=comment, meta=meta, timestamp=at
        )
        if not resolved:
            reason = "the customer says it is not resolved" + (f": {comment}" if comment else "")
            self._reopened(reason=reason, meta=meta, timestamp=at)

    def close(
        self, *, policy: ComplaintPolicy, zone: tzinfo, meta: EventMetadata, at: datetime
    ) -> None:
        """Close the complaint once every closing rule holds (see `closing_blockers`)."""
        self._check_allowed(A.CLOSE)
        blockers = self.closing_blockers(policy, zone)
        if blockers:
            raise RuleViolated("cannot close: " + "; ".join(blockers), self.allowed_now)
        self._closed(unreachable=self.resolved is not True, meta=meta, timestamp=at)

    def closing_blockers(self, policy: ComplaintPolicy, zone: tzinfo) -> list[str]:
        """Every closing rule the complaint does not meet yet, in words; `zone` says
        where a day begins for the unreachable rule."""
        blockers = []
        if self.facts_count == 0:
            blockers.append("no verified facts are recorded")
        if self.department is None:
            blockers.append("responsibility is not attributed")
        if self.accepted_proposal is None:
            blockers.append("no resolution is accepted")
        elif self.unfinished_tasks:
            blockers.append(f"the resolution is not carried out yet: {self._tasks_left()}")
        days = policy.days_tried(self.contact_attempts, zone)
        if self.resolved is not True and days < policy.unreachable_after_days:
            blockers.append(
                "the customer has not confirmed the outcome, nor been tried on "
                f"{policy.unreachable_after_days} different days (tried on {days})"
            )
        return blockers

    def reopen(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Reopen: the resolution did not settle it; a new proposal is needed."""
        self._check_allowed(A.REOPEN)
        self._check_text(reason, "a reason to reopen")
        self._reopened(reason=reason, meta=meta, timestamp=at)

    def archive(self, *, meta: EventMetadata, at: datetime) -> None:
        """归档: archive the complaint; nothing may change it afterwards."""
        self._check_allowed(A.ARCHIVE)
        self._archived(meta=meta, timestamp=at)

    def _check_allowed(self, action: ComplaintAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} a complaint that is {self.status}", self.allowed_now
            )

    def _check_text(self, text: str, what: str) -> None:
        if not text.strip():
            raise RuleViolated(f"{what} must not be blank", self.allowed_now)

    def _check_remedies(self, remedies: tuple[Remedy, ...]) -> None:
        def refuse(message: str) -> RuleViolated:
            return RuleViolated(message, self.allowed_now)

        if not remedies:
            raise refuse("a resolution needs at least one remedy")
        if len({r.kind for r in remedies}) < len(remedies):
            raise refuse("each kind of remedy may appear once in a resolution")
        for remedy in remedies:
            paid = remedy.kind in PAID_REMEDIES
            if paid and (remedy.amount is None or not is_money(remedy.amount)):
                raise refuse(f"a {remedy.kind} needs an amount: a positive sum, at most 2 decimals")
            if not paid and remedy.amount is not None:
                raise refuse(f"a {remedy.kind} has no amount")

    def _check_task(self, task_id: str) -> None:
        task = self.tasks.get(task_id)
        if task is None:
            raise NotFound("task", task_id)
        if task.proposal != self.accepted_proposal:
            raise RuleViolated(f"task {task_id} belongs to an earlier resolution", self.allowed_now)
        if task.outcome is TaskOutcome.COMPLETED:
            raise RuleViolated(f"task {task_id} is already complete", self.allowed_now)

    def _tasks_left(self) -> str:
        return ", ".join(f"task {t.task_id} is {t.outcome}" for t in self.unfinished_tasks)

    def _advance(self, action: ComplaintAction) -> None:
        self.status = next_status(self.status, action)

    @event(ReportedToManager)
    def _reported_to_manager(
        self, manager: str, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.reported_to = manager

    @event(MadeMajor)
    def _made_major(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.major = True

    @event(Acknowledged)
    def _acknowledged(self, message: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.acknowledged_at = timestamp
        self._advance(A.ACKNOWLEDGE)

    @event(FactsRecorded)
    def _facts_recorded(self, facts: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.facts_count += 1
        self._advance(A.FACTS)

    @event(ResponsibilityAttributed)
    def _attributed(
        self,
        department: str,
        cause: ComplaintType,
        note: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.department, self.cause = department, cause
        self._advance(A.ATTRIBUTE)

    @event(Escalated)
    def _escalated(
        self,
        level: EscalationLevel,
        to: str,
        reason: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.escalated_to = to
        self.escalation_count += 1
        self._advance(A.ESCALATE)

    @event(ResolutionProposed)
    def _proposed(
        self,
        number: int,
        remedies: tuple[Remedy, ...],
        note: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.proposals.append(Proposal(number, tuple(remedies), note))
        self._advance(A.PROPOSE)

    @event(ResolutionAccepted)
    def _accepted(self, number: int, note: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.proposals[-1] = replace(self.proposals[-1], outcome=ProposalOutcome.ACCEPTED)
        self.accepted_proposal = number
        self.answered_at = self.answered_at or timestamp
        self._advance(A.ACCEPT)

    @event(ResolutionRejected)
    def _rejected(self, number: int, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.proposals[-1] = replace(self.proposals[-1], outcome=ProposalOutcome.REJECTED)
        self._advance(A.REJECT)

    @event(TaskAssigned)
    def _task_assigned(
        self,
        task_id: str,
        proposal: int,
        department: str,
        owner: str,
        due_at: datetime,
        description: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.tasks[task_id] = Task(task_id, proposal, department, owner, due_at, description)
        self._advance(A.ASSIGN_TASK)

    @event(TaskCompleted)
    def _task_completed(
        self, task_id: str, note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.tasks[task_id] = replace(self.tasks[task_id], outcome=TaskOutcome.COMPLETED)
        self._advance(A.COMPLETE_TASK)

    @event(TaskFailed)
    def _task_failed(
        self, task_id: str, note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.tasks[task_id] = replace(self.tasks[task_id], outcome=TaskOutcome.FAILED)
        self._advance(A.FAIL_TASK)

    @event(ContactAttempted)
    def _contact_attempted(
        self, channel: Channel, note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.contact_attempts.append(timestamp)
        self._advance(A.CONTACT_ATTEMPT)

    @event(Confirmed)
    def _confirmed(
        self,
        resolved: bool,
        satisfaction: int,
        comment: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.resolved, self.satisfaction = resolved, satisfaction
        self._advance(A.CONFIRM)

    @event(Closed)
    def _closed(self, unreachable: bool, meta: EventMetadata, timestamp: datetime) -> None:
        self.closed_unreachable = unreachable
        self._advance(A.CLOSE)

    @event(Reopened)
    def _reopened(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.accepted_proposal = None
        self.resolved = self.satisfaction = None
        self.contact_attempts = []
        self.closed_unreachable = False
        self.reopen_count += 1
        self._advance(A.REOPEN)

    @event(Archived)
    def _archived(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.ARCHIVE)


C = Complaint

# Which lifecycle action each event records: read models replay the table with it.
# ReportedToManager is absent: it accompanies registration and moves nothing.
EVENT_ACTIONS: dict[type[object], ComplaintAction] = {
    C.MadeMajor: A.MAKE_MAJOR,
    C.Acknowledged: A.ACKNOWLEDGE,
    C.FactsRecorded: A.FACTS,
    C.ResponsibilityAttributed: A.ATTRIBUTE,
    C.Escalated: A.ESCALATE,
    C.ResolutionProposed: A.PROPOSE,
    C.ResolutionAccepted: A.ACCEPT,
    C.ResolutionRejected: A.REJECT,
    C.TaskAssigned: A.ASSIGN_TASK,
    C.TaskCompleted: A.COMPLETE_TASK,
    C.TaskFailed: A.FAIL_TASK,
    C.ContactAttempted: A.CONTACT_ATTEMPT,
    C.Confirmed: A.CONFIRM,
    C.Closed: A.CLOSE,
    C.Reopened: A.REOPEN,
    C.Archived: A.ARCHIVE,
}
