"""Routing strategies (振铃策略): which agents a queued call rings, in which order.

Pure functions over a snapshot of agent availability: no I/O, no clock, and the random
strategy draws from the `random.Random` it is given, so a seeded one repeats. Ties are broken
by the agents' round-robin order, then by id. The snapshot may be slightly stale; the agent
aggregate still refuses an offer it cannot take, and the router then tries the next wave.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from kefu.domain.errors import RuleViolated


class Strategy(StrEnum):
    """How a queue chooses among its idle agents."""

    FAMILIAR = "familiar"  # 熟客识别: the customer's owner agent first, then the fallback
    RING_ALL = "ring_all"  # 全部振铃: ring every idle agent, the first to answer takes it
    ROUND_ROBIN = "round_robin"  # in agent order, after the last agent offered
    # 轮流振铃 as the seed defines it: "每次首先都由座席A振铃, 若座席A处于忙碌状态, 则由座席B振铃" —
    # always from the first agent in order, skipping busy ones (top-down hunting).
    TOP_DOWN = "top_down"
    FEWEST_ANSWERED = "fewest_answered"  # 最少接通
    MOST_RECENT = "most_recent"  # 最近接通: who answered most recently
    RANDOM = "random"  # 随机振铃
    LONGEST_IDLE = "longest_idle"
    LEAST_TALK = "least_talk"  # least talk time so far


@dataclass(frozen=True)
class AgentSnapshot:
    """What routing knows of one agent, as the availability read model last saw it."""

    agent_id: UUID
    order: int
    available: bool
    skill_groups: frozenset[str]
    answered_calls: int = 0
    talk_seconds: float = 0.0
    last_answered_at: datetime | None = None
    last_offered_at: datetime | None = None
    available_since: datetime | None = None
    tiers: Mapping[str, int] = field(default_factory=dict)  # queue → tier; not named: 1

    def tier(self, group: str) -> int:
        return self.tiers.get(group, 1)


@dataclass(frozen=True)
class QueueRule:
    """A queue's strategy; `fallback` is what familiar-customer routing does next."""

    strategy: Strategy = Strategy.LONGEST_IDLE
    fallback: Strategy = Strategy.LONGEST_IDLE


Wave = tuple[UUID, ...]


@dataclass(frozen=True)
class Plan:
    """Offers to try in order: each wave rings all of its agents that accept, at once."""

    strategy: Strategy
    waves: tuple[Wave, ...]


def _tie(a: AgentSnapshot) -> tuple[int, str]:
    return (a.order, str(a.agent_id))


def _latest_first(moment: datetime | None) -> tuple[bool, float]:
    return (moment is None, -moment.timestamp() if moment else 0.0)


def _earliest_first(moment: datetime | None) -> tuple[bool, float]:
    return (moment is None, moment.timestamp() if moment else 0.0)


Ranking = Callable[[list[AgentSnapshot], Sequence[AgentSnapshot], random.Random], list[UUID]]


def _by(key: Callable[[AgentSnapshot], tuple[object, ...]]) -> Ranking:
    def rank(
        idle: list[AgentSnapshot], _: Sequence[AgentSnapshot], __: random.Random
    ) -> list[UUID]:
        return [a.agent_id for a in sorted(idle, key=lambda a: (*key(a), *_tie(a)))]

    return rank


def _random(
    idle: list[AgentSnapshot], _: Sequence[AgentSnapshot], rng: random.Random
) -> list[UUID]:
    ids = [a.agent_id for a in idle]
    rng.shuffle(ids)
    return ids


def _round_robin(
    idle: list[AgentSnapshot], members: Sequence[AgentSnapshot], _: random.Random
) -> list[UUID]:
    offered = [m for m in members if m.last_offered_at is not None]
    if not offered:
        return [a.agent_id for a in idle]
    last = _tie(max(offered, key=lambda m: (m.last_offered_at, _tie(m))))
    after = [a for a in idle if _tie(a) > last]
    return [a.agent_id for a in (*after, *(a for a in idle if _tie(a) <= last))]


RANKINGS: dict[Strategy, Ranking] = {
    Strategy.ROUND_ROBIN: _round_robin,
    Strategy.TOP_DOWN: _by(lambda a: ()),
    Strategy.FEWEST_ANSWERED: _by(lambda a: (a.answered_calls,)),
    Strategy.MOST_RECENT: _by(lambda a: _latest_first(a.last_answered_at)),
    Strategy.RANDOM: _random,
    Strategy.LONGEST_IDLE: _by(lambda a: _earliest_first(a.available_since)),
    Strategy.LEAST_TALK: _by(lambda a: (a.talk_seconds,)),
}


