"""Member return visits past their limit (会员回访 3 天内完成) are escalated once each: an
`Escalated` event on the visit (to a supervisor) and a notice to its agent and the duty staff,
in one save. Only the rows due now are read from the timer table
(`kefu/projections/visit_timers.py`); each visit is decided again from its own events and saved
with its version check, so a stale row or a second process never escalates twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, tzinfo
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.domain.errors import DomainError
from kefu.domain.notice import ASSIGNEE, DUTY
from kefu.domain.visit import Visit
from kefu.domain.visit_rules import business_date
from kefu.processes.system import notice, system_meta
from kefu.processes.timers import DueTimers

log = logging.getLogger("kefu.automation")
VISIT_DEADLINE_CHANNEL = "deadline:visit"
SUPERVISOR = "supervisor"


class VisitWatch:
    """Escalates late member visits, exactly once."""

    def __init__(
        self, app: ServiceDesk, timers: DueTimers, zone: tzinfo, clock: Callable[[], datetime]
    ) -> None:
        self.app = app
        self.timers = timers
        self.zone = zone
        self.clock = clock

    def fire_due(self) -> int:
        now = self.clock()
        return sum(self._fire(visit_id, now) for visit_id in self.timers.due(now))

    def _fire(self, visit_id: UUID, now: datetime) -> int:
        visit = self.app.load(Visit, visit_id)
        today = business_date(now, self.zone)
        if visit.escalated or not visit.is_late(today):
            return 0  # the timer row is behind the visit; its projection will move it
        meta = system_meta(VISIT_DEADLINE_CHANNEL, f"{visit.id}:{visit.finish_by}", None)
        reason = f"member visit not finished by {visit.finish_by}"
        try:
            visit.escalate(to=SUPERVISOR, reason=reason, today=today, meta=meta, at=now)
            said = notice("visit", visit, (ASSIGNEE, DUTY), 1, reason, meta, now)
            self.app.record_together([visit, said], None)
        except DomainError:
            log.exception("automation: cannot escalate visit %s", visit_id)
            return 0
        except (ConcurrentChange, IntegrityError):
            return 0  # changed meanwhile: decided again on the next pass
        return 1
