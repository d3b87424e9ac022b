"""SLA policies on tickets, and the warnings, breaches and escalations their clocks call for.

Time-based work reads the due-timer table (`kefu/projections/sla_timers.py`): only the rows due
now, earliest first. Each is decided again from the ticket's own events (the row is a hint, the
events are the truth) and recorded with the ticket's version check: a mark already recorded is
no longer due, and two processes racing for one mark cannot both save it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.commands.tickets import customer_tier
from kefu.domain.errors import DomainError
from kefu.domain.metadata import EventMetadata
from kefu.domain.notice import Notice
from kefu.domain.sla import ESCALATION, Escalation, SlaMark, SlaPolicy, SlaSetup
from kefu.domain.sla_clocks import TicketClocks, fold_clocks
from kefu.domain.ticket import Ticket
from kefu.processes.system import notice, system_meta
from kefu.processes.timers import DueTimers

log = logging.getLogger("kefu.automation")


class SlaWatch:
    """Keeps tickets under the policy that applies and acts on their clocks' marks."""

    def __init__(
        self,
        app: ServiceDesk,
        setup: SlaSetup,
        timers: DueTimers,
        clock: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.setup = setup
        self.timers = timers
        self.clock = clock

    def policy_for(self, ticket: Ticket) -> SlaPolicy | None:
        tier = customer_tier(self.app, ticket.customer_id)
        return self.setup.policies.select(ticket.priority, ticket.category, tier)

    def follow_policy(self, ticket: Ticket, event: Any) -> None:
        """Puts the ticket under the policy its priority, category and tier select now."""
        policy = self.policy_for(ticket)
        current = self.clocks_of(ticket.id)[0].terms
        if policy is None or (current is not None and current.policy == policy.name):
            return
        source = f"{event.originator_id}:{event.originator_version}"
        meta = system_meta(f"sla:{policy.name}", f"assign:{source}", event.meta)
        ticket.assign_sla(policy=policy, meta=meta, at=self.clock())

    def clocks_of(self, ticket_id: UUID) -> tuple[TicketClocks, EventMetadata | None]:
        """The ticket's clocks, and the metadata of the policy assignment that set them."""
        state: TicketClocks | None = None
        cause = None
        for event in self.app.events.get(ticket_id):
            state = fold_clocks(state, event)
            if isinstance(event, Ticket.SlaAssigned) or getattr(event, "sla", None):
                cause = getattr(event, "meta", None)
        assert state is not None
        return state, cause

    def fire_due(self) -> int:
        """Acts on the tickets whose next mark is due now; returns how many marks it recorded."""
        now = self.clock()
        return sum(self._fire(ticket_id, now) for ticket_id in self.timers.due(now))

    def _fire(self, ticket_id: UUID, now: datetime) -> int:
        clocks, cause = self.clocks_of(ticket_id)
        marks = clocks.due_marks(self.setup.calendar, now, self.setup.policies)
        if not marks:
            return 0  # the timer row is behind the ticket; its projection will move it
        ticket = self.app.load(Ticket, ticket_id)
        try:
            notices = [n for m in marks if (n := self._apply(ticket, m, now, cause)) is not None]
            self.app.record_together([ticket, *notices], None)
        except DomainError:
            log.exception("automation: cannot act on ticket %s", ticket_id)
            return 0
        except (ConcurrentChange, IntegrityError):
            return 0  # changed meanwhile: decided again on the next pass
        return len(marks)

    def _apply(
        self, ticket: Ticket, mark: SlaMark, now: datetime, cause: EventMetadata | None
    ) -> Notice | None:
        key = f"{ticket.id}:{mark.clock}:{mark.cycle}:{mark.kind}:{mark.level}"
        meta = system_meta(f"sla:{mark.policy}", key, cause)
        if mark.kind != ESCALATION:
            ticket.record_sla_mark(mark=mark, meta=meta, at=now)
            return None
        policy = self.setup.policies.named(mark.policy)
        step = policy.step(mark.level) if policy else None
        if step is None:
            return None
        reason = f"SLA {mark.policy}: {mark.clock} overdue since {mark.due_at.isoformat()}"
        priority = ticket.priority.raised() if step.raise_priority else None
        escalation = Escalation(
            level=mark.level, reason=reason, priority=priority, department=step.department,
            agent_id=step.agent_id, clock=mark.clock, cycle=mark.cycle,
        )  # fmt: skip
        ticket.escalate(escalation=escalation, meta=meta, at=now)
        if not step.notify:
            return None
        return notice("ticket", ticket, step.notify, mark.level, reason, meta, now)
