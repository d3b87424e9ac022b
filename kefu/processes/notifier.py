"""The notifier: a process that turns events into messages to people, exactly once.

It follows the log like the visit planner (kefu/commands/visit_planner.py): what one log
position makes (queued messages, cancellations) is saved with a tracking record of that
position (`ServiceDesk.record_processed`), and message ids follow from rule, source event,
recipient and channel, so neither a restart nor a replay queues a message twice.

What ships by default: a major complaint → the responsible department's manager (else the
manager it was reported to, else the duty staff) at once; a resolved ticket → the customer;
an urged ticket → its assignee; a service milestone → the customer, `reminder_days` before;
an unreached return visit → its agent, to call again today; a notice the automation raised
(an escalation, a rule's `notify`) → each staff member it names; a birthday → the customer
(a daily sweep). A scheduled message is cancelled when its case changes before it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.utils import get_topic

from kefu.application import ServiceDesk
from kefu.commands.customers import find_customer
from kefu.commands.execution import Clock
from kefu.domain.complaint import Complaint
from kefu.domain.customer import Customer
from kefu.domain.directory import Directory
from kefu.domain.errors import DomainError
from kefu.domain.message import Message, MessageStatus
from kefu.domain.metadata import EventMetadata, imported
from kefu.domain.notice import Notice
from kefu.domain.templates import MessageTemplate, TemplateBook, UnknownTemplate, render
from kefu.domain.ticket import Ticket
from kefu.domain.visit import Visit
from kefu.processes.outbox_ports import MessageQueue
from kefu.processes.recipients import (
    ASSIGNEE,
    DUTY,
    MANAGER,
    Recipient,
    customer_recipient,
    notice_recipients,
    staff_recipients,
)

log = logging.getLogger("kefu.notifier")
NOTIFIER_NAME = "notifier"
NOTIFIER_ACTOR = "notifier"
_COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:notifier")


@dataclass(frozen=True)
class NotifierPolicy:
    """When scheduled messages go out: reminders `reminder_days` before a milestone and
    birthday greetings, both at `send_hour` local time. An event older than `horizon` when
    the notifier reads it makes no message: a first start on a database with years of
    history must not message every customer of the past."""

    zone: tzinfo
    reminder_days: int = 5
    send_hour: int = 10
    horizon: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class Plan:
    """A message to queue: rule, template, case, the record's fields, when it is due."""

    rule: str
    template: str
    case: str
    fields: Mapping[str, object]
    due: datetime


