"""The agent view (its table; also the availability routing reads) and its projection."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

import msgspec

from kefu.domain.agent import Agent
from kefu.domain.routing import AgentSnapshot
from kefu.projections.agent_document import AgentDocument
from kefu.projections.agent_document import fold as fold_agent
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.sql import db_time


def groups_column(groups: tuple[str, ...]) -> str:
    """`|a|b|`: one text column that a LIKE on `%|a|%` matches exactly, on both backends."""
    return "|" + "|".join(groups) + "|"


def group_pattern(group: str) -> str:
    escaped = group.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%|{escaped}|%"


_DECODER = msgspec.json.Decoder(AgentDocument)
IN_GROUP = "groups LIKE :group_pattern ESCAPE '\\'"


class AgentView(DocumentView[AgentDocument]):
    """One row per agent, with the columns agent lists filter on and routing reads."""

    table = "agent_views"
    document = AgentDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "name": ("TEXT NOT NULL", lambda v: v.name),
        "extension": ("TEXT NOT NULL", lambda v: v.extension),
        "order_no": ("INTEGER NOT NULL", lambda v: v.order),
        "groups": ("TEXT NOT NULL", lambda v: groups_column(v.skill_groups)),
        "registered_at": ("TEXT NOT NULL", lambda v: db_time(v.registered_at)),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
    }
    indexes = ("status", "order_no, id")

    def snapshot(self, group: str, also: UUID | None) -> list[AgentSnapshot]:
        """Every agent of `group` (and agent `also`, the customer's own) as routing sees it."""
        rows = self.query(
            f"SELECT doc FROM {self.table} WHERE {IN_GROUP} OR id = :also",
            {"group_pattern": group_pattern(group), "also": str(also) if also else ""},
        )
        return [_DECODER.decode(row["doc"]).snapshot() for row in rows]

    def wrapping_up(self, since_before: datetime) -> list[UUID]:
        """The agents in wrap-up since before `since_before` (the wrap-up timer's question)."""
        rows = self.query(f"SELECT doc FROM {self.table} WHERE status = 'wrap_up'")
        views = [_DECODER.decode(row["doc"]) for row in rows]
        return [v.id for v in views if v.since <= since_before]


class AgentProjection(FoldProjection[AgentView]):
    """Keeps one row per agent up to date."""

    name = "agent_views"
    event_classes = (
        Agent.Registered, Agent.SkillsChanged, Agent.TiersChanged, Agent.LoggedIn,
        Agent.BecameAvailable,
        Agent.WentOnBreak, Agent.LoggedOut, Agent.CallOffered, Agent.CallAnswered,
        Agent.OfferWithdrawn, Agent.OfferMissed, Agent.OfferMissedStillAvailable,
        Agent.CallDialled, Agent.CallReleased,
    )  # fmt: skip

    fold = staticmethod(fold_agent)
