"""The return visit (回访) task as an event-sourced aggregate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.visit_rules import QuietHours, VisitPolicy, business_date

VISIT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:visit")


class VisitStatus(StrEnum):
    """Where a visit task stands; done is final."""

    SCHEDULED = "scheduled"
    NOT_REACHED = "not_reached"  # waiting for the same-day retry
    DONE = "done"


class VisitAction(StrEnum):
    """What may be done to a visit task; the values are the HTTP action names."""

    ASSIGN = "assign"
    DONE = "done"
    NOT_REACHED = "not-reached"
    RESCHEDULE = "reschedule"


OPEN_ACTIONS = tuple(action.value for action in VisitAction)


def late_from(finish_by: date, zone: tzinfo) -> datetime:
    """When a visit to be finished by `finish_by` becomes late: the next business date begins."""
    return datetime.combine(finish_by + timedelta(days=1), time(), tzinfo=zone)


def visit_id(task_key: str) -> UUID:
    """The task's id follows from its key (rule + source), so one source makes one task."""
    return uuid5(VISIT_NAMESPACE, task_key)


class Visit(Aggregate):
    """A scheduled follow-up call to one customer, from its rule to its recorded outcome."""

    class Scheduled(Aggregate.Created):
        """A visit is due on a business date; members' visits must be finished by `finish_by`."""

        task_key: str
        customer_id: UUID
        rule: str
        purpose: str
        due_on: date
        finish_by: date | None
        assignee_id: str | None
        meta: EventMetadata

    class Assigned(Aggregate.Event):
        agent_id: str
        meta: EventMetadata

    class MovedToCustomer(Aggregate.Event):
        """The customer's file was merged into another: the open visit follows the survivor."""

        from_customer_id: UUID
        customer_id: UUID
        meta: EventMetadata

    class Rescheduled(Aggregate.Event):
        due_on: date
        reason: str
        meta: EventMetadata

    class NotReached(Aggregate.Event):
        """The call did not get through; the retry is due at `next_attempt_at`."""

        attempt: int
        next_attempt_at: datetime
        note: str
        meta: EventMetadata

    class Escalated(Aggregate.Event):
        """逾期升级: a member's visit not finished by its deadline was handed up (once)."""

        to: str
        reason: str
        meta: EventMetadata

    class Done(Aggregate.Event):
        """The outcome, in full: reached or not, satisfaction, comment, any new need."""

        reached: bool
        satisfaction: int | None
        comment: str
        new_need: str
        open_ticket: bool
        meta: EventMetadata

    @staticmethod
    def create_id(task_key: str) -> UUID:
        return visit_id(task_key)

    @event(Scheduled)
    def __init__(
        self,
        task_key: str,
        customer_id: UUID,
        rule: str,
        purpose: str,
        due_on: date,
        finish_by: date | None,
        assignee_id: str | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.rule = rule
        self.due_on = due_on
        self.finish_by = finish_by
        self.assignee_id = assignee_id
        self.status = VisitStatus.SCHEDULED
        self.attempts = 0
        self.escalated = False

    @classmethod
    def schedule(
        cls,
        *,
        task_key: str,
        customer_id: UUID,
        rule: str,
        purpose: str,
        due_on: date,
        tier: str,
        assignee_id: str | None,
        policy: VisitPolicy,
        meta: EventMetadata,
        at: datetime,
    ) -> Visit:
        """Plan a visit; its id follows from `task_key`, its deadline from the customer's tier."""
        return cls(
            task_key=task_key,
            customer_id=customer_id,
            rule=rule,
            purpose=purpose,
            due_on=due_on,
            finish_by=policy.finish_by(due_on, tier),
            assignee_id=assignee_id,
            meta=meta,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return () if self.status is VisitStatus.DONE else OPEN_ACTIONS

    def assign(self, *, agent_id: str, meta: EventMetadata, at: datetime) -> None:
        """Give the visit to an agent."""
        self._check_open(VisitAction.ASSIGN)
        self._assigned(agent_id=agent_id, meta=meta, timestamp=at)

    def move_to(self, *, customer_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """An open visit of a merged duplicate moves to the file that survived the merge."""
        if self.status is VisitStatus.DONE:
            raise RuleViolated(f"visit {self.id} is done: it stays with its customer", ())
        if customer_id == self.customer_id:
            raise RuleViolated(f"visit {self.id} is already for {customer_id}", self.allowed_now)
        self._moved(
            from_customer_id=self.customer_id, customer_id=customer_id, meta=meta, timestamp=at
        )

    def reschedule(
        self, *, due_on: date, reason: str, zone: tzinfo, meta: EventMetadata, at: datetime
    ) -> None:
        """Move the visit to another business date, today or later."""
        self._check_open(VisitAction.RESCHEDULE)
        if due_on < business_date(at, zone):
            raise RuleViolated("a visit cannot be rescheduled into the past", self.allowed_now)
        self._rescheduled(due_on=due_on, reason=reason, meta=meta, timestamp=at)

    def not_reached(
        self,
        *,
        note: str,
        quiet_hours: Sequence[QuietHours],
        policy: VisitPolicy,
        zone: tzinfo,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """未接通: retry later the same day when possible, never inside quiet hours."""
        self._check_open(VisitAction.NOT_REACHED)
        next_at = policy.next_call_at(at, zone, quiet_hours)
        self._not_reached(
            attempt=self.attempts + 1, next_attempt_at=next_at, note=note, meta=meta, timestamp=at
        )

    def finish(
        self,
        *,
        reached: bool,
        satisfaction: int | None,
        comment: str,
        new_need: str,
        open_ticket: bool,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Record the outcome in full; a reached customer's satisfaction (1 to 5) is required."""
        self._check_open(VisitAction.DONE)
        self._check_outcome(reached, satisfaction, new_need, open_ticket)
        self._done(
            reached=reached,
            satisfaction=satisfaction,
            comment=comment,
            new_need=new_need,
            open_ticket=open_ticket,
            meta=meta,
            timestamp=at,
        )

    def escalate(
        self, *, to: str, reason: str, today: date, meta: EventMetadata, at: datetime
    ) -> None:
        """Hand a member's visit that is late up to `to`, saying why; once."""
        if not self.is_late(today):
            raise RuleViolated("only a member's visit past its deadline is escalated", ())
        if self.escalated:
            raise RuleViolated(f"visit {self.id} was escalated already", self.allowed_now)
        if not reason.strip():
            raise RuleViolated("an escalation needs a reason", self.allowed_now)
        self._escalated(to=to, reason=reason, meta=meta, timestamp=at)

    def is_late(self, today: date) -> bool:
        """A member's visit not finished by its deadline."""
        return (
            self.finish_by is not None
            and self.status is not VisitStatus.DONE
            and (today > self.finish_by)
        )

    def _check_open(self, action: VisitAction) -> None:
        if self.status is VisitStatus.DONE:
            raise ActionNotAllowed(f"cannot {action} a visit that is done", ())

    def _check_outcome(
        self, reached: bool, satisfaction: int | None, new_need: str, open_ticket: bool
    ) -> None:
        if reached and satisfaction is None:
            raise RuleViolated("a reached customer's satisfaction is required", self.allowed_now)
        if not reached and satisfaction is not None:
            raise RuleViolated(
                "a customer who was not reached gave no satisfaction", self.allowed_now
            )
        if satisfaction is not None and not 1 <= satisfaction <= 5:
            raise RuleViolated("satisfaction is a whole number from 1 to 5", self.allowed_now)
        if open_ticket and not new_need.strip():
            raise RuleViolated("opening a ticket needs the new need", self.allowed_now)

    @event(Assigned)
    def _assigned(self, agent_id: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.assignee_id = agent_id

    @event(MovedToCustomer)
    def _moved(
        self, from_customer_id: UUID, customer_id: UUID, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.customer_id = customer_id

    @event(Rescheduled)
    def _rescheduled(
        self, due_on: date, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.due_on = due_on
        self.status = VisitStatus.SCHEDULED

    @event(NotReached)
    def _not_reached(
        self,
        attempt: int,
        next_attempt_at: datetime,
        note: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.attempts = attempt
        self.status = VisitStatus.NOT_REACHED

    @event(Escalated)
    def _escalated(self, to: str, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.escalated = True

    @event(Done)
    def _done(
        self,
        reached: bool,
        satisfaction: int | None,
        comment: str,
        new_need: str,
        open_ticket: bool,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.status = VisitStatus.DONE
