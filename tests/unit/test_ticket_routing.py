"""Dispatch strategies: which agent with a skill a rule gives a ticket to, with ties broken by
agent order then id, the same answer for the same snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from kefu.domain.routing import AgentSnapshot
from kefu.domain.ticket_routing import Candidate, DispatchStrategy, pick_agent

A, B, C = (UUID(int=n) for n in (1, 2, 3))


def agent(
    agent_id: UUID, order: int, open_tickets: int = 0, available: bool = True, idle_hour: int = 0
) -> Candidate:
    since = datetime(2030, 3, 4, idle_hour, tzinfo=UTC) if idle_hour else None
    snapshot = AgentSnapshot(
        agent_id, order, available, frozenset({"billing"}), available_since=since
    )
    return Candidate(snapshot, open_tickets)


def test_fewest_open_picks_the_least_loaded_and_breaks_ties_by_agent_order() -> None:
    team = [agent(A, 2, open_tickets=3), agent(B, 1, open_tickets=1), agent(C, 0, open_tickets=1)]

    assert pick_agent(DispatchStrategy.FEWEST_OPEN, team) == C
    assert pick_agent(DispatchStrategy.FEWEST_OPEN, list(reversed(team))) == C


def test_round_robin_goes_on_after_the_last_agent_given_and_wraps_around() -> None:
    team = [agent(A, 0), agent(B, 1), agent(C, 2)]

    assert pick_agent(DispatchStrategy.ROUND_ROBIN, team) == A
    assert pick_agent(DispatchStrategy.ROUND_ROBIN, team, last_given=A) == B
    assert pick_agent(DispatchStrategy.ROUND_ROBIN, team, last_given=C) == A


def test_agents_available_now_come_first_and_otherwise_anyone_with_the_skill() -> None:
    team = [agent(A, 0, available=False), agent(B, 1, open_tickets=5)]
    assert pick_agent(DispatchStrategy.FEWEST_OPEN, team) == B
    away = [agent(A, 0, open_tickets=2, available=False), agent(B, 1, available=False)]
    assert pick_agent(DispatchStrategy.FEWEST_OPEN, away) == B
    assert pick_agent(DispatchStrategy.TOP_DOWN, []) is None


def test_longest_idle_picks_the_earliest_available_then_the_agent_order() -> None:
    team = [agent(A, 0, idle_hour=9), agent(B, 1, idle_hour=8), agent(C, 2)]
    assert pick_agent(DispatchStrategy.LONGEST_IDLE, team) == B
    tied = [agent(B, 1, idle_hour=8), agent(A, 0, idle_hour=8)]
    assert pick_agent(DispatchStrategy.LONGEST_IDLE, tied) == A
