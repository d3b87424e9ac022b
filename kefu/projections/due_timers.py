"""A due-timer table: one row per record with the due time of its next mark, `due_at` indexed,
read by an index range of the rows due now (never a scan of every open record)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from kefu.projections.documents import Column, DocumentView, TDoc
from kefu.projections.sql import db_time, from_db_time


class DueTimerView(DocumentView[TDoc]):
    """The SLA, complaint and visit timer views: documents carrying `due_at` (None: none runs)."""

    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "due_at": ("TEXT", lambda d: db_time(d.due_at)),
    }
    indexes: ClassVar[tuple[str, ...]] = ("due_at",)

    def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        """Records whose next mark is due at `now`, earliest first."""
        rows = self.query(
            f"SELECT id FROM {self.table} WHERE due_at IS NOT NULL AND due_at <= :now "
            "ORDER BY due_at LIMIT :limit",
            {"now": db_time(now), "limit": limit},
        )
        return [UUID(row["id"]) for row in rows]

    def earliest(self) -> datetime | None:
        """When the next timer falls due (None: none is running)."""
        rows = self.query(f"SELECT MIN(due_at) AS due FROM {self.table}")
        return from_db_time(rows[0]["due"]) if rows else None

    def pending(self) -> int:
        """How many records have a timer running."""
        rows = self.query(f"SELECT COUNT(*) AS n FROM {self.table} WHERE due_at IS NOT NULL")
        return int(rows[0]["n"])