def plan(
    rule: QueueRule,
    group: str,
    agents: Sequence[AgentSnapshot],
    rng: random.Random,
    owner_id: UUID | None = None,
) -> Plan:
    """The offers to try for a call of `group`, best first; no waves when nobody is idle.

    Agents are tried tier by tier (tier 1 first, FreeSWITCH's tier levels); the strategy
    orders the agents within a tier, and ring-all rings a whole tier at once."""
    if rule.strategy is Strategy.FAMILIAR:
        return _familiar(rule, group, agents, rng, owner_id)
    members = [a for a in agents if group in a.skill_groups]
    waves: list[Wave] = []
    for tier in sorted({a.tier(group) for a in members}):
        waves += _tier_waves(rule.strategy, [a for a in members if a.tier(group) == tier], rng)
    return Plan(rule.strategy, tuple(waves))


def _tier_waves(strategy: Strategy, members: list[AgentSnapshot], rng: random.Random) -> list[Wave]:
    idle = sorted((a for a in members if a.available), key=_tie)
    if strategy is Strategy.RING_ALL:
        return [tuple(a.agent_id for a in idle)] if idle else []
    return [(agent_id,) for agent_id in RANKINGS[strategy](idle, members, rng)]


def _familiar(
    rule: QueueRule,
    group: str,
    agents: Sequence[AgentSnapshot],
    rng: random.Random,
    owner_id: UUID | None,
) -> Plan:
    owner = next((a for a in agents if a.agent_id == owner_id and a.available), None)
    others = [a for a in agents if a.agent_id != owner_id]
    fallback = QueueRule(
        rule.fallback if rule.fallback is not Strategy.FAMILIAR else Strategy.LONGEST_IDLE
    )
    rest = plan(fallback, group, others, rng).waves
    return Plan(rule.strategy, ((owner.agent_id,), *rest) if owner else rest)


@dataclass(frozen=True)
class Overflow:
    """After `after` in the queue, a call also rings the agents of queue `to`."""

    after: timedelta
    to: str


@dataclass(frozen=True)
class RoutingPolicy:
    """Each queue's rule (by skill group), a default, and the generator random routing uses."""

    rules: Mapping[str, QueueRule] = field(default_factory=dict)
    default: QueueRule = field(default_factory=QueueRule)
    rng: random.Random = field(default_factory=random.Random)
    # Missed offers in a row after which an agent is set not-ready (FreeSWITCH max-no-answer).
    max_missed_offers: int = 1
    overflows: Mapping[str, Overflow] = field(default_factory=dict)

    def overflow_for(self, group: str, waited: timedelta) -> str | None:
        """The queue a call of `group` overflows to after waiting `waited`, if any."""
        overflow = self.overflows.get(group)
        return overflow.to if overflow is not None and waited >= overflow.after else None

    def rule_for(self, group: str) -> QueueRule:
        return self.rules.get(group, self.default)

    def plan(
        self, group: str, agents: Sequence[AgentSnapshot], owner_id: UUID | None = None
    ) -> Plan:
        return plan(self.rule_for(group), group, agents, self.rng, owner_id)


def parse_routing(spec: str) -> dict[str, QueueRule]:
    """`default=longest_idle,vip=familiar/round_robin` → rules by group; ValueError if bad."""
    rules: dict[str, QueueRule] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        group, _, names = item.partition("=")
        strategy, _, fallback = names.strip().partition("/")
        rules[group.strip()] = QueueRule(
            Strategy(strategy), Strategy(fallback) if fallback else Strategy.LONGEST_IDLE
        )
    return rules


def routing_policy(spec: str, rng: random.Random | None = None) -> RoutingPolicy:
    """The policy of a `KEFU_ROUTING` spec; the group `default` sets every other queue's rule."""
    rules = parse_routing(spec)
    default = rules.pop("default", QueueRule())
    return RoutingPolicy(rules, default, rng or random.Random())


class NoAgentAvailable(RuleViolated):
    """No agent of the call's group could take it now; the call stays queued."""


_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_overflows(spec: str) -> dict[str, Overflow]:
    """`vip=60s>sales,sales=5m>default` → overflow rules by queue; ValueError if malformed."""
    overflows: dict[str, Overflow] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        group, _, rule = item.partition("=")
        wait, _, target = rule.partition(">")
        wait = wait.strip()
        if not (wait[:-1].isdigit() and wait[-1:] in _UNITS and target.strip()):
            raise ValueError(f"{item!r} is not queue=<wait><s|m|h>>queue")
        seconds = int(wait[:-1]) * _UNITS[wait[-1]]
        overflows[group.strip()] = Overflow(timedelta(seconds=seconds), target.strip())
    return overflows