class Notifier:
    """Queues messages for the events its rules name; cancels those whose case changed."""

    event_classes = (
        Complaint.ReportedToManager,
        Ticket.Resolved,
        Ticket.Urged,
        Customer.MilestoneRecorded,
        Visit.NotReached,
        Visit.Done,
        Visit.Rescheduled,
        Visit.Assigned,
        Notice.Raised,
    )

    def __init__(
        self,
        app: ServiceDesk,
        templates: TemplateBook,
        directory: Directory,
        messages: MessageQueue,
        policy: NotifierPolicy,
        clock: Clock,
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.templates = templates
        self.directory = directory
        self.messages = messages
        self.policy = policy
        self.clock = clock
        self.batch_size = batch_size
        self.topics = [get_topic(c) for c in self.event_classes]
        self._last_sweep: date | None = None
        self._made: dict[str, list[Message]] = {}  # case → queued since the table was read

    def catch_up(self) -> int:
        """Processes the log to its head, then sweeps birthdays once a day; returns reads."""
        position = self.app.processed_position(NOTIFIER_NAME)
        total = 0
        while notifications := self._read(position):
            for notification in notifications:
                self._process(notification)
            total += len(notifications)
            position = notifications[-1].id
        self._made.clear()
        self.sweep_if_due()
        return total

    def _read(self, after: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            start=after, limit=self.batch_size, topics=self.topics, inclusive_of_start=False
        )

    def _process(self, notification: Notification) -> None:
        changed = self._changes_for(notification)
        tracking = Tracking(NOTIFIER_NAME, notification.id)
        try:
            self.app.record_processed(tracking, *changed)
        except IntegrityError:
            # Processed before, or a message with that id exists: nothing is written twice.
            with suppress(IntegrityError):
                self.app.record_processed(tracking)

    def _changes_for(self, notification: Notification) -> list[Aggregate]:
        """One event's messages; an event the rules cannot handle makes none and is logged,
        so one bad record never stalls the notifier."""
        try:
            event = self.app.mapper.to_domain_event(notification)
            return self._react(event, notification.id)
        except (ArithmeticError, ValueError, LookupError, DomainError):
            log.exception("notifier: nothing made of event %s", notification.id)
            return []

    def _react(self, event: Any, position: int) -> list[Aggregate]:
        if imported(event):
            return []  # history from another system: nobody is told of it again
        if isinstance(event, Complaint.ReportedToManager):
            return self._major_complaint(event)
        if isinstance(event, Ticket.Resolved | Ticket.Urged):
            return self._ticket(event)
        if isinstance(event, Customer.MilestoneRecorded):
            return self._milestone(event)
        if isinstance(event, Notice.Raised):
            return self._automation_notice(event)
        return self._visit(event)

    def _automation_notice(self, event: Notice.Raised) -> list[Aggregate]:
        """A notice the automation raised: each recipient it names, found in the directory;
        when none is, the duty staff (nobody is left untold)."""
        people = notice_recipients(event, self.directory)
        people = people or staff_recipients(DUTY, self.directory.duty, self.directory)
        fields = {"record_kind": event.record_kind, "about": str(event.record_id),
                  "reason": event.reason, "level": event.level}  # fmt: skip
        plan = Plan("automation_notice", "automation_notice", _case(event), fields, event.timestamp)
        return self._queue(event, plan, people)

    def _major_complaint(self, event: Complaint.ReportedToManager) -> list[Aggregate]:
        complaint: Complaint = self._record_then(event)
        manager = self.directory.manager_of(complaint.department) or event.manager
        people = staff_recipients(MANAGER, [manager], self.directory)
        people = people or staff_recipients(DUTY, self.directory.duty, self.directory)
        fields = {
            "complaint_type": str(complaint.complaint_type),
            "description": getattr(complaint, "description", ""),
            "expectation": getattr(complaint, "expectation", ""),
            "contact": getattr(complaint, "contact", ""),
            "customer_id": getattr(complaint, "customer_id", ""),
        }
        plan = Plan("major_complaint", "complaint_major", _case(event), fields, event.timestamp)
        return self._queue(event, plan, people)

    def _ticket(self, event: Ticket.Resolved | Ticket.Urged) -> list[Aggregate]:
        ticket: Ticket = self._record_then(event)
        fields: dict[str, object] = {"subject": ticket.subject, **_event_fields(event)}
        if isinstance(event, Ticket.Urged):
            people = staff_recipients(ASSIGNEE, [ticket.assignee_id], self.directory)
            plan = Plan("ticket_urged", "ticket_urged", _case(event), fields, event.timestamp)
            return self._queue(event, plan, people)
        known = _as_uuid(ticket.customer_id)
        customer = find_customer(self.app, known) if known else None  # else: no file to reach
        plan = Plan("ticket_resolved", "ticket_resolved", _case(event), fields, event.timestamp)
        return self._queue(event, plan, customer_recipient(customer))

    def _milestone(self, event: Customer.MilestoneRecorded) -> list[Aggregate]:
        case = f"milestone:{event.originator_id}:{event.kind}"
        cancelled = self._cancel_case(case, event, "the milestone was recorded again")
        due = self._at_send_hour(event.on - timedelta(days=self.policy.reminder_days))
        if event.on < self._today():
            return cancelled  # the date has passed: nothing to remind of
        customer: Customer = self._record_then(event)
        fields = {"milestone": event.kind, "on": event.on.isoformat(), "note": event.note}
        plan = Plan("milestone_reminder", "milestone_reminder", case, fields, due)
        return [*cancelled, *self._queue(event, plan, customer_recipient(customer))]

    def _visit(self, event: Any) -> list[Aggregate]:
        case = f"visit:{event.originator_id}"
        cancelled = self._cancel_case(case, event, "the visit changed before the reminder")
        if not isinstance(event, Visit.NotReached):
            return cancelled
        visit: Visit = self._record_then(event)
        customer = find_customer(self.app, visit.customer_id)
        fields = {
            "customer_name": customer.name if customer else str(visit.customer_id),
            "purpose": self._visit_purpose(visit),
            "next_attempt_at": event.next_attempt_at.astimezone(self.policy.zone).strftime("%H:%M"),
        }
        people = staff_recipients(ASSIGNEE, [visit.assignee_id], self.directory)
        plan = Plan("visit_not_reached", "visit_not_reached", case, fields, event.timestamp)
        return [*cancelled, *self._queue(event, plan, people)]

    def _visit_purpose(self, visit: Visit) -> str:
        """The purpose the visit was scheduled with (its first event keeps it)."""
        first = next(iter(self.app.events.get(visit.id, limit=1)), None)
        return str(getattr(first, "purpose", visit.rule))

    def sweep_if_due(self) -> int:
        """Queues today's birthday greetings once a day (their ids make a second sweep a no-op)."""
        today = self._today()
        if self._last_sweep == today:
            return 0
        self._last_sweep = today
        return self.sweep_birthdays(today)

    def sweep_birthdays(self, today: date) -> int:
        made = 0
        for customer_id in self.messages.birthdays_on(today.strftime("%m-%d")):
            customer = find_customer(self.app, UUID(customer_id))
            source = f"birthday:{customer_id}:{today.year}"
            plan = Plan("birthday", "birthday", source, {}, self._at_send_hour(today))
            for message in self._messages(source, plan, customer_recipient(customer), None):
                with suppress(IntegrityError):  # greeted already this year
                    self.app.save(message)
                    made += 1
        return made

    def _queue(self, event: Any, plan: Plan, people: list[Recipient]) -> list[Aggregate]:
        if event.timestamp < self.clock() - self.policy.horizon:
            log.info("notifier: event %s is past the horizon; no message", event.originator_id)
            return []
        source = f"{event.originator_id}:{event.originator_version}"
        made = self._messages(source, plan, people, event.meta)
        self._made.setdefault(plan.case, []).extend(made)
        return list(made)

    def _messages(
        self, source: str, plan: Plan, people: list[Recipient], cause: EventMetadata | None
    ) -> list[Message]:
        made = []
        for person in people:
            try:
                template = self.templates.find(plan.template, person.channel, person.language)
            except UnknownTemplate:
                log.warning("notifier: no %s template %s", person.channel, plan.template)
                continue
            made.append(self._message(source, plan, person, template, cause))
        return made

    def _message(
        self,
        source: str,
        plan: Plan,
        person: Recipient,
        template: MessageTemplate,
        cause: EventMetadata | None,
    ) -> Message:
        key = f"{plan.rule}:{source}:{person.kind}:{person.person_id}:{person.channel}"
        values = {**plan.fields, "recipient_name": person.name, "record_id": source.split(":")[0]}
        text = render(template, values)
        return Message(
            key=key,
            rule=plan.rule,
            template=plan.template,
            channel=person.channel,
            language=template.language,
            recipient_kind=person.kind,
            recipient_id=person.person_id,
            address=person.address,
            subject=text.subject,
            body=text.body,
            due_at=person.send_at(max(plan.due, self.clock()), self.policy.zone),
            case=plan.case,
            meta=self._meta(key, cause),
            timestamp=self.clock(),
        )

    def _cancel_case(self, case: str, event: Any, reason: str) -> list[Aggregate]:
        """Every message of the case still queued, cancelled (what this run made included)."""
        queued: dict[UUID, Message] = {m.id: m for m in self._made.pop(case, [])}
        for found in self.messages.queued_in_case(case):
            if UUID(found) not in queued:
                queued[UUID(found)] = self.app.repository.get(UUID(found))
        cancelled: list[Aggregate] = []
        for message in queued.values():
            if message.status is MessageStatus.QUEUED:
                message.cancel(reason=reason, meta=event.meta, at=event.timestamp)
                cancelled.append(message)
        return cancelled

    def _record_then(self, event: Any) -> Any:
        """The record as it was at the event: a replay sees what the first run saw."""
        return self.app.repository.get(event.originator_id, version=event.originator_version)

    def _at_send_hour(self, day: date) -> datetime:
        return datetime.combine(day, time(self.policy.send_hour), tzinfo=self.policy.zone)

    def _today(self) -> date:
        return self.clock().astimezone(self.policy.zone).date()

    def _meta(self, key: str, cause: EventMetadata | None) -> EventMetadata:
        command_id = uuid5(_COMMAND_NAMESPACE, key)
        return EventMetadata(
            actor_id=NOTIFIER_ACTOR,
            actor_role="process",
            command_id=command_id,
            correlation_id=cause.correlation_id if cause else command_id,
            causation_id=cause.command_id if cause else None,
            channel="process",
        )


def _case(event: Any) -> str:
    return f"{type(event).__name__.lower()}:{event.originator_id}:{event.originator_version}"


def _event_fields(event: Any) -> dict[str, object]:
    skip = {"originator_id", "originator_version", "timestamp", "meta"}
    return {k: v for k, v in vars(event).items() if k not in skip}


def _as_uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None
