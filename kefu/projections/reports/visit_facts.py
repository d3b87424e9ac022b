"""Return-visit facts (回访): a row per visit task, bucketed by its business due date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from eventsourcing.persistence import Tracking

from kefu.domain.visit import Visit, VisitStatus
from kefu.projections.batch import Positioned
from kefu.projections.reports.buckets import date_labels, midnight
from kefu.projections.reports.facts import FactProjection, Row, load_rows, upsert_sql
from kefu.projections.sql import SqlView, db_time

VISITS = "report_visits"
# A visit is finished in time when done within this many days of its due date.
FINISH_WITHIN_DAYS = 3

VISIT_COLUMNS = (
    "id", "rule", "customer_id", "assignee_id", "due_on", "due_at", "b_day", "b_week",
    "b_month", "deadline_on", "status", "attempts", "done_at", "done_on", "reached",
    "satisfaction",
)  # fmt: skip


class VisitFactsView(SqlView):
    """The visit fact table."""

    ddl = (
        f"CREATE TABLE IF NOT EXISTS {VISITS} (id TEXT PRIMARY KEY, rule TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, assignee_id TEXT, due_on TEXT NOT NULL, "
        "due_at TEXT NOT NULL, b_day TEXT NOT NULL, b_week TEXT NOT NULL, "
        "b_month TEXT NOT NULL, deadline_on TEXT NOT NULL, status TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, done_at TEXT, done_on TEXT, reached INTEGER, "
        "satisfaction INTEGER)",
        f"CREATE INDEX IF NOT EXISTS {VISITS}_due ON {VISITS} (due_at)",
    )


class VisitFactsProjection(FactProjection[VisitFactsView]):
    """Keeps the visit fact table."""

    name = "report_visits"
    event_classes = (
        Visit.Scheduled,
        Visit.Assigned,
        Visit.Rescheduled,
        Visit.NotReached,
        Visit.Done,
    )

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            visits = load_rows(tx, VISITS, (str(p.event.originator_id) for p in events))
            for p in events:
                event, key = p.event, str(p.event.originator_id)
                if isinstance(event, Visit.Scheduled):
                    visits[key] = {
                        "id": key, "rule": event.rule, "customer_id": str(event.customer_id),
                        "assignee_id": event.assignee_id, "status": str(VisitStatus.SCHEDULED),
                        "attempts": 0, "done_at": None, "done_on": None, "reached": None,
                        "satisfaction": None, **self._due(event.due_on),
                    }  # fmt: skip
                else:
                    self._apply(visits[key], event)
            tx.executemany(upsert_sql(VISITS, VISIT_COLUMNS), list(visits.values()))
            tx.track(tracking)

    def _due(self, due_on: date) -> Row:
        deadline = due_on + timedelta(days=FINISH_WITHIN_DAYS)
        return {
            "due_on": due_on.isoformat(),
            "due_at": db_time(midnight(due_on, self.zone)),
            **date_labels(due_on),
            "deadline_on": deadline.isoformat(),
        }

    def _apply(self, visit: Row, event: object) -> None:
        if isinstance(event, Visit.Assigned):
            visit["assignee_id"] = event.agent_id
        elif isinstance(event, Visit.Rescheduled):
            visit.update(self._due(event.due_on), status=str(VisitStatus.SCHEDULED))
        elif isinstance(event, Visit.NotReached):
            visit.update(attempts=event.attempt, status=str(VisitStatus.NOT_REACHED))
        elif isinstance(event, Visit.Done):
            done_on = event.timestamp.astimezone(self.zone).date().isoformat()
            visit.update(
                status=str(VisitStatus.DONE), done_at=db_time(event.timestamp), done_on=done_on,
                reached=int(event.reached), satisfaction=event.satisfaction,
            )  # fmt: skip
