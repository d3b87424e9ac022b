"""Routing strategies (振铃策略) on hand-built agent sets: pure, deterministic, seeded."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from kefu.domain.routing import (
    AgentSnapshot,
    QueueRule,
    RoutingPolicy,
    Strategy,
    parse_overflows,
    parse_routing,
    plan,
    routing_policy,
)

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def agent(
    n: int, *, available: bool = True, groups: tuple[str, ...] = ("sales",), **kw: object
) -> AgentSnapshot:
    base = AgentSnapshot(
        agent_id=UUID(int=n), order=n, available=available, skill_groups=frozenset(groups)
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def ids(*numbers: int) -> list[UUID]:
    return [UUID(int=n) for n in numbers]


def ranked(strategy: Strategy, agents: list[AgentSnapshot], seed: int = 7) -> list[UUID]:
    waves = plan(QueueRule(strategy), "sales", agents, random.Random(seed)).waves
    assert all(len(w) == 1 for w in waves)
    return [w[0] for w in waves]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_no_strategy_rings_anyone_when_every_agent_is_busy(strategy: Strategy) -> None:
    busy = [agent(n, available=False) for n in range(1, 4)]

    assert plan(QueueRule(strategy), "sales", busy, random.Random(1), UUID(int=1)).waves == ()


@pytest.mark.parametrize("strategy", list(Strategy))
def test_no_strategy_rings_anyone_in_a_group_without_agents(strategy: Strategy) -> None:
    assert plan(QueueRule(strategy), "sales", [], random.Random(1)).waves == ()


@pytest.mark.parametrize("strategy", list(Strategy))
def test_no_strategy_rings_an_idle_agent_of_another_group(strategy: Strategy) -> None:
    agents = [agent(1, groups=("billing",)), agent(2, available=False), agent(3)]

    waves = plan(QueueRule(strategy), "sales", agents, random.Random(1)).waves

    assert [a for wave in waves for a in wave] == ids(3)


def test_ring_all_rings_every_idle_agent_of_the_group_at_once_in_agent_order() -> None:
    agents = [agent(3), agent(1), agent(2, available=False), agent(4, groups=("billing",))]

    result = plan(QueueRule(Strategy.RING_ALL), "sales", agents, random.Random(1))

    assert result.waves == (tuple(ids(1, 3)),)


def test_round_robin_starts_after_the_last_agent_offered_and_wraps_around() -> None:
    agents = [agent(1), agent(2, last_offered_at=T0), agent(3), agent(4)]

    assert ranked(Strategy.ROUND_ROBIN, agents) == ids(3, 4, 1, 2)


def test_round_robin_skips_busy_agents_but_counts_their_turn() -> None:
    agents = [agent(1), agent(2), agent(3, available=False, last_offered_at=T0), agent(4)]

    assert ranked(Strategy.ROUND_ROBIN, agents) == ids(4, 1, 2)


def test_round_robin_with_no_offer_yet_starts_at_the_first_agent_in_order() -> None:
    assert ranked(Strategy.ROUND_ROBIN, [agent(3), agent(1), agent(2)]) == ids(1, 2, 3)


def test_top_down_always_starts_from_the_first_agent_in_order_skipping_busy_ones() -> None:
    # The seed's 轮流振铃: "每次首先都由座席A振铃, 若座席A处于忙碌状态, 则由座席B振铃".
    offered_last = agent(1, last_offered_at=T0)  # a previous call rang agent 1: no matter
    agents = [agent(3), offered_last, agent(2), agent(4)]

    assert ranked(Strategy.TOP_DOWN, agents) == ids(1, 2, 3, 4)
    assert ranked(Strategy.TOP_DOWN, [agent(1, available=False), agent(3), agent(2)]) == ids(2, 3)


def test_round_robin_follows_the_latest_offer_not_the_highest_order() -> None:
    agents = [agent(1, last_offered_at=T0 + timedelta(seconds=5)), agent(3, last_offered_at=T0)]

    assert ranked(Strategy.ROUND_ROBIN, [*agents, agent(2)]) == ids(2, 3, 1)


def test_fewest_answered_rings_the_agent_with_the_fewest_answered_calls_first() -> None:
    agents = [agent(1, answered_calls=5), agent(2, answered_calls=1), agent(3, answered_calls=3)]

    assert ranked(Strategy.FEWEST_ANSWERED, agents) == ids(2, 3, 1)


def test_ties_are_broken_by_agent_order_then_by_id() -> None:
    same_order = [
        AgentSnapshot(UUID(int=9), 1, True, frozenset({"sales"})),
        AgentSnapshot(UUID(int=8), 1, True, frozenset({"sales"})),
        AgentSnapshot(UUID(int=7), 2, True, frozenset({"sales"})),
    ]

    assert ranked(Strategy.FEWEST_ANSWERED, same_order) == ids(8, 9, 7)
    assert ranked(Strategy.LEAST_TALK, same_order) == ids(8, 9, 7)


def test_most_recent_rings_the_latest_answerer_first_and_never_answered_agents_last() -> None:
    agents = [
        agent(1),
        agent(2, last_answered_at=T0),
        agent(3, last_answered_at=T0 + timedelta(minutes=3)),
    ]

    assert ranked(Strategy.MOST_RECENT, agents) == ids(3, 2, 1)


def test_longest_idle_rings_the_agent_available_the_longest_first() -> None:
    agents = [
        agent(1, available_since=T0 + timedelta(minutes=2)),
        agent(2, available_since=T0),
        agent(3, available_since=T0 + timedelta(minutes=1)),
    ]

    assert ranked(Strategy.LONGEST_IDLE, agents) == ids(2, 3, 1)


def test_least_talk_rings_the_agent_with_the_least_talk_time_first() -> None:
    agents = [agent(1, talk_seconds=300.0), agent(2, talk_seconds=20.0), agent(3)]

    assert ranked(Strategy.LEAST_TALK, agents) == ids(3, 2, 1)


def test_random_with_the_same_seed_rings_the_same_agents_in_the_same_order() -> None:
    agents = [agent(n) for n in range(1, 9)]

    assert ranked(Strategy.RANDOM, agents, seed=42) == ranked(Strategy.RANDOM, agents, seed=42)


def test_random_rings_each_idle_agent_once_and_varies_with_the_seed() -> None:
    agents = [*(agent(n) for n in range(1, 9)), agent(9, available=False)]

    orders = {tuple(ranked(Strategy.RANDOM, agents, seed=seed)) for seed in range(20)}

    assert all(sorted(order) == ids(*range(1, 9)) for order in orders)
    assert len(orders) > 1


def test_a_familiar_customer_rings_the_owner_agent_first_then_the_fallback() -> None:
    agents = [agent(1, answered_calls=0), agent(2, answered_calls=1), agent(3, answered_calls=9)]
    rule = QueueRule(Strategy.FAMILIAR, fallback=Strategy.FEWEST_ANSWERED)

    result = plan(rule, "sales", agents, random.Random(1), owner_id=UUID(int=3))

    assert result.waves == ((UUID(int=3),), (UUID(int=1),), (UUID(int=2),))


def test_a_familiar_customer_whose_owner_is_busy_gets_the_fallback_only() -> None:
    agents = [agent(1), agent(2), agent(3, available=False)]
    rule = QueueRule(Strategy.FAMILIAR, fallback=Strategy.ROUND_ROBIN)

    result = plan(rule, "sales", agents, random.Random(1), owner_id=UUID(int=3))

    assert result.waves == ((UUID(int=1),), (UUID(int=2),))


def test_a_familiar_customer_rings_the_owner_alone_before_ringing_all_others() -> None:
    agents = [agent(1), agent(2), agent(3)]
    rule = QueueRule(Strategy.FAMILIAR, fallback=Strategy.RING_ALL)

    result = plan(rule, "sales", agents, random.Random(1), owner_id=UUID(int=2))

    assert result.waves == ((UUID(int=2),), (UUID(int=1), UUID(int=3)))


def test_the_owner_agent_is_rung_first_even_when_serving_another_group() -> None:
    agents = [agent(1), agent(2, groups=("vip",))]

    result = plan(QueueRule(Strategy.FAMILIAR), "sales", agents, random.Random(1), UUID(int=2))

    assert result.waves == ((UUID(int=2),), (UUID(int=1),))


def test_a_routing_spec_sets_a_default_and_rules_per_group() -> None:
    policy = routing_policy("default=round_robin, vip=familiar/ring_all ,sales=random")

    assert policy.rule_for("support") == QueueRule(Strategy.ROUND_ROBIN)
    assert policy.rule_for("vip") == QueueRule(Strategy.FAMILIAR, Strategy.RING_ALL)
    assert policy.rule_for("sales").strategy is Strategy.RANDOM


def test_an_unknown_strategy_in_a_routing_spec_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_routing("sales=loudest")


def test_tier_one_agents_are_tried_before_tier_two_whatever_the_strategy_within_a_tier() -> None:
    senior = agent(5, tiers={"sales": 1})
    juniors = [agent(1, tiers={"sales": 2}), agent(2, tiers={"sales": 2}), agent(3, tiers={})]

    assert ranked(Strategy.TOP_DOWN, [*juniors, senior]) == ids(3, 5, 1, 2)  # no tier named: 1
    assert ranked(Strategy.FEWEST_ANSWERED, [*juniors, replace(senior, answered_calls=9)]) == ids(
        3, 5, 1, 2
    )


def test_ring_all_rings_one_tier_at_a_time() -> None:
    agents = [agent(1, tiers={"sales": 2}), agent(2), agent(3), agent(4, tiers={"sales": 3})]

    result = plan(QueueRule(Strategy.RING_ALL), "sales", agents, random.Random(1))

    assert result.waves == (tuple(ids(2, 3)), tuple(ids(1)), tuple(ids(4)))


def test_a_tier_counts_only_in_its_own_queue() -> None:
    agents = [agent(1, tiers={"vip": 2}), agent(2, tiers={"vip": 1})]

    assert ranked(Strategy.TOP_DOWN, agents) == ids(1, 2)


def test_overflow_rules_name_a_queue_its_maximum_wait_and_the_queue_it_overflows_to() -> None:
    policy = RoutingPolicy(overflows=parse_overflows("vip=60s>sales, sales=2m>default"))

    assert policy.overflow_for("vip", timedelta(seconds=59)) is None
    assert policy.overflow_for("vip", timedelta(seconds=60)) == "sales"
    assert policy.overflow_for("sales", timedelta(minutes=2)) == "default"
    assert policy.overflow_for("billing", timedelta(hours=9)) is None


@pytest.mark.parametrize("spec", ["vip=60>sales", "vip=s>sales", "vip=60s", "vip=60s>"])
def test_a_malformed_overflow_rule_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="queue=<wait>"):
        parse_overflows(spec)
