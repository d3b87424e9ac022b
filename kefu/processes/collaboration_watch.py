"""逾期自动升级预警 for collaborative tickets: a node still open at its deadline is escalated once.

On each runner pass the watch asks the node view (`kefu/projections/node_projection.py`, through
the `DueTimers` protocol) which tickets have a node due now, and decides each again on the
`Ticket` aggregate: only an open, unescalated node past its deadline is escalated, and the
ticket refuses a second escalation of a node. The escalation is `system`'s, with a command id
made of the ticket, the department and the deadline, and it is saved with the ticket's version
check, so a stale row, a restart or a second runner never escalates a node twice. Each
escalation raises a notice (the department's manager and the node's owner), saved with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.domain.collaboration import Node
from kefu.domain.errors import DomainError
from kefu.domain.notice import Notice
from kefu.domain.ticket import Ticket
from kefu.processes.system import notice, system_meta
from kefu.processes.timers import DueTimers, PauseSwitch

log = logging.getLogger("kefu.automation")
NODE_CHANNEL = "collaboration:node-overdue"
PAUSED_WITH = "automation"  # paused and resumed with the automation (`kefu automation pause`)


class CollaborationWatch:
    """Escalates the overdue nodes of collaborative tickets, exactly once each."""

    def __init__(
        self,
        app: ServiceDesk,
        timers: DueTimers,
        control: PauseSwitch,
        clock: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.timers = timers
        self.control = control
        self.clock = clock

    def catch_up(self) -> int:
        """Escalates every node due now; returns how many were escalated."""
        if self.control.paused(PAUSED_WITH):
            return 0
        now = self.clock()
        return sum(self._escalate(ticket_id, now) for ticket_id in self.timers.due(now))

    def _escalate(self, ticket_id: UUID, now: datetime) -> int:
        ticket = self.app.load(Ticket, ticket_id)
        due = [node for node in ticket.nodes.values() if node.escalation_due(now)]
        try:
            notices = [self._escalate_node(ticket, node, now) for node in due]
            if due:
                self.app.record_together([ticket, *notices], None)
        except DomainError:
            log.exception("collaboration: cannot escalate the nodes of ticket %s", ticket_id)
            return 0
        except (ConcurrentChange, IntegrityError):
            return 0  # changed meanwhile: decided again on the next pass
        return len(due)

    def _escalate_node(self, ticket: Ticket, node: Node, now: datetime) -> Notice:
        """Escalates one node; the notice (saved with it) tells the department's manager and
        the node's owner."""
        key = f"{ticket.id}:{node.department}:{node.due_at.isoformat()}"
        reason = f"the node of {node.department} is overdue since {node.due_at.isoformat()}"
        meta = system_meta(NODE_CHANNEL, key, None)
        ticket.escalate_node(department=node.department, reason=reason, meta=meta, at=now)
        told = (f"manager:{node.department}", *([node.owner_id] if node.owner_id else []))
        return notice("ticket", ticket, told, 1, reason, meta, now)
