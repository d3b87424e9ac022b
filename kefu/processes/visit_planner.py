"""The visit planner: a process that turns events into return-visit tasks, exactly once.

It follows the application's log like a projection runner, reading only its topics. What one
log position makes (visit tasks, or a ticket for a new need raised on a visit) is saved in one
transaction with a tracking record of that position (`ServiceDesk.record_processed`): a
restart resumes after the last position, and a replay of a position already processed fails
on the tracking row and writes nothing. Visit ids are uuid5(rule, source event) besides, so
even a lost tracking table cannot make a second task for the same rule and source.

Time-based rules ("6 months without contact") have no event to react to: `sweep` looks for
customers silent since before the rule's period (asked of a read model) and schedules one task
per silent spell, its id made of rule, customer and last-contact date, so sweeping again never
duplicates it. The projection runner calls `catch_up`, which sweeps at most every `sweep_every`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.utils import get_topic

from kefu.application import ServiceDesk
from kefu.commands.customers import find_customer
from kefu.commands.execution import Clock
from kefu.commands.policies import Policies
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer
from kefu.domain.deadlines import Priority
from kefu.domain.errors import DomainError
from kefu.domain.metadata import EventMetadata, imported
from kefu.domain.ticket import Ticket
from kefu.domain.visit import Visit
from kefu.domain.visit_rules import NO_CONTACT, SALE, TICKET_RESOLVED, business_date

log = logging.getLogger("kefu.visit_planner")
PLANNER_NAME = "visit_planner"
PLANNER_ACTOR = "visit-planner"
_COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:visit-planner")

# Customer ids (as text) with their last contact, for those silent since before a time.
SilentCustomers = Callable[[datetime], Iterable[tuple[str, datetime]]]


class OpenVisits(Protocol):
    """The visit view as the planner reads it when a file is merged."""

    def open_for(self, customer_id: UUID) -> list[UUID]: ...

    def seen(self) -> int: ...


class _ViewBehind(Exception):
    """The visit view has not reached a merge yet: the planner waits for the next pass."""


Fact = tuple[str, date]  # a trigger and its business date


class VisitPlanner:
    """Plans return visits from sales, milestones and resolved tickets; sweeps for silence."""

    event_classes = (
        Customer.OrderRecorded,
        Customer.MilestoneRecorded,
        Ticket.Resolved,
        Visit.Done,
        Customer.MergedInto,
    )

    def __init__(
        self,
        app: ServiceDesk,
        policies: Policies,
        clock: Clock,
        silent_customers: SilentCustomers | None = None,
        sweep_every: timedelta = timedelta(hours=1),
        batch_size: int = 500,
        open_visits: OpenVisits | None = None,
    ) -> None:
        self.app = app
        self.open_visits = open_visits
        self.policies = policies
        self.clock = clock
        self.silent_customers = silent_customers
        self.sweep_every = sweep_every
        self.batch_size = batch_size
        self.topics = [get_topic(c) for c in self.event_classes]
        self._last_sweep: datetime | None = None

    def catch_up(self) -> int:
        """Processes the log to its head, then sweeps when one is due; returns events read."""
        read = self.follow(self.app.processed_position(PLANNER_NAME))
        self.sweep_if_due()
        return read

    def replay(self) -> int:
        """Reads the whole log again: every position already processed is skipped."""
        return self.follow(0)

    def follow(self, position: int) -> int:
        total = 0
        with suppress(_ViewBehind):  # resumed on the next pass, after the views caught up
            while notifications := self._read(position):
                total += self._process_all(notifications)
                position = notifications[-1].id
        return total

    def sweep_if_due(self) -> int:
        now = self.clock()
        if self._last_sweep is not None and now - self._last_sweep < self.sweep_every:
            return 0
        self._last_sweep = now
        return self.sweep()

    def sweep(self) -> int:
        """Schedules the no-contact rules' visits that are due; returns how many were new."""
        if self.silent_customers is None:
            return 0
        made = 0
        for rule in self.policies.visits.rules:
            if rule.trigger == NO_CONTACT:
                earliest = self.clock() - timedelta(days=rule.days + 28 * rule.months)
                for customer_id, last in self.silent_customers(earliest):
                    made += self._save_new(self._silence_visits(customer_id, last))
        return made

    def _read(self, after: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            start=after, limit=self.batch_size, topics=self.topics, inclusive_of_start=False
        )

    def _process_all(self, notifications: Sequence[Notification]) -> int:
        history_up_to = 0  # imported history read last, its position not recorded yet
        for notification in notifications:
            made = self._made_for(notification)
            if made is None:
                history_up_to = notification.id
                continue
            history_up_to = 0
            tracking = Tracking(PLANNER_NAME, notification.id)
            try:
                self.app.record_processed(tracking, *made)
            except IntegrityError:
                # Processed before (a replay, a second planner), or its tasks exist already
                # (their ids): nothing is written twice, and the position is kept if missing.
                with suppress(IntegrityError):
                    self.app.record_processed(tracking)
        if history_up_to:
            with suppress(IntegrityError):  # recorded by a second planner meanwhile
                self.app.record_processed(Tracking(PLANNER_NAME, history_up_to))
        return len(notifications)

    def _made_for(self, notification: Notification) -> list[Aggregate] | None:
        """What the rules make of one event; an event no rule can plan for (a date past what
        the calendar holds, a rule refused by the domain) makes nothing and is logged, so one
        event never stalls the planner and, with it, the runner. Imported history
        (docs/import.md) is None: it makes nothing whenever it is read, so its positions are
        recorded once after a run of it, not once an event."""
        if self._merge_ahead_of_view(notification):
            raise _ViewBehind
        try:
            event = self.app.mapper.to_domain_event(notification)
            return None if imported(event) else self._react(event)
        except (ArithmeticError, ValueError, DomainError):
            log.exception("visit planner: nothing planned for event %s", notification.id)
            return []

    def _react(self, event: Any) -> list[Aggregate]:
        if isinstance(event, Customer.OrderRecorded):
            return self._plan(event, self._customer_then(event), (SALE, event.ordered_on))
        if isinstance(event, Customer.MilestoneRecorded):
            return self._plan(event, self._customer_then(event), (event.kind, event.on))
        if isinstance(event, Ticket.Resolved):
            return self._plan_for_ticket(event)
        if isinstance(event, Visit.Done) and event.open_ticket:
            return [self._ticket_for_need(event)]
        if isinstance(event, Customer.MergedInto):
            return self._moved_visits(event)
        return []

    def _merge_ahead_of_view(self, notification: Notification) -> bool:
        merge = notification.topic == get_topic(Customer.MergedInto)
        return merge and self.open_visits is not None and self.open_visits.seen() < notification.id

    def _moved_visits(self, event: Customer.MergedInto) -> list[Aggregate]:
        """The duplicate's open visits move to the survivor (the view has seen the merge, so
        every visit scheduled before it); each visit refuses a second move to the same file."""
        if self.open_visits is None:
            return []
        moved: list[Aggregate] = []
        key = f"merge:{event.originator_id}:{event.originator_version}"
        for visit_id in self.open_visits.open_for(event.originator_id):
            visit: Visit = self.app.repository.get(visit_id)
            with suppress(DomainError):
                visit.move_to(
                    customer_id=event.survivor_id, meta=self._meta(key, event.meta), at=self.clock()
                )
                moved.append(visit)
        return moved

    def _plan_for_ticket(self, event: Ticket.Resolved) -> list[Aggregate]:
        ticket: Ticket = self.app.repository.get(
            event.originator_id, version=event.originator_version
        )
        customer_id = _as_uuid(ticket.customer_id)
        if customer_id is None:
            return []  # a ticket without a customer file: nobody to visit
        when = business_date(event.timestamp, self.policies.timezone)
        return self._plan(event, find_customer(self.app, customer_id), (TICKET_RESOLVED, when))

    def _customer_then(self, event: Any) -> Customer:
        """The file as it was at the event: a replay plans what the first run planned."""
        customer: Customer = self.app.repository.get(
            event.originator_id, version=event.originator_version
        )
        return customer

    def _plan(self, event: Any, customer: Customer | None, fact: Fact) -> list[Aggregate]:
        if customer is None or customer.merged_into is not None:
            return []
        trigger, anchor = fact
        source = f"{event.originator_id}:{event.originator_version}"
        return [
            self._visit(
                f"{rule.name}:{source}",
                customer,
                rule.name,
                rule.purpose,
                rule.due_on(anchor),
                event.meta,
            )
            for rule in self.policies.visits.rules_for(trigger, customer.tier)
        ]

    def _silence_visits(self, customer_id: str, last: datetime) -> list[Visit]:
        """A visit per no-contact rule whose silence is due. A silence that was past due
        before the file came to this desk (imported history) was the source system's to act
        on: it gets none, as no imported event does; one that falls due afterwards does."""
        known = _as_uuid(customer_id)
        customer = find_customer(self.app, known) if known else None
        if customer is None or customer.merged_into is not None:
            return []
        today = business_date(self.clock(), self.policies.timezone)
        last_day = business_date(last, self.policies.timezone)
        known_since = business_date(customer.known_since, self.policies.timezone)
        visits = []
        for rule in self.policies.visits.rules_for(NO_CONTACT, customer.tier):
            due = rule.due_on(last_day)
            if known_since <= due <= today:
                key = f"{rule.name}:{customer.id}:{last_day.isoformat()}"
                visits.append(self._visit(key, customer, rule.name, rule.purpose, due, None))
        return visits

    def _visit(
        self,
        key: str,
        customer: Customer,
        rule: str,
        purpose: str,
        due_on: date,
        cause: EventMetadata | None,
    ) -> Visit:
        return Visit.schedule(
            task_key=key,
            customer_id=customer.id,
            rule=rule,
            purpose=purpose,
            due_on=due_on,
            tier=customer.tier,
            assignee_id=customer.owner_id,
            policy=self.policies.visits,
            meta=self._meta(key, cause),
            at=self.clock(),
        )

    def _ticket_for_need(self, event: Visit.Done) -> Ticket:
        visit: Visit = self.app.repository.get(
            event.originator_id, version=event.originator_version
        )
        key = f"ticket:{event.originator_id}:{event.originator_version}"
        return Ticket.open(
            channel=Channel.PHONE,
            customer_id=str(visit.customer_id),
            category="return-visit",
            priority=Priority.NORMAL,
            subject=event.new_need.strip()[:200],
            description=event.comment,
            policy=self.policies.deadlines,
            meta=self._meta(key, event.meta),
            at=self.clock(),
        )

    def _save_new(self, visits: list[Visit]) -> int:
        made = 0
        for visit in visits:
            try:
                self.app.save(visit)
            except IntegrityError:
                continue  # this silent spell already has its visit
            made += 1
        return made

    def _meta(self, key: str, cause: EventMetadata | None) -> EventMetadata:
        command_id = uuid5(_COMMAND_NAMESPACE, key)
        return EventMetadata(
            actor_id=PLANNER_ACTOR,
            actor_role="process",
            command_id=command_id,
            correlation_id=cause.correlation_id if cause else command_id,
            causation_id=cause.command_id if cause else None,
            channel="process",
        )


def _as_uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None
