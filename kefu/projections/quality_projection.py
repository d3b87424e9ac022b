"""The quality-inspection read model: inspections, scorecards and weekly draws, one projection.

One projection (one transaction per batch) keeps all three tables: inspections as documents
with filter columns, scorecards and draws as documents by id. The draw's view of the
candidates (recorded calls, closed tickets) is read from the call and ticket views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import Tracking

from kefu.domain.inspection import Inspection
from kefu.domain.sampling import Sampling
from kefu.domain.scorecard import Scorecard
from kefu.projections.batch import Positioned
from kefu.projections.call_document import CallDocument
from kefu.projections.call_projection import CallView
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.quality_document import (
    InspectionDocument,
    SamplingDocument,
    ScorecardDocument,
    fold_inspection,
    fold_sampling,
    fold_scorecard,
)
from kefu.projections.sql import Tx, db_time
from kefu.projections.ticket_projection import TicketView

# Side tables: name → (its filter column, that column's value from the document).
SIDE_TABLES: dict[str, tuple[str, Any]] = {
    "scorecard_views": ("status", lambda v: v.status),
    "sampling_views": ("week", lambda v: v.week),
}


class QualityView(DocumentView[InspectionDocument]):
    """One row per inspection (with filter columns), per scorecard and per weekly draw."""

    table = "inspection_views"
    document = InspectionDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "sampling_id": ("TEXT NOT NULL", lambda v: str(v.sampling_id)),
        "agent_id": ("TEXT NOT NULL", lambda v: v.agent_id),
        "inspector_id": ("TEXT NOT NULL", lambda v: v.inspector_id),
        "case_kind": ("TEXT NOT NULL", lambda v: v.case_kind),
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "assigned_at": ("TEXT NOT NULL", lambda v: db_time(v.assigned_at)),
        "scored_at": ("TEXT", lambda v: db_time(v.scored_at)),
        "final_total": ("TEXT", lambda v: None if v.final_total is None else str(v.final_total)),
    }
    indexes = ("agent_id, scored_at", "inspector_id, status", "sampling_id")

    def create_statements(self) -> tuple[str, ...]:
        side = tuple(
            f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, {column} TEXT NOT NULL, "
            "doc TEXT NOT NULL)"
            for table, (column, _) in SIDE_TABLES.items()
        )
        return (*super().create_statements(), *side)

    def scorecard(self, scorecard_id: UUID) -> ScorecardDocument | None:
        found = self._side("scorecard_views", ScorecardDocument, "id", str(scorecard_id))
        return found[0] if found else None

    def scorecards(self, status: str | None) -> list[ScorecardDocument]:
        return self._side("scorecard_views", ScorecardDocument, "status", status)

    def sampling(self, sampling_id: UUID) -> SamplingDocument | None:
        found = self._side("sampling_views", SamplingDocument, "id", str(sampling_id))
        return found[0] if found else None

    def samplings(self, week: str | None) -> list[SamplingDocument]:
        return self._side("sampling_views", SamplingDocument, "week", week)

    def _side(self, table: str, kind: type[Any], column: str, value: str | None) -> list[Any]:
        where = "" if value is None else f" WHERE {column} = :value"
        rows = self.query(f"SELECT doc FROM {table}{where} ORDER BY id", {"value": value})
        return [msgspec.json.decode(r["doc"], type=kind) for r in rows]

    def side_docs(
        self, tx: Tx, table: str, kind: type[Any], ids: Sequence[UUID]
    ) -> dict[UUID, Any]:
        found: dict[UUID, Any] = {}
        for key in ids:
            tx.execute(f"SELECT doc FROM {table} WHERE id = :id", {"id": str(key)})
            row = tx.fetchone()
            if row is not None:
                found[key] = msgspec.json.decode(row["doc"], type=kind)
        return found

    def save_side(self, tx: Tx, table: str, docs: Mapping[UUID, Any]) -> None:
        column, extract = SIDE_TABLES[table]
        tx.executemany(
            f"INSERT INTO {table} (id, {column}, doc) VALUES (:id, :value, :doc) "
            f"ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}, doc = excluded.doc",
            [
                {"id": str(k), "value": extract(d), "doc": msgspec.json.encode(d).decode()}
                for k, d in docs.items()
            ],
        )

    def scores(self, since: datetime, until: datetime) -> list[tuple[str, str]]:
        """(agent, final total) of inspections scored in [since, until)."""
        rows = self.query(
            "SELECT agent_id, final_total FROM inspection_views WHERE scored_at >= :since "
            "AND scored_at < :until AND final_total IS NOT NULL",
            {"since": db_time(since), "until": db_time(until)},
        )
        return [(str(r["agent_id"]), str(r["final_total"])) for r in rows]


SCORECARD_EVENTS = (Scorecard.Created, Scorecard.Revised, Scorecard.Retired, Scorecard.Restored)
INSPECTION_EVENTS = (
    Inspection.Assigned, Inspection.Scored, Inspection.Appealed, Inspection.Decided,
)  # fmt: skip


class QualityProjection(FoldProjection[QualityView]):
    """Keeps inspections, scorecards and draws, a batch per transaction."""

    name = "quality_views"
    event_classes = (*SCORECARD_EVENTS, Sampling.Drawn, *INSPECTION_EVENTS)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        view = self.view
        with view.write() as tx:
            cards = view.side_docs(
                tx, "scorecard_views", ScorecardDocument, _ids(events, SCORECARD_EVENTS)
            )
            inspections = view.get_many(tx, _ids(events, INSPECTION_EVENTS))
            draws: dict[UUID, SamplingDocument] = {}
            for p in events:
                key, event = p.event.originator_id, p.event
                if isinstance(event, SCORECARD_EVENTS):
                    cards[key] = fold_scorecard(cards.get(key), event, p.position)
                elif isinstance(event, Sampling.Drawn):
                    draws[key] = fold_sampling(None, event, p.position)
                else:
                    inspections[key] = fold_inspection(inspections.get(key), event, p.position)
            view.save_side(tx, "scorecard_views", cards)
            view.save_side(tx, "sampling_views", draws)
            view.save(tx, inspections, tracking)


def _ids(events: Sequence[Positioned], classes: tuple[type[Any], ...]) -> list[UUID]:
    return list(
        dict.fromkeys(p.event.originator_id for p in events if isinstance(p.event, classes))
    )


class ReadSideSamples:
    """The cases a weekly draw chooses from: calls with a recording that ended in the window,
    and tickets closed in it, each with the agent who handled it."""

    def __init__(self, calls: CallView, tickets: TicketView) -> None:
        self.calls = calls
        self.tickets = tickets

    def recorded_calls(self, since: datetime, until: datetime) -> list[tuple[str, UUID]]:
        rows = self.calls.query(
            "SELECT doc FROM call_views WHERE ended_at >= :since AND ended_at < :until "
            "AND agent_id IS NOT NULL ORDER BY id",
            {"since": db_time(since), "until": db_time(until)},
        )
        calls = [msgspec.json.decode(r["doc"], type=CallDocument) for r in rows]
        return [(str(c.agent_id), c.id) for c in calls if c.recordings]

    def closed_tickets(self, since: datetime, until: datetime) -> list[tuple[str, UUID]]:
        rows = self.tickets.query(
            "SELECT id, assignee_id FROM ticket_views WHERE closed_at >= :since "
            "AND closed_at < :until AND assignee_id IS NOT NULL ORDER BY id",
            {"since": db_time(since), "until": db_time(until)},
        )
        return [(str(r["assignee_id"]), UUID(r["id"])) for r in rows]
