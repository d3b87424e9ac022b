"""The ticket view's tables, its projection, and its queries."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import msgspec
from eventsourcing.persistence import Tracking

from kefu.domain.ticket import Ticket
from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.sql import SqlView, Tx, db_time
from kefu.projections.ticket_view import TicketView, fold

_COLUMNS = (
    "id", "status", "priority", "channel", "category", "customer_id", "department",
    "assignee_id", "opened_at", "updated_at", "response_due_at", "resolution_due_at",
    "first_response_at", "resolved_at", "closed_at", "version", "position", "doc",
)  # fmt: skip

_UPSERT = (
    f"INSERT INTO ticket_views ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "id")
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(TicketView)


class TicketViewStore(SqlView):
    """Tables of the ticket view and the queries on them."""

    ddl = (
        "CREATE TABLE IF NOT EXISTS ticket_views ("
        "id TEXT PRIMARY KEY, status TEXT NOT NULL, priority TEXT NOT NULL, "
        "channel TEXT NOT NULL, category TEXT NOT NULL, customer_id TEXT, department TEXT, "
        "assignee_id TEXT, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "response_due_at TEXT NOT NULL, resolution_due_at TEXT NOT NULL, "
        "first_response_at TEXT, resolved_at TEXT, closed_at TEXT, "
        "version INTEGER NOT NULL, position BIGINT NOT NULL, doc TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS ticket_views_status ON ticket_views (status, opened_at)",
        "CREATE INDEX IF NOT EXISTS ticket_views_assignee ON ticket_views (assignee_id)",
        "CREATE INDEX IF NOT EXISTS ticket_views_customer ON ticket_views (customer_id)",
    )

    def get(self, ticket_id: UUID) -> TicketView | None:
        rows = self.query("SELECT doc FROM ticket_views WHERE id = :id", {"id": str(ticket_id)})
        return _decoder.decode(rows[0]["doc"]) if rows else None

    def get_many(self, tx: Tx, ids: Sequence[UUID]) -> dict[UUID, TicketView]:
        found: dict[UUID, TicketView] = {}
        for start in range(0, len(ids), 500):
            chunk = {f"i{n}": str(i) for n, i in enumerate(ids[start : start + 500])}
            marks = ", ".join(":" + k for k in chunk)
            tx.execute(f"SELECT doc FROM ticket_views WHERE id IN ({marks})", chunk)
            for row in tx.fetchall():
                view = _decoder.decode(row["doc"])
                found[view.id] = view
        return found

    def save(self, tx: Tx, views: Sequence[TicketView], tracking: Tracking) -> None:
        tx.executemany(_UPSERT, [_row(v) for v in views])
        tx.track(tracking)


def _row(view: TicketView) -> dict[str, object]:
    return {
        "id": str(view.id),
        "status": view.status,
        "priority": view.priority,
        "channel": view.channel,
        "category": view.category,
        "customer_id": view.customer_id,
        "department": view.department,
        "assignee_id": view.assignee_id,
        "opened_at": db_time(view.opened_at),
        "updated_at": db_time(view.updated_at),
        "response_due_at": db_time(view.response_due_at),
        "resolution_due_at": db_time(view.resolution_due_at),
        "first_response_at": db_time(view.first_response_at),
        "resolved_at": db_time(view.resolved_at),
        "closed_at": db_time(view.closed_at),
        "version": view.version,
        "position": view.position,
        "doc": _encoder.encode(view).decode(),
    }


class TicketViewProjection(BatchProjection[TicketViewStore]):
    """Keeps one row per ticket up to date."""

    name = "ticket_views"
    event_classes = (
        Ticket.Opened, Ticket.Reviewed, Ticket.Dispatched, Ticket.Redispatched, Ticket.Urged,
        Ticket.FollowedUp, Ticket.Started, Ticket.Resolved, Ticket.FeedbackGiven, Ticket.Rated,
        Ticket.Closed, Ticket.Reopened, Ticket.Archived,
    )  # fmt: skip

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            ids = list(dict.fromkeys(p.event.originator_id for p in events))
            views = self.view.get_many(tx, ids)
            for p in events:
                views[p.event.originator_id] = fold(
                    views.get(p.event.originator_id), p.event, p.position
                )
            self.view.save(tx, list(views.values()), tracking)
