"""The agent (坐席) as an event-sourced aggregate: presence, skills and the calls it takes.

The agent is the guard against double-booking: it refuses an offer unless it is available, so
two calls can never ring, or be answered by, the same agent at once, whatever a router read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.agent_presence import (
    TRANSITIONS,
    AgentAction,
    AgentStatus,
    allowed_actions,
    next_status,
)
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata

A = AgentAction


class Agent(Aggregate):
    """A person who takes calls: registered once, then logs in and out for ever.

    Public methods are the domain verbs; each checks the presence table, then records one event.
    `seconds_in` is the time spent in each state so far (presence timing for agent reports).
    """

    # Every attribute is declared: agents are snapshotted, and snapshots decode by these types.
    name: str
    extension: str
    skill_groups: tuple[str, ...]
    order: int
    status: AgentStatus
    since: datetime
    seconds_in: dict[str, float]
    call_id: UUID | None
    answered_calls: int
    missed_offers: int
    talk_seconds: float
    # Offers missed since the agent last answered or made itself available. A class default:
    # agents restored from snapshots taken before it existed start at 0.
    missed_in_a_row: int = 0

    class Registered(Aggregate.Created):
        """The agent was registered: name, extension, skill groups and round-robin order."""

        name: str
        extension: str
        skill_groups: tuple[str, ...]
        order: int
        meta: EventMetadata

    class SkillsChanged(Aggregate.Event):
        skill_groups: tuple[str, ...]
        order: int
        meta: EventMetadata

    class TiersChanged(Aggregate.Event):
        """The agent's tier (level) in some of its queues: tier 1 rings first, then 2, ..."""

        tiers: dict[str, int]
        meta: EventMetadata

    class LoggedIn(Aggregate.Event):
        meta: EventMetadata

    class BecameAvailable(Aggregate.Event):
        meta: EventMetadata

    class WentOnBreak(Aggregate.Event):
        reason: str
        meta: EventMetadata

    class LoggedOut(Aggregate.Event):
        meta: EventMetadata

    class CallOffered(Aggregate.Event):
        call_id: UUID
        meta: EventMetadata

    class CallAnswered(Aggregate.Event):
        call_id: UUID
        meta: EventMetadata

    class OfferWithdrawn(Aggregate.Event):
        call_id: UUID
        meta: EventMetadata

    class OfferMissed(Aggregate.Event):
        call_id: UUID
        meta: EventMetadata

    class OfferMissedStillAvailable(Aggregate.Event):
        """A missed offer under the limit of missed offers in a row: the agent stays available."""

        call_id: UUID
        meta: EventMetadata

    class CallDialled(Aggregate.Event):
        call_id: UUID
        meta: EventMetadata

    class CallReleased(Aggregate.Event):
        call_id: UUID
        talk_seconds: float
        meta: EventMetadata

    @event(Registered)
    def __init__(
        self,
        name: str,
        extension: str,
        skill_groups: tuple[str, ...],
        order: int,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.name = name
        self.extension = extension
        self.skill_groups = skill_groups
        self.order = order
        self.status = AgentStatus.LOGGED_OUT
        self.since = timestamp
        self.seconds_in = {}
        self.call_id = None
        self.answered_calls = 0
        self.missed_offers = 0
        self.talk_seconds = 0.0

    @classmethod
    def register(
        cls,
        *,
        name: str,
        extension: str,
        skill_groups: tuple[str, ...],
        order: int,
        meta: EventMetadata,
        at: datetime,
    ) -> Agent:
        """Register an agent; it starts logged out."""
        return cls(
            name=name,
            extension=extension,
            skill_groups=_groups(skill_groups),
            order=order,
            meta=meta,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    def change_skills(
        self, *, skill_groups: tuple[str, ...], order: int, meta: EventMetadata, at: datetime
    ) -> None:
        """Set the skill groups (queues) the agent serves and its round-robin order."""
        self._check_allowed(A.SKILLS)
        self._skills_changed(
            skill_groups=_groups(skill_groups), order=order, meta=meta, timestamp=at
        )

    @property
    def tiers(self) -> dict[str, int]:
        """The agent's tier per queue; a queue not named is tier 1."""
        return dict(getattr(self, "_tiers", {}))  # agents from before tiers have none

    def set_tiers(self, *, tiers: dict[str, int], meta: EventMetadata, at: datetime) -> None:
        """Set the agent's tier in queues (FreeSWITCH's tier level): lower tiers ring first."""
        self._check_allowed(A.SKILLS)
        if any(tier < 1 for tier in tiers.values()):
            raise RuleViolated("a tier is 1 or more", self.allowed_now)
        self._tiers_changed(tiers=dict(sorted(tiers.items())), meta=meta, timestamp=at)

    def log_in(self, *, meta: EventMetadata, at: datetime) -> None:
        """签入: log in, not yet taking calls."""
        self._check_allowed(A.LOGIN)
        self._logged_in(meta=meta, timestamp=at)

    def become_available(self, *, meta: EventMetadata, at: datetime) -> None:
        """示闲: ready for the next call (also ends wrap-up or a break)."""
        self._check_allowed(A.AVAILABLE)
        self._became_available(meta=meta, timestamp=at)

    def end_wrap_up(self, *, wrap_up: timedelta, meta: EventMetadata, at: datetime) -> None:
        """The wrap-up time is up: the agent becomes available by itself."""
        if self.status is not AgentStatus.WRAP_UP:
            raise RuleViolated(
                f"agent {self.id} is {self.status}, not in wrap-up", self.allowed_now
            )
        if at < self.since + wrap_up:
            raise RuleViolated(
                f"agent {self.id}'s wrap-up runs until {self.since + wrap_up}", self.allowed_now
            )
        self._became_available(meta=meta, timestamp=at)

    def go_on_break(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """小休: stop taking calls for a while."""
        self._check_allowed(A.BREAK)
        self._went_on_break(reason=reason, meta=meta, timestamp=at)

    def log_out(self, *, meta: EventMetadata, at: datetime) -> None:
        """签出: log out; never while a call rings or is in progress."""
        self._check_allowed(A.LOGOUT)
        self._logged_out(meta=meta, timestamp=at)

    def offer(self, *, call_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """A call rings this agent: refused unless the agent is available."""
        if A.OFFER not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"agent {self.id} is {self.status}, not available: cannot offer it a call",
                self.allowed_now,
            )
        self._call_offered(call_id=call_id, meta=meta, timestamp=at)

    def answer(self, *, call_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """The agent picks up the call that rings it."""
        self._check_allowed(A.ANSWER)
        self._check_call(call_id)
        self._call_answered(call_id=call_id, meta=meta, timestamp=at)

    def withdraw_offer(self, *, call_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """The call stops ringing this agent (taken elsewhere, or the caller hung up)."""
        self._check_allowed(A.WITHDRAW)
        self._check_call(call_id)
        self._offer_withdrawn(call_id=call_id, meta=meta, timestamp=at)

    def miss_offer(
        self, *, call_id: UUID, limit: int = 1, meta: EventMetadata, at: datetime
    ) -> None:
        """The call rang out unanswered: a missed offer. The `limit`-th miss in a row (without
        an answer or the agent making itself available between) sets the agent not-ready."""
        self._check_allowed(A.MISS)
        self._check_call(call_id)
        if self.missed_in_a_row + 1 >= limit:
            self._offer_missed(call_id=call_id, meta=meta, timestamp=at)
        else:
            self._offer_missed_still_available(call_id=call_id, meta=meta, timestamp=at)

    def dial(self, *, call_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """The agent places an outbound call (return visit, callback)."""
        self._check_allowed(A.DIAL)
        self._call_dialled(call_id=call_id, meta=meta, timestamp=at)

    def release(self, *, call_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """The agent's call ended or was transferred away: after-call work begins."""
        self._check_allowed(A.RELEASE)
        self._check_call(call_id)
        talk = (at - self.since).total_seconds()
        self._call_released(call_id=call_id, talk_seconds=talk, meta=meta, timestamp=at)

    def _check_allowed(self, action: AgentAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} an agent who is {self.status}", self.allowed_now
            )

    def _check_call(self, call_id: UUID) -> None:
        if call_id != self.call_id:
            raise RuleViolated(
                f"agent {self.id} is on call {self.call_id}, not {call_id}", self.allowed_now
            )

    def _advance(self, action: AgentAction, at: datetime) -> None:
        elapsed = (at - self.since).total_seconds()
        self.seconds_in[self.status] = self.seconds_in.get(self.status, 0.0) + elapsed
        self.status = next_status(self.status, action)
        self.since = at

    @event(SkillsChanged)
    def _skills_changed(
        self, skill_groups: tuple[str, ...], order: int, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.skill_groups, self.order = skill_groups, order

    @event(TiersChanged)
    def _tiers_changed(
        self, tiers: dict[str, int], meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._tiers = tiers
        self._advance(A.SKILLS, timestamp)

    @event(LoggedIn)
    def _logged_in(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.LOGIN, timestamp)

    @event(BecameAvailable)
    def _became_available(self, meta: EventMetadata, timestamp: datetime) -> None:
        self.missed_in_a_row = 0
        self._advance(A.AVAILABLE, timestamp)

    @event(WentOnBreak)
    def _went_on_break(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.BREAK, timestamp)

    @event(LoggedOut)
    def _logged_out(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.LOGOUT, timestamp)

    @event(CallOffered)
    def _call_offered(self, call_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.call_id = call_id
        self._advance(A.OFFER, timestamp)

    @event(CallAnswered)
    def _call_answered(self, call_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.answered_calls += 1
        self.missed_in_a_row = 0
        self._advance(A.ANSWER, timestamp)

    @event(OfferWithdrawn)
    def _offer_withdrawn(self, call_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.call_id = None
        self._advance(A.WITHDRAW, timestamp)

    @event(OfferMissed)
    def _offer_missed(self, call_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.call_id = None
        self.missed_offers += 1
        self.missed_in_a_row += 1
        self._advance(A.MISS, timestamp)

    @event(OfferMissedStillAvailable)
    def _offer_missed_still_available(
        self, call_id: UUID, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.call_id = None
        self.missed_offers += 1
        self.missed_in_a_row += 1
        self._advance(A.MISS_TOLERATED, timestamp)

    @event(CallDialled)
    def _call_dialled(self, call_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.call_id = call_id
        self._advance(A.DIAL, timestamp)

    @event(CallReleased)
    def _call_released(
        self, call_id: UUID, talk_seconds: float, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.call_id = None
        self.talk_seconds += talk_seconds
        self._advance(A.RELEASE, timestamp)


def _groups(skill_groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(skill_groups)))


# Which presence action each event records: the agent view replays the table with it.
EVENT_ACTIONS: dict[type[object], AgentAction] = {
    Agent.SkillsChanged: A.SKILLS,
    Agent.TiersChanged: A.SKILLS,
    Agent.LoggedIn: A.LOGIN,
    Agent.BecameAvailable: A.AVAILABLE,
    Agent.WentOnBreak: A.BREAK,
    Agent.LoggedOut: A.LOGOUT,
    Agent.CallOffered: A.OFFER,
    Agent.CallAnswered: A.ANSWER,
    Agent.OfferWithdrawn: A.WITHDRAW,
    Agent.OfferMissed: A.MISS,
    Agent.OfferMissedStillAvailable: A.MISS_TOLERATED,
    Agent.CallDialled: A.DIAL,
    Agent.CallReleased: A.RELEASE,
}
