"""The wallboard (实时监控) read: agents by state, calls waiting per queue, today's service level
and abandon rate, and the tickets and complaints overdue or at risk — one snapshot of the views.

A snapshot is a handful of small queries (the logged-in agents, the calls not yet answered, two
aggregate counts, today's call report); the console computes one per change of the views it
reads and shares it with every viewer (kefu/console/wallboard.py). Times stay moments
(`since`, `oldest_queued_at`), so a screen counts the seconds itself between snapshots.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import msgspec

from kefu.projections.agent_document import AgentDocument
from kefu.projections.agent_projection import AgentProjection
from kefu.projections.call_document import CallDocument
from kefu.projections.call_projection import CallProjection
from kefu.projections.complaint_projection import ComplaintProjection
from kefu.projections.read_models import ReadModels
from kefu.projections.reports import calls
from kefu.projections.reports.buckets import Period
from kefu.projections.reports.call_facts import CallFactsProjection
from kefu.projections.reports.query import ReportQuery
from kefu.projections.sql import db_time
from kefu.projections.ticket_projection import (
    RESOLUTION_LATE_NOW,
    RESPONSE_LATE_NOW,
    UNRESOLVED,
    TicketProjection,
)

# The projections a snapshot reads: when none of their positions moved, nothing on it changed
# but the clock.
FOLLOWED = (
    AgentProjection.name,
    CallProjection.name,
    TicketProjection.name,
    ComplaintProjection.name,
    CallFactsProjection.name,
)
TICKET_AT_RISK = timedelta(hours=1)  # unresolved, resolution due within the hour
COMPLAINT_AT_RISK = timedelta(days=1)  # final answer due within the day
WAITING = ("queued", "offered")  # inbound calls that have asked for a human, not yet answered

_TICKETS_LATE = f"({UNRESOLVED} AND ({RESPONSE_LATE_NOW} OR {RESOLUTION_LATE_NOW}))"
_TICKETS_AT_RISK = f"({UNRESOLVED} AND NOT {_TICKETS_LATE} AND resolution_due_at < :soon_ticket)"
_COMPLAINT_OPEN = "status NOT IN ('closed', 'archived')"
_COMPLAINTS_LATE = (
    f"({_COMPLAINT_OPEN} AND ((acknowledged_at IS NULL AND first_reply_due_at < :now) "
    "OR (answered_at IS NULL AND final_answer_due_at < :now)))"
)
_COMPLAINTS_AT_RISK = (
    f"({_COMPLAINT_OPEN} AND NOT {_COMPLAINTS_LATE} AND answered_at IS NULL "
    "AND final_answer_due_at < :soon_complaint)"
)

_agent = msgspec.json.Decoder(AgentDocument)
_call = msgspec.json.Decoder(CallDocument)


class WallboardReader:
    """Reads one wallboard snapshot from the views (any thread; each query its own read)."""

    def __init__(self, views: ReadModels, zone: tzinfo, service_level_seconds: int) -> None:
        self.views = views
        self.zone = zone
        self.service_level_seconds = service_level_seconds

    def positions(self) -> dict[str, int]:
        """How far each view the snapshot reads has followed the log (one query)."""
        return self.views.agents.positions(FOLLOWED)

    def snapshot(self, now: datetime) -> dict[str, Any]:
        return {
            "as_of": now,
            "agents": self._agents(),
            "queues": self._queues(now),
            "today": self._today(now),
            "work": self._work(now),
        }

    def _agents(self) -> list[dict[str, Any]]:
        rows = self.views.agents.query(
            f"SELECT doc FROM {self.views.agents.table} WHERE status <> 'logged_out'"
        )
        docs = sorted((_agent.decode(r["doc"]) for r in rows), key=lambda a: (a.order, a.name))
        return [
            {
                "id": a.id,
                "name": a.name,
                "extension": a.extension,
                "status": a.status,
                "since": a.since,
                "groups": a.skill_groups,
            }
            for a in docs
        ]

    def _queues(self, now: datetime) -> list[dict[str, Any]]:
        rows = self.views.calls.query(
            f"SELECT doc FROM {self.views.calls.table} "
            "WHERE status IN ('queued', 'offered') AND direction = 'inbound'"
        )
        oldest: dict[str, datetime] = {}
        waiting: dict[str, int] = {}
        for row in rows:
            call = _call.decode(row["doc"])
            queue = call.group or ""
            waiting[queue] = waiting.get(queue, 0) + 1
            queued_at = call.queued_at or call.started_at
            oldest[queue] = min(oldest.get(queue, queued_at), queued_at)
        return [
            {
                "queue": q,
                "waiting": waiting[q],
                "oldest_queued_at": oldest[q],
                "longest_wait_seconds": max(0.0, (now - oldest[q]).total_seconds()),
            }
            for q in sorted(waiting)
        ]

    def _today(self, now: datetime) -> dict[str, Any]:
        """Today's inbound calls (the business day of `now`), in total and per queue, by the
        call report's own formulas (docs/reports.md)."""
        local = now.astimezone(self.zone)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)  # wall-clock arithmetic: the next local midnight

        def report(group_by: str | None) -> list[dict[str, Any]]:
            query = ReportQuery(
                start=start.astimezone(UTC),
                end=end.astimezone(UTC),
                period=Period.DAY,
                group_by=group_by,
                zone=self.zone,
                now=now,
                service_level_seconds=self.service_level_seconds,
            )
            return calls.calls_report(self.views.reports, query).rows

        keep = ("offered", "answered", "abandoned", "service_level_pct", "abandon_rate_pct")
        (total,) = report(None)
        return {
            "date": start.date().isoformat(),
            "service_level_seconds": self.service_level_seconds,
            **{k: total[k] for k in keep},
            "queues": [{"queue": r["queue"], **{k: r[k] for k in keep}} for r in report("queue")],
        }

    def _work(self, now: datetime) -> dict[str, int]:
        params = {
            "now": db_time(now),
            "soon_ticket": db_time(now + TICKET_AT_RISK),
            "soon_complaint": db_time(now + COMPLAINT_AT_RISK),
        }
        (tickets,) = self.views.tickets.query(
            f"SELECT SUM(CASE WHEN {_TICKETS_LATE} THEN 1 ELSE 0 END) AS late, "
            f"SUM(CASE WHEN {_TICKETS_AT_RISK} THEN 1 ELSE 0 END) AS at_risk "
            f"FROM {self.views.tickets.table} WHERE {UNRESOLVED}",
            params,
        )
        (complaints,) = self.views.complaints.query(
            f"SELECT SUM(CASE WHEN {_COMPLAINTS_LATE} THEN 1 ELSE 0 END) AS late, "
            f"SUM(CASE WHEN {_COMPLAINTS_AT_RISK} THEN 1 ELSE 0 END) AS at_risk "
            f"FROM {self.views.complaints.table} WHERE {_COMPLAINT_OPEN}",
            params,
        )
        return {
            "tickets_overdue": int(tickets["late"] or 0),
            "tickets_at_risk": int(tickets["at_risk"] or 0),
            "complaints_overdue": int(complaints["late"] or 0),
            "complaints_at_risk": int(complaints["at_risk"] or 0),
        }
