"""The agent document (坐席状态): presence, counters and time in each state, folded from events."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.agent import EVENT_ACTIONS, Agent
from kefu.domain.agent_presence import AgentAction, AgentStatus, next_status
from kefu.domain.routing import AgentSnapshot


class AgentDocument(msgspec.Struct, frozen=True, kw_only=True):
    """An agent as supervisors, agent reports and the router see it."""

    id: UUID
    name: str
    extension: str
    skill_groups: tuple[str, ...]
    order: int
    status: str
    since: datetime
    call_id: UUID | None = None
    answered_calls: int = 0
    missed_offers: int = 0
    talk_seconds: float = 0.0
    last_offered_at: datetime | None = None
    last_answered_at: datetime | None = None
    available_since: datetime | None = None
    seconds_in: dict[str, float] = msgspec.field(default_factory=dict)
    tiers: dict[str, int] = msgspec.field(default_factory=dict)
    registered_at: datetime
    updated_at: datetime
    version: int
    position: int = 0

    def snapshot(self) -> AgentSnapshot:
        """What routing needs to know of this agent."""
        return AgentSnapshot(
            agent_id=self.id,
            order=self.order,
            available=self.status == AgentStatus.AVAILABLE,
            skill_groups=frozenset(self.skill_groups),
            answered_calls=self.answered_calls,
            talk_seconds=self.talk_seconds,
            last_answered_at=self.last_answered_at,
            last_offered_at=self.last_offered_at,
            available_since=self.available_since,
            tiers=self.tiers,
        )


def fold(view: AgentDocument | None, event: Any, position: int) -> AgentDocument:
    """The view after `event` (an event of the agent at `position` in the log)."""
    if view is None:
        return _registered(event, position)
    changed = _presence(_apply(event, view), event)
    return replace(
        changed, updated_at=event.timestamp, version=event.originator_version, position=position
    )


def _presence(view: AgentDocument, event: Any) -> AgentDocument:
    # The aggregate's presence table decides; replaying it here keeps one source of truth.
    action = EVENT_ACTIONS.get(type(event))
    if action is None or action is AgentAction.SKILLS:
        return view
    status = next_status(AgentStatus(view.status), action)
    spent = dict(view.seconds_in)
    spent[view.status] = (
        spent.get(view.status, 0.0) + (event.timestamp - view.since).total_seconds()
    )
    idle_since = event.timestamp if status is AgentStatus.AVAILABLE else None
    return replace(
        view,
        status=str(status),
        since=event.timestamp,
        seconds_in=spent,
        available_since=idle_since,
    )


def _registered(event: Agent.Registered, position: int) -> AgentDocument:
    return AgentDocument(
        id=event.originator_id,
        name=event.name,
        extension=event.extension,
        skill_groups=event.skill_groups,
        order=event.order,
        status=str(AgentStatus.LOGGED_OUT),
        since=event.timestamp,
        registered_at=event.timestamp,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


@singledispatch
def _apply(event: Any, view: AgentDocument) -> AgentDocument:
    return view


@_apply.register
def _(event: Agent.SkillsChanged, view: AgentDocument) -> AgentDocument:
    return replace(view, skill_groups=event.skill_groups, order=event.order)


@_apply.register
def _(event: Agent.TiersChanged, view: AgentDocument) -> AgentDocument:
    return replace(view, tiers=dict(event.tiers))


@_apply.register
def _(event: Agent.CallOffered, view: AgentDocument) -> AgentDocument:
    return replace(view, call_id=event.call_id, last_offered_at=event.timestamp)


@_apply.register
def _(event: Agent.CallAnswered, view: AgentDocument) -> AgentDocument:
    return replace(view, answered_calls=view.answered_calls + 1, last_answered_at=event.timestamp)


@_apply.register
def _(event: Agent.OfferWithdrawn, view: AgentDocument) -> AgentDocument:
    return replace(view, call_id=None)


@_apply.register
def _(event: Agent.OfferMissed, view: AgentDocument) -> AgentDocument:
    return replace(view, call_id=None, missed_offers=view.missed_offers + 1)


@_apply.register
def _(event: Agent.OfferMissedStillAvailable, view: AgentDocument) -> AgentDocument:
    return replace(view, call_id=None, missed_offers=view.missed_offers + 1)


@_apply.register
def _(event: Agent.CallDialled, view: AgentDocument) -> AgentDocument:
    return replace(view, call_id=event.call_id)


@_apply.register
def _(event: Agent.CallReleased, view: AgentDocument) -> AgentDocument:
    return replace(view, call_id=None, talk_seconds=view.talk_seconds + event.talk_seconds)
