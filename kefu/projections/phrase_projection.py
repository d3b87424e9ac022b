"""The phrase view (常用语, 话术, 禁忌用语) and the flags raised on agent texts.

Agent texts recorded today (ticket notes, resolutions and feedback; complaint apologies, facts
and proposals) are checked against the forbidden list as it stood at their place in the log:
the list is itself made of events in the same log, so a replay flags exactly the same texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import singledispatch
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import Tracking
from msgspec.structs import replace

from kefu.domain.complaint import Complaint
from kefu.domain.lifecycle import status_after
from kefu.domain.phrase import EVENT_ACTIONS, Phrase, PhraseKind
from kefu.domain.phrase_lifecycle import TRANSITIONS, PhraseStatus
from kefu.domain.ticket import Ticket
from kefu.projections.batch import Positioned
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.sql import Tx, db_time
from kefu.search.phrases import Listed, find_phrases

# The events that record what an agent said or wrote, and the field holding it.
AGENT_TEXTS: dict[type[Any], tuple[str, str]] = {
    Ticket.Reviewed: ("ticket", "note"),
    Ticket.FollowedUp: ("ticket", "note"),
    Ticket.Resolved: ("ticket", "resolution"),
    Ticket.FeedbackGiven: ("ticket", "message"),
    Complaint.Acknowledged: ("complaint", "message"),
    Complaint.FactsRecorded: ("complaint", "facts"),
    Complaint.ResolutionProposed: ("complaint", "note"),
}
PHRASE_EVENTS = (Phrase.Created, Phrase.Edited, Phrase.Retired, Phrase.Restored)


class PhraseDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A phrase as agents and supervisors see it."""

    id: UUID
    kind: str
    scenario: str
    title: str
    text: str
    suggestion: str
    status: str
    created_at: datetime
    updated_at: datetime
    version: int
    position: int = 0


class Flag(msgspec.Struct, frozen=True, kw_only=True):
    """A forbidden phrase found in an agent's text."""

    position: int
    case_kind: str
    case_id: UUID
    event: str
    field: str
    actor_id: str
    phrase_id: UUID
    phrase: str
    at: datetime


