"""Complaint deadlines that pass unmet (24-hour first reply, 3-day final answer, department
tasks) are escalated once each: to a supervisor, a manager, or the task's department; each
escalation raises a notice (the duty staff, the department's manager, the task department's
manager) in the same save."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_deadlines import (
    DEADLINE_CHANNEL,
    ComplaintDeadlines,
    Deadline,
    fold_deadlines,
)
from kefu.domain.errors import DomainError
from kefu.domain.notice import Notice
from kefu.processes.system import notice, system_meta
from kefu.processes.timers import DueTimers

log = logging.getLogger("kefu.automation")


class ComplaintWatch:
    """Escalates complaints past a deadline, decided from their events, exactly once."""

    def __init__(self, app: ServiceDesk, timers: DueTimers, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.timers = timers
        self.clock = clock

    def deadlines_of(self, complaint_id: UUID) -> ComplaintDeadlines:
        state: ComplaintDeadlines | None = None
        for event in self.app.events.get(complaint_id):
            state = fold_deadlines(state, event)
        assert state is not None
        return state

    def fire_due(self) -> int:
        now = self.clock()
        return sum(self._fire(complaint_id, now) for complaint_id in self.timers.due(now))

    def _fire(self, complaint_id: UUID, now: datetime) -> int:
        due = self.deadlines_of(complaint_id).due(now)
        if not due:
            return 0
        complaint = self.app.load(Complaint, complaint_id)
        try:
            notices = [self._escalate(complaint, deadline, now) for deadline in due]
            self.app.record_together([complaint, *notices], None)
        except DomainError:
            log.exception("automation: cannot escalate complaint %s", complaint_id)
            return 0
        except (ConcurrentChange, IntegrityError):
            return 0  # changed meanwhile: decided again on the next pass
        return len(due)

    def _escalate(self, complaint: Complaint, deadline: Deadline, now: datetime) -> Notice:
        channel = f"{DEADLINE_CHANNEL}{deadline.key}"
        meta = system_meta(channel, f"{complaint.id}:{deadline.due_at.isoformat()}", None)
        reason = f"{deadline.key.replace('_', ' ')} overdue since {deadline.due_at.isoformat()}"
        complaint.escalate(level=deadline.level, to=deadline.to, reason=reason, meta=meta, at=now)
        return notice("complaint", complaint, deadline.notify, 1, reason, meta, now)
