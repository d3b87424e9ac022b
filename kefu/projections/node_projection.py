"""The collaborative-node view (协同工单节点): one row per ticket node, for the node list and its
light filter, the department report, and the collaboration watch's due timers.

A node's `due_at` (the due-timer column of `DueTimerView`) is its deadline while it is open and
not escalated yet, and None afterwards; `deadline` keeps the deadline for lists and reports.
A ticket with open nodes can be neither resolved nor withdrawn, so node events alone stop the
timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

import msgspec
from eventsourcing.persistence import Tracking
from msgspec.structs import replace

from kefu.domain.collaboration import NodeStatus, light
from kefu.domain.metadata import imported
from kefu.domain.ticket import Ticket
from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.documents import Column
from kefu.projections.due_timers import DueTimerView
from kefu.projections.listing import BadFilter
from kefu.projections.sql import db_time

# The light rule of `kefu.domain.collaboration.light` in SQL (a test checks that they agree).
LIGHTS = {
    "red": "(finished_at > deadline OR (finished_at IS NULL AND deadline <= :now))",
    "yellow": "(finished_at IS NULL AND warn_at <= :now AND :now < deadline)",
    "green": "(finished_at <= deadline OR (finished_at IS NULL AND :now < warn_at))",
}
# What the node report counts per department (NodeView.report).
NODE_COUNTS = ("nodes", "on_time", "late", "overridden", "open", "overdue", "escalated")


class NodeRow(msgspec.Struct, frozen=True, kw_only=True):
    """One department's node of a collaborative ticket."""

    ticket_id: UUID
    department: str
    owner_id: str | None
    deliverable: str
    opened_at: datetime
    warn_at: datetime
    deadline: datetime
    status: str = str(NodeStatus.OPEN)
    finished_at: datetime | None = None
    escalated: bool = False
    due_at: datetime | None = None  # the escalation timer: the deadline while it can fire
    version: int
    position: int

    def light(self, now: datetime) -> str:
        return str(light(self.warn_at, self.deadline, self.finished_at, now))


def node_id(ticket_id: UUID, department: str) -> UUID:
    """A node's row id: one node per department per ticket."""
    return uuid5(ticket_id, department)


class NodeView(DueTimerView[NodeRow]):
    """One row per node; `due_at` indexed for the watch, the rest for lists and reports."""

    table = "ticket_nodes"
    document = NodeRow
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        **DueTimerView.columns,
        "ticket_id": ("TEXT NOT NULL", lambda d: str(d.ticket_id)),
        "department": ("TEXT NOT NULL", lambda d: d.department),
        "owner_id": ("TEXT", lambda d: d.owner_id),
        "status": ("TEXT NOT NULL", lambda d: d.status),
        "opened_at": ("TEXT NOT NULL", lambda d: db_time(d.opened_at)),
        "warn_at": ("TEXT NOT NULL", lambda d: db_time(d.warn_at)),
        "deadline": ("TEXT NOT NULL", lambda d: db_time(d.deadline)),
        "finished_at": ("TEXT", lambda d: db_time(d.finished_at)),
        "escalated": ("INTEGER NOT NULL", lambda d: int(d.escalated)),
    }
    indexes = (
        *DueTimerView.indexes,
        "deadline, id",
        "department, deadline, id",
        "owner_id, deadline, id",
        "ticket_id",
    )

    def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        """The tickets with a node whose escalation is due at `now`, earliest first."""
        rows = self.query(
            f"SELECT ticket_id, MIN(due_at) AS first FROM {self.table} "
            "WHERE due_at IS NOT NULL AND due_at <= :now GROUP BY ticket_id "
            "ORDER BY first LIMIT :limit",
            {"now": db_time(now), "limit": limit},
        )
        return [UUID(row["ticket_id"]) for row in rows]

    @staticmethod
    def light_condition(text: str, now: datetime) -> tuple[str, dict[str, object]]:
        """A WHERE condition for the nodes whose light is `text` at `now`."""
        if text not in LIGHTS:
            raise BadFilter("light", text, list(LIGHTS))
        return LIGHTS[text], {"now": db_time(now)}

    def lights(self, department: str, now: datetime) -> dict[str, int]:
        """A department's open nodes counted by their light now (the department board)."""
        sums = ", ".join(f"SUM(CASE WHEN {c} THEN 1 ELSE 0 END) AS {k}" for k, c in LIGHTS.items())
        row = self.query(
            f"SELECT {sums} FROM {self.table} WHERE department = :department AND status = 'open'",
            {"department": department, "now": db_time(now)},
        )[0]
        return {light: int(row[light] or 0) for light in LIGHTS}

    def report(self, start: datetime, end: datetime, now: datetime) -> list[dict[str, Any]]:
        """Per department, the nodes due in [start, end): done on time, done late, overridden,
        still open (and of those overdue now), and escalated."""
        rows = self.query(
            "SELECT department, COUNT(*) AS nodes, "
            "SUM(CASE WHEN status = 'done' AND finished_at <= deadline THEN 1 ELSE 0 END) "
            "AS on_time, "
            "SUM(CASE WHEN status = 'done' AND finished_at > deadline THEN 1 ELSE 0 END) AS late, "
            "SUM(CASE WHEN status = 'overridden' THEN 1 ELSE 0 END) AS overridden, "
            "SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open, "
            "SUM(CASE WHEN status = 'open' AND deadline <= :now THEN 1 ELSE 0 END) AS overdue, "
            "SUM(escalated) AS escalated "
            f"FROM {self.table} WHERE deadline >= :start AND deadline < :end "
            "GROUP BY department ORDER BY department",
            {"start": db_time(start), "end": db_time(end), "now": db_time(now)},
        )
        return [
            {"department": row["department"], **{k: int(row[k] or 0) for k in NODE_COUNTS}}
            for row in rows
        ]


class NodeProjection(BatchProjection[NodeView]):
    """Keeps one row per node from the tickets' node events."""

    name = "ticket_nodes"
    event_classes = (
        Ticket.NodeOpened, Ticket.NodeCompleted, Ticket.NodeEscalated, Ticket.NodesOverridden
    )  # fmt: skip

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            keys = [node_id(p.event.originator_id, d) for p in events for d in _departments(p)]
            rows = self.view.get_many(tx, list(dict.fromkeys(keys)))
            for p in events:
                for department in _departments(p):
                    key = node_id(p.event.originator_id, department)
                    rows[key] = fold_node(rows.get(key), p.event, p.position)
            self.view.save(tx, rows, tracking)


def _departments(p: Positioned) -> tuple[str, ...]:
    event = p.event
    return event.departments if isinstance(event, Ticket.NodesOverridden) else (event.department,)


def fold_node(row: NodeRow | None, event: Any, position: int) -> NodeRow:
    """The node's row after one of its ticket's node events."""
    if isinstance(event, Ticket.NodeOpened) or row is None:
        return NodeRow(
            ticket_id=event.originator_id,
            department=event.department,
            owner_id=event.owner_id,
            deliverable=event.deliverable,
            opened_at=event.timestamp,
            warn_at=event.warn_at,
            deadline=event.due_at,
            due_at=None if imported(event) else event.due_at,  # an imported node is not watched
            version=event.originator_version,
            position=position,
        )
    seen = {"version": event.originator_version, "position": position}
    if isinstance(event, Ticket.NodeEscalated):
        return replace(row, escalated=True, due_at=None, **seen)
    status = NodeStatus.DONE if isinstance(event, Ticket.NodeCompleted) else NodeStatus.OVERRIDDEN
    return replace(row, status=str(status), finished_at=event.timestamp, due_at=None, **seen)
