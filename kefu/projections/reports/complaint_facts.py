"""Complaint facts (投诉): a row per complaint, and a row per registration, close and remedy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from kefu.domain.complaint import EVENT_ACTIONS, Complaint
from kefu.domain.complaint_lifecycle import ComplaintStatus, next_status
from kefu.projections.batch import Positioned
from kefu.projections.reports.facts import (
    BUCKET_DDL,
    FactProjection,
    Row,
    insert_sql,
    load_rows,
    seconds_between,
    upsert_sql,
)
from kefu.projections.sql import SqlView, db_time

COMPLAINTS = "report_complaints"
FACTS = "report_complaint_facts"

COMPLAINT_COLUMNS = (
    "id", "registered_at", "b_day", "b_week", "b_month", "b_hour", "channel", "customer_id",
    "complaint_type", "severity", "major", "department", "status", "first_reply_due_at",
    "final_answer_due_at", "acknowledged_at", "answered_at", "closed_at", "reopen_count",
    "satisfaction", "proposals", "version",
)  # fmt: skip
FACT_COLUMNS = (
    "position", "seq", "complaint_id", "kind", "occurred_at", "b_day", "b_week", "b_month",
    "b_hour", "seconds", "remedy",
)  # fmt: skip


class ComplaintFactsView(SqlView):
    """The complaint fact tables."""

    ddl = (
        f"CREATE TABLE IF NOT EXISTS {COMPLAINTS} (id TEXT PRIMARY KEY, "
        f"registered_at TEXT NOT NULL, {BUCKET_DDL}, channel TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, complaint_type TEXT NOT NULL, severity TEXT NOT NULL, "
        "major INTEGER NOT NULL, department TEXT, status TEXT NOT NULL, "
        "first_reply_due_at TEXT NOT NULL, final_answer_due_at TEXT NOT NULL, "
        "acknowledged_at TEXT, answered_at TEXT, closed_at TEXT, reopen_count INTEGER NOT NULL, "
        "satisfaction INTEGER, proposals TEXT NOT NULL, version INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {COMPLAINTS}_registered ON {COMPLAINTS} (registered_at)",
        f"CREATE TABLE IF NOT EXISTS {FACTS} (position BIGINT NOT NULL, seq INTEGER NOT NULL, "
        "complaint_id TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        f"{BUCKET_DDL}, seconds DOUBLE PRECISION, remedy TEXT, PRIMARY KEY (position, seq))",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_kind ON {FACTS} (kind, occurred_at)",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_occurred ON {FACTS} (occurred_at)",
    )


class ComplaintFactsProjection(FactProjection[ComplaintFactsView]):
    """Keeps the complaint fact tables."""

    name = "report_complaints"
    event_classes = (Complaint.Registered, *EVENT_ACTIONS)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            complaints = load_rows(tx, COMPLAINTS, (str(p.event.originator_id) for p in events))
            facts: list[Row] = []
            for p in events:
                key = str(p.event.originator_id)
                if isinstance(p.event, Complaint.Registered):
                    complaints[key] = self._registered(p.event)
                    facts.append(self._fact(complaints[key], p, "registered"))
                else:
                    facts.extend(self._apply(complaints[key], p))
            tx.executemany(upsert_sql(COMPLAINTS, COMPLAINT_COLUMNS), list(complaints.values()))
            tx.executemany(insert_sql(FACTS, FACT_COLUMNS), facts)
            tx.track(tracking)

    def _registered(self, event: Complaint.Registered) -> Row:
        return {
            "id": str(event.originator_id),
            "registered_at": db_time(event.timestamp),
            **self.buckets(event.timestamp),
            "channel": str(event.channel),
            "customer_id": event.customer_id,
            "complaint_type": str(event.complaint_type),
            "severity": str(event.severity),
            "major": int(event.major),
            "department": None,
            "status": str(ComplaintStatus.REGISTERED),
            "first_reply_due_at": db_time(event.first_reply_due_at),
            "final_answer_due_at": db_time(event.final_answer_due_at),
            "acknowledged_at": None,
            "answered_at": None,
            "closed_at": None,
            "reopen_count": 0,
            "satisfaction": None,
            "proposals": "{}",
            "version": event.originator_version,
        }

    def _apply(self, complaint: Row, p: Positioned) -> list[Row]:
        """Applies the event to the complaint row; returns the facts it makes."""
        event, at = p.event, p.event.timestamp
        complaint["status"] = str(
            next_status(ComplaintStatus(complaint["status"]), EVENT_ACTIONS[type(event)])
        )
        complaint["version"] = event.originator_version
        if isinstance(event, Complaint.MadeMajor):
            complaint["major"] = 1
        elif isinstance(event, Complaint.Acknowledged):
            complaint["acknowledged_at"] = complaint["acknowledged_at"] or db_time(at)
        elif isinstance(event, Complaint.ResponsibilityAttributed):
            complaint["department"] = event.department
        elif isinstance(event, Complaint.ResolutionProposed):
            proposals = json.loads(complaint["proposals"])
            proposals[str(event.number)] = [str(r.kind) for r in event.remedies]
            complaint["proposals"] = json.dumps(proposals)
        elif isinstance(event, Complaint.ResolutionAccepted):
            complaint["answered_at"] = complaint["answered_at"] or db_time(at)
            kinds = json.loads(complaint["proposals"])[str(event.number)]
            return [
                self._fact(complaint, p, "remedy", seq=n, remedy=k) for n, k in enumerate(kinds)
            ]
        elif isinstance(event, Complaint.Confirmed):
            complaint["satisfaction"] = event.satisfaction
        elif isinstance(event, Complaint.Reopened):
            complaint["reopen_count"] += 1
        elif isinstance(event, Complaint.Closed):
            complaint["closed_at"] = db_time(at)
            took = seconds_between(complaint["registered_at"], at)
            return [self._fact(complaint, p, "closed", seconds=took)]
        return []

    def _fact(self, complaint: Row, p: Positioned, kind: str, seq: int = 0, **values: Any) -> Row:
        row = {"seconds": None, "remedy": None, **values}
        return self.fact(
            p.position, p.event.timestamp, seq=seq, complaint_id=complaint["id"], kind=kind, **row
        )
