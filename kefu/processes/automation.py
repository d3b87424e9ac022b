"""The automation process (自动化处理): rules, SLA policies, warnings, breaches, escalations.

It follows the log like the visit planner (`kefu/processes/visit_planner.py`), reading only the
events it reacts to. What one log position makes (a rule's changes, a ticket put under its SLA
policy) is saved together with a tracking record of that position
(`ServiceDesk.record_processed`), so a restart resumes after it and a replay, or a second
process, writes nothing twice. Every command it issues is `system`'s, with a deterministic id
and the triggering event's command as causation (`kefu/processes/system.py`).

After the log, the due timers: SLA marks (`sla_watch.py`), complaint deadlines
(`complaint_watch.py`) and member visits' limits (`visit_watch.py`), each asked only for the
rows due now and decided from the record's own events. An operator may pause it
(`kefu automation pause`): it then does nothing at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.utils import get_topic

from kefu.application import ServiceDesk
from kefu.commands.execution import Clock
from kefu.domain.complaint import Complaint
from kefu.domain.errors import DomainError
from kefu.domain.metadata import imported
from kefu.domain.notice import Notice
from kefu.domain.sla import SlaSetup
from kefu.domain.ticket import Ticket
from kefu.processes.automation_dispatch import SkillDispatcher
from kefu.processes.complaint_watch import ComplaintWatch
from kefu.processes.rule_actions import RULE_TRIGGERS, RuleRunner
from kefu.processes.rules_config import RuleSource
from kefu.processes.sla_watch import SlaWatch
from kefu.processes.system import SYSTEM_ACTOR
from kefu.processes.timers import DueTimers, PauseSwitch
from kefu.processes.visit_watch import VisitWatch

__all__ = ["AUTOMATION_NAME", "SYSTEM_ACTOR", "Automation", "AutomationStatus"]
log = logging.getLogger("kefu.automation")
AUTOMATION_NAME = "automation"
_RETRIES = 5


@dataclass(frozen=True)
class AutomationStatus:
    """What `kefu automation status` shows."""

    position: int
    head: int
    pending_timers: int
    next_due: datetime | None
    paused: bool


@dataclass(frozen=True)
class Timers:
    """The due-timer tables the automation reads."""

    sla: DueTimers
    complaints: DueTimers
    visits: DueTimers

    def all(self) -> tuple[DueTimers, ...]:
        return (self.sla, self.complaints, self.visits)


class Automation:
    """Runs the rules on the events they are for, keeps tickets under their SLA policy (again
    when priority or category changed), and acts on due timers."""

    event_classes: tuple[type[Any], ...] = (
        *RULE_TRIGGERS,
        Ticket.Escalated,
        Ticket.PriorityChanged,
        Ticket.Recategorised,
    )

    def __init__(
        self,
        app: ServiceDesk,
        setup: SlaSetup,
        timers: Timers,
        control: PauseSwitch,
        clock: Clock,
        rules: RuleSource | None = None,
        dispatcher: SkillDispatcher | None = None,
    ) -> None:
        self.app = app
        self.timers = timers
        self.control = control
        self.dispatcher = dispatcher
        zone = setup.calendar.timezone
        self.rules = RuleRunner(app, rules or RuleSource(""), zone, clock, dispatcher)
        self.sla = SlaWatch(app, setup, timers.sla, clock)
        self.complaints = ComplaintWatch(app, timers.complaints, clock)
        self.visits = VisitWatch(app, timers.visits, zone, clock)
        self.topics = [get_topic(c) for c in self.event_classes]

    def catch_up(self) -> int:
        """Follows the log to its head, then acts on the timers due now; returns the work done."""
        if self.control.paused(AUTOMATION_NAME):
            return 0
        if self.dispatcher is not None:
            self.dispatcher.new_pass()
        read = self.follow(self.app.processed_position(AUTOMATION_NAME))
        return read + self.fire_due()

    def fire_due(self) -> int:
        return self.sla.fire_due() + self.complaints.fire_due() + self.visits.fire_due()

    def replay(self) -> int:
        """Reads the whole log again: every position already processed is skipped."""
        return self.follow(0)

    def status(self) -> AutomationStatus:
        return AutomationStatus(
            position=self.app.processed_position(AUTOMATION_NAME),
            head=self.app.recorder.max_notification_id() or 0,
            pending_timers=sum(t.pending() for t in self.timers.all()),
            next_due=min(filter(None, (t.earliest() for t in self.timers.all())), default=None),
            paused=self.control.paused(AUTOMATION_NAME),
        )

    def follow(self, position: int) -> int:
        total = 0
        while notifications := self._read(position):
            history_up_to = 0  # imported history read last, its position not recorded yet
            for notification in notifications:
                history_up_to = 0 if self._process(notification) else notification.id
            if history_up_to:
                with suppress(IntegrityError):  # recorded by a second process meanwhile
                    self.app.record_processed(Tracking(AUTOMATION_NAME, history_up_to))
            total += len(notifications)
            position = notifications[-1].id
        return total

    def _read(self, after: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            start=after, limit=500, topics=self.topics, inclusive_of_start=False
        )

    def _process(self, notification: Notification) -> bool:
        """Reacts to one event and records its position with what it made; a record changed
        by somebody else meanwhile is read again (a bounded number of times).

        Imported history (docs/import.md) makes nothing whenever it is read, so it is passed
        over without a write (False): `follow` records the position after a run of it once,
        not once an event (an import of a million events costs no million commits here)."""
        tracking = Tracking(AUTOMATION_NAME, notification.id)
        event = self.app.mapper.to_domain_event(notification)
        if imported(event):
            return False
        for _ in range(_RETRIES):
            notices: list[Notice] = []
            made = self._made_for(event, notices)
            try:
                self.app.record_processed(tracking, *made, *notices)
            except IntegrityError:
                if self.app.processed_position(AUTOMATION_NAME) >= notification.id:
                    return True  # processed before: a replay, or a second process
                continue
            return True
        log.error("automation: record kept changing; position %s passed over", notification.id)
        with suppress(IntegrityError):
            self.app.record_processed(tracking)
        return True

    def _made_for(self, event: Any, notices: list[Notice]) -> list[Aggregate]:
        try:
            return self._react(event, notices)
        except (DomainError, ValueError, ArithmeticError):
            log.exception("automation: nothing done for event %s", event.originator_id)
            notices.clear()
            return []

    def _react(self, event: Any, notices: list[Notice]) -> list[Aggregate]:
        if isinstance(event, Complaint.ResponsibilityAttributed):
            complaint = self.app.load(Complaint, event.originator_id)
            self.rules.on_complaint(complaint, event, notices)
            return [complaint] if complaint.pending_events else []
        ticket = self.app.load(Ticket, event.originator_id)
        if ticket.status == "archived":
            return []
        self.rules.on_ticket(ticket, event, notices)
        self.sla.follow_policy(ticket, event)
        return [ticket] if ticket.pending_events else []
