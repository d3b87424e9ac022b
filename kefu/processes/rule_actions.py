"""Running the rules on a triggering event and carrying out their actions on the record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
from typing import Any
from uuid import UUID

from kefu.application import ServiceDesk
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_values import EscalationLevel
from kefu.domain.errors import DomainError
from kefu.domain.metadata import EventMetadata
from kefu.domain.notice import Notice
from kefu.domain.rules import (
    COMPLAINT_ATTRIBUTED,
    CUSTOMER_REPLIED,
    OWNER,
    TICKET_OPENED,
    TICKET_REOPENED,
    Action,
    Facts,
    Rule,
)
from kefu.domain.sla import Escalation
from kefu.domain.ticket import Ticket
from kefu.processes.automation_dispatch import SkillDispatcher
from kefu.processes.rules_config import RuleSource
from kefu.processes.system import SYSTEM_ACTOR, customer_of, notice, system_meta

log = logging.getLogger("kefu.automation")

RULE_TRIGGERS: dict[type[Any], str] = {
    Ticket.Opened: TICKET_OPENED,
    Ticket.Reopened: TICKET_REOPENED,
    Ticket.CustomerReplied: CUSTOMER_REPLIED,
    Complaint.ResponsibilityAttributed: COMPLAINT_ATTRIBUTED,
}


@dataclass(frozen=True)
class Fired:
    """A rule firing on a triggering event: one deterministic command (its metadata) for all
    its actions, and the notices it raises."""

    rule: Rule
    record: UUID
    event: Any
    notices: list[Notice]

    @property
    def meta(self) -> EventMetadata:
        key = f"{self.record}:{self.event.originator_version}"
        return system_meta(f"rule:{self.rule.name}", key, self.event.meta)

    def tell(self, kind: str, record: Ticket | Complaint, action: Action, index: int) -> None:
        """A notice of the `index`th action, dated by the triggering event: the outbox's
        horizon then spares people notices about old history (a first start)."""
        reason = f"rule {self.rule.name}"
        said = notice(kind, record, action.recipients, 0, reason, self.meta, self.event.timestamp,
                      f":{index}")  # fmt: skip
        self.notices.append(said)


class RuleRunner:
    """Finds the rules that fire for an event and applies their actions, in order."""

    def __init__(
        self,
        app: ServiceDesk,
        rules: RuleSource,
        zone: tzinfo,
        clock: Callable[[], datetime],
        dispatcher: SkillDispatcher | None = None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.zone = zone
        self.clock = clock
        self.dispatcher = dispatcher

    def firing(self, facts: Facts) -> list[Rule]:
        return self.rules.current().firing(facts)

    def ticket_facts(self, ticket: Ticket, kind: str, at: datetime) -> Facts:
        customer = customer_of(self.app, ticket.customer_id)
        return Facts(
            kind=kind, channel=str(ticket.channel), category=ticket.category,
            subject=ticket.subject, description=ticket.description,
            priority=str(ticket.priority), tier=str(customer.tier) if customer else "none",
            tags=tuple(customer.tags) if customer else (),
            local_time=at.astimezone(self.zone).time(), department=ticket.department,
        )  # fmt: skip

    def complaint_facts(self, complaint: Complaint, at: datetime) -> Facts:
        customer = customer_of(self.app, complaint.customer_id)
        return Facts(
            kind=COMPLAINT_ATTRIBUTED, channel=str(complaint.channel),
            category=str(complaint.complaint_type), description=complaint.description,
            priority=str(complaint.severity), tier=str(customer.tier) if customer else "none",
            tags=tuple(customer.tags) if customer else (),
            local_time=at.astimezone(self.zone).time(), department=complaint.department,
            major=complaint.major,
        )  # fmt: skip

    def on_ticket(self, ticket: Ticket, event: Any, notices: list[Notice]) -> None:
        """Applies the rules that fire for `event` to `ticket` (its current state); the
        conditions see the ticket as it was at the event."""
        kind = RULE_TRIGGERS.get(type(event))
        if kind is None or event.meta.actor_id == SYSTEM_ACTOR:
            return  # never a rule on the automation's own output: no loops
        then: Ticket = self.app.repository.get(ticket.id, version=event.originator_version)
        for rule in self.firing(self.ticket_facts(then, kind, event.timestamp)):
            fired = Fired(rule, ticket.id, event, notices)
            for index, action in enumerate(rule.then):
                self._guarded(fired, partial(self._act, ticket, action, index, fired))

    def on_complaint(self, complaint: Complaint, event: Any, notices: list[Notice]) -> None:
        """Rules on complaints: escalate (to the manager of the responsible department unless
        the action names whom) and notify; other actions concern tickets only."""
        if event.meta.actor_id == SYSTEM_ACTOR:
            return
        for rule in self.firing(self.complaint_facts(complaint, event.timestamp)):
            fired = Fired(rule, complaint.id, event, notices)
            for index, action in enumerate(rule.then):
                act = partial(self._act_on_complaint, complaint, action, index, fired)
                self._guarded(fired, act)

    def _guarded(self, fired: Fired, act: Callable[[], None]) -> None:
        """An action the record's state refuses is skipped and logged; the others go on."""
        try:
            act()
        except DomainError as e:
            log.warning("automation: rule %s on %s not done: %s", fired.rule.name, fired.record, e)

    def _act(self, ticket: Ticket, action: Action, index: int, fired: Fired) -> None:
        at, reason, meta = self.clock(), f"rule {fired.rule.name}", fired.meta
        if action.kind == "set_priority" and action.priority not in (None, ticket.priority):
            ticket.set_priority(priority=action.priority, reason=reason, meta=meta, at=at)
        elif action.kind == "set_category" and action.category:
            ticket.recategorise(category=action.category, reason=reason, meta=meta, at=at)
        elif action.kind == "add_tag" and action.tag:
            ticket.tag(tag=action.tag, meta=meta, at=at)
        elif action.kind == "dispatch":
            self._dispatch(ticket, action, reason, meta)
        elif action.kind == "escalate":
            priority = ticket.priority.raised() if action.raise_priority else None
            escalation = Escalation(1, reason, priority, action.department, action.agent_id)
            ticket.escalate(escalation=escalation, meta=meta, at=at)
        elif action.kind == "notify":
            fired.tell("ticket", ticket, action, index)

    def _dispatch(self, ticket: Ticket, action: Action, reason: str, meta: EventMetadata) -> None:
        agent = self._agent_for(ticket, action)
        department = action.department or ticket.department or "default"
        at = self.clock()
        if "dispatch" in ticket.allowed_now:
            ticket.dispatch(department=department, agent_id=agent, meta=meta, at=at)
        else:
            ticket.redispatch(
                department=department, agent_id=agent, reason=reason, meta=meta, at=at
            )

    def _agent_for(self, ticket: Ticket, action: Action) -> str | None:
        """The named agent, or the customer's own (`owner`, 熟客), else the one the strategy
        picks among the agents with the skill (the department's key unless named)."""
        if action.agent_id == OWNER:
            customer = customer_of(self.app, ticket.customer_id)
            if customer is not None and customer.owner_id:
                return customer.owner_id
        elif action.agent_id is not None:
            return action.agent_id
        if action.strategy is None or self.dispatcher is None:
            return None
        skill = action.skill or action.department or ""
        picked = self.dispatcher.pick(skill, action.strategy)
        if picked is None:
            log.warning("automation: no agent has skill %s; ticket %s to the department only",
                        skill, ticket.id)  # fmt: skip
        return picked

    def _act_on_complaint(
        self, complaint: Complaint, action: Action, index: int, fired: Fired
    ) -> None:
        if action.kind == "escalate":
            to = action.agent_id or f"manager of {action.department or fired.event.department}"
            complaint.escalate(
                level=EscalationLevel.MANAGER, to=to, reason=f"rule {fired.rule.name}",
                meta=fired.meta, at=self.clock(),
            )  # fmt: skip
        elif action.kind == "notify":
            fired.tell("complaint", complaint, action, index)