def fold(view: PhraseDocument | None, event: Any, position: int) -> PhraseDocument:
    """The view after `event` (an event of the phrase at `position` in the log)."""
    if view is None:
        return PhraseDocument(
            id=event.originator_id, kind=str(event.kind), scenario=str(event.scenario),
            title=event.title, text=event.text, suggestion=event.suggestion,
            status=str(PhraseStatus.ACTIVE), created_at=event.timestamp,
            updated_at=event.timestamp, version=event.originator_version, position=position,
        )  # fmt: skip
    status = status_after(TRANSITIONS, EVENT_ACTIONS, PhraseStatus(view.status), event)
    return replace(
        _apply(event, view),
        status=str(status),
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


@singledispatch
def _apply(event: Any, view: PhraseDocument) -> PhraseDocument:
    return view


@_apply.register
def _(event: Phrase.Edited, view: PhraseDocument) -> PhraseDocument:
    return replace(
        view,
        scenario=str(event.scenario),
        title=event.title,
        text=event.text,
        suggestion=event.suggestion,
    )


def flagging(view: PhraseDocument) -> bool:
    return view.kind == PhraseKind.FORBIDDEN and view.status == PhraseStatus.ACTIVE


class PhraseView(DocumentView[PhraseDocument]):
    """One row per phrase, and the flags raised on agent texts."""

    table = "phrase_views"
    document = PhraseDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "kind": ("TEXT NOT NULL", lambda v: v.kind),
        "scenario": ("TEXT NOT NULL", lambda v: v.scenario),
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "title": ("TEXT NOT NULL", lambda v: v.title),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
    }
    indexes = ("kind, scenario, status",)

    def create_statements(self) -> tuple[str, ...]:
        return (
            *super().create_statements(),
            "CREATE TABLE IF NOT EXISTS phrase_flags (position BIGINT NOT NULL, phrase_id TEXT "
            "NOT NULL, case_kind TEXT NOT NULL, case_id TEXT NOT NULL, event TEXT NOT NULL, "
            "field TEXT NOT NULL, actor_id TEXT NOT NULL, phrase TEXT NOT NULL, at TEXT NOT NULL, "
            "PRIMARY KEY (position, phrase_id))",
            "CREATE INDEX IF NOT EXISTS phrase_flags_case ON phrase_flags (case_id)",
            "CREATE INDEX IF NOT EXISTS phrase_flags_actor ON phrase_flags (actor_id, at)",
        )

    def forbidden(self, tx: Tx | None = None) -> dict[UUID, PhraseDocument]:
        """The forbidden phrases in force."""
        sql = "SELECT doc FROM phrase_views WHERE kind = 'forbidden' AND status = 'active'"
        if tx is None:
            rows = self.query(sql)
        else:
            tx.execute(sql)
            rows = tx.fetchall()
        views = [msgspec.json.decode(r["doc"], type=PhraseDocument) for r in rows]
        return {v.id: v for v in views}

    def add_flags(self, tx: Tx, flags: list[Flag]) -> None:
        tx.executemany(
            "INSERT INTO phrase_flags (position, phrase_id, case_kind, case_id, event, field, "
            "actor_id, phrase, at) VALUES (:position, :phrase_id, :case_kind, :case_id, :event, "
            ":field, :actor_id, :phrase, :at) ON CONFLICT DO NOTHING",
            [_flag_row(f) for f in flags],
        )

    def flags(
        self,
        case_id: UUID | None,
        actor_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[Flag]:
        """Flags in log order, narrowed by case, actor and time."""
        where = ["1 = 1"]
        params: dict[str, object] = {"limit": limit}
        for column, op, value in (
            ("case_id", "=", str(case_id) if case_id else None),
            ("actor_id", "=", actor_id),
            ("at", ">=", db_time(since)),
            ("at", "<", db_time(until)),
        ):
            if value is not None:
                params[f"p{len(params)}"] = value
                where.append(f"{column} {op} :p{len(params) - 1}")
        rows = self.query(
            "SELECT position, phrase_id, case_kind, case_id, event, field, actor_id, phrase, at "
            f"FROM phrase_flags WHERE {' AND '.join(where)} ORDER BY position, phrase_id "
            "LIMIT :limit",
            params,
        )
        return [msgspec.convert({**r, "at": r["at"].replace("Z", "+00:00")}, Flag) for r in rows]


def _flag_row(flag: Flag) -> dict[str, object]:
    row = msgspec.to_builtins(flag)
    row["at"] = db_time(flag.at)
    return dict(row)


class PhraseProjection(FoldProjection[PhraseView]):
    """Keeps the phrases, and flags agent texts against the forbidden list of their time."""

    name = "phrase_views"
    event_classes = (*PHRASE_EVENTS, *AGENT_TEXTS)

    fold = staticmethod(fold)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            forbidden = self.view.forbidden(tx)
            ids = list(
                {p.event.originator_id for p in events if isinstance(p.event, PHRASE_EVENTS)}
            )
            docs = self.view.get_many(tx, ids)
            flags: list[Flag] = []
            for p in events:
                if isinstance(p.event, PHRASE_EVENTS):
                    key = p.event.originator_id
                    docs[key] = self.fold(docs.get(key), p.event, p.position)
                    forbidden.pop(key, None)
                    if flagging(docs[key]):
                        forbidden[key] = docs[key]
                else:
                    flags.extend(_flags(p, forbidden))
            self.view.save(tx, docs, tracking)
            self.view.add_flags(tx, flags)


def _flags(p: Positioned, forbidden: dict[UUID, PhraseDocument]) -> list[Flag]:
    if not forbidden:
        return []
    case_kind, field = AGENT_TEXTS[type(p.event)]
    listed = [Listed(str(i), v.text) for i, v in forbidden.items()]
    return [
        Flag(
            position=p.position,
            case_kind=case_kind,
            case_id=p.event.originator_id,
            event=type(p.event).__name__,
            field=field,
            actor_id=p.event.meta.actor_id,
            phrase_id=UUID(found.phrase_id),
            phrase=found.phrase,
            at=p.event.timestamp,
        )
        for found in find_phrases(getattr(p.event, field), listed)
    ]
