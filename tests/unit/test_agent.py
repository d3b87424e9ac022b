"""The agent (坐席) aggregate: presence, the offer guard, and the time spent in each state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from kefu.domain.agent import EVENT_ACTIONS, Agent
from kefu.domain.agent_presence import TRANSITIONS, AgentAction, AgentStatus
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.projections.agent_document import fold

S = AgentStatus
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
META = EventMetadata("supervisor", "service", UUID(int=1), UUID(int=2), None, "api")
CALL, OTHER_CALL = UUID(int=100), UUID(int=101)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def registered() -> Agent:
    return Agent.register(
        name="Li Na", extension="801", skill_groups=("sales", "vip", "sales"), order=3,
        meta=META, at=T0,
    )  # fmt: skip


def available(minutes: float = 0) -> Agent:
    agent = registered()
    agent.log_in(meta=META, at=at(minutes))
    agent.become_available(meta=META, at=at(minutes))
    return agent


def test_a_registered_agent_is_logged_out_with_its_skill_groups_sorted_once() -> None:
    agent = registered()

    assert agent.status is S.LOGGED_OUT
    assert agent.skill_groups == ("sales", "vip")
    assert agent.allowed_now == ("login", "skills")


def test_an_agent_logs_in_becomes_available_takes_a_break_and_logs_out() -> None:
    agent = registered()
    agent.log_in(meta=META, at=at(1))
    assert agent.status is S.NOT_READY
    agent.become_available(meta=META, at=at(2))
    assert agent.status is S.AVAILABLE
    agent.go_on_break(reason="lunch", meta=META, at=at(3))
    assert agent.status is S.ON_BREAK
    agent.log_out(meta=META, at=at(4))
    assert agent.status is S.LOGGED_OUT


def test_an_answered_call_makes_the_agent_busy_then_wrap_up_until_available_again() -> None:
    agent = available()
    agent.offer(call_id=CALL, meta=META, at=at(1))
    agent.answer(call_id=CALL, meta=META, at=at(1.5))
    assert (agent.status, agent.call_id, agent.answered_calls) == (S.BUSY, CALL, 1)

    agent.release(call_id=CALL, meta=META, at=at(4.5))

    assert (agent.status, agent.call_id, agent.talk_seconds) == (S.WRAP_UP, None, 180.0)
    agent.become_available(meta=META, at=at(5))
    assert agent.status is S.AVAILABLE


@pytest.mark.parametrize("status", [s for s in S if s is not S.AVAILABLE])
def test_an_agent_refuses_an_offer_unless_available(status: AgentStatus) -> None:
    agent = available()
    agent.status = status  # any state but available, however it got there

    with pytest.raises(ActionNotAllowed, match="not available"):
        agent.offer(call_id=CALL, meta=META, at=at(1))
    assert agent.collect_events()[-1].__class__ is Agent.BecameAvailable


def test_a_ringing_agent_refuses_a_second_call() -> None:
    agent = available()
    agent.offer(call_id=CALL, meta=META, at=at(1))

    with pytest.raises(ActionNotAllowed):
        agent.offer(call_id=OTHER_CALL, meta=META, at=at(1))
    assert agent.call_id == CALL


def test_an_agent_cannot_answer_a_call_that_does_not_ring_it() -> None:
    agent = available()
    agent.offer(call_id=CALL, meta=META, at=at(1))

    with pytest.raises(RuleViolated, match="not"):
        agent.answer(call_id=OTHER_CALL, meta=META, at=at(2))


def test_a_missed_offer_is_counted_and_the_agent_stops_taking_calls() -> None:
    agent = available()
    agent.offer(call_id=CALL, meta=META, at=at(1))

    agent.miss_offer(call_id=CALL, meta=META, at=at(1.5))

    assert (agent.status, agent.missed_offers, agent.call_id) == (S.NOT_READY, 1, None)


def ring_out(agent: Agent, call_id: UUID, minute: float, limit: int) -> None:
    agent.offer(call_id=call_id, meta=META, at=at(minute))
    agent.miss_offer(call_id=call_id, limit=limit, meta=META, at=at(minute + 0.5))


def test_with_a_limit_of_three_the_third_miss_in_a_row_sets_the_agent_not_ready() -> None:
    agent = available()

    ring_out(agent, CALL, 1, limit=3)
    ring_out(agent, OTHER_CALL, 2, limit=3)
    assert (agent.status, agent.missed_offers) == (S.AVAILABLE, 2)
    ring_out(agent, CALL, 3, limit=3)

    assert (agent.status, agent.missed_offers) == (S.NOT_READY, 3)
    view = None
    for event in agent.collect_events():
        view = fold(view, event, 1)
    assert view is not None and (view.status, view.missed_offers) == ("not_ready", 3)


def test_an_answer_between_misses_starts_the_count_of_misses_in_a_row_again() -> None:
    agent = available()
    ring_out(agent, CALL, 1, limit=2)
    agent.offer(call_id=OTHER_CALL, meta=META, at=at(2))
    agent.answer(call_id=OTHER_CALL, meta=META, at=at(2.1))
    agent.release(call_id=OTHER_CALL, meta=META, at=at(3))
    agent.become_available(meta=META, at=at(4))

    ring_out(agent, CALL, 5, limit=2)

    assert (agent.status, agent.missed_offers, agent.missed_in_a_row) == (S.AVAILABLE, 2, 1)


def test_a_withdrawn_offer_returns_the_agent_to_available_without_a_miss() -> None:
    agent = available()
    agent.offer(call_id=CALL, meta=META, at=at(1))

    agent.withdraw_offer(call_id=CALL, meta=META, at=at(1.2))

    assert (agent.status, agent.missed_offers) == (S.AVAILABLE, 0)


def test_an_agent_on_a_call_cannot_log_out_or_take_a_break() -> None:
    agent = available()
    agent.dial(call_id=CALL, meta=META, at=at(1))

    for verb in (agent.log_out, agent.become_available):
        with pytest.raises(ActionNotAllowed) as refused:
            verb(meta=META, at=at(2))
        assert refused.value.allowed_now == ("skills",)


def test_presence_timing_sums_the_time_spent_in_each_state() -> None:
    agent = registered()
    agent.log_in(meta=META, at=at(10))
    agent.become_available(meta=META, at=at(12))
    agent.offer(call_id=CALL, meta=META, at=at(20))
    agent.answer(call_id=CALL, meta=META, at=at(20.25))
    agent.release(call_id=CALL, meta=META, at=at(23.25))
    agent.go_on_break(reason="tea", meta=META, at=at(25))
    agent.become_available(meta=META, at=at(40))

    assert agent.seconds_in == {
        S.LOGGED_OUT: 600.0,
        S.NOT_READY: 120.0,
        S.AVAILABLE: 480.0,
        S.RINGING: 15.0,
        S.BUSY: 180.0,
        S.WRAP_UP: 105.0,
        S.ON_BREAK: 900.0,
    }


def test_the_agent_view_replays_the_same_presence_timing_as_the_aggregate() -> None:
    agent = registered()
    agent.log_in(meta=META, at=at(1))
    agent.become_available(meta=META, at=at(3))
    agent.offer(call_id=CALL, meta=META, at=at(6))
    agent.miss_offer(call_id=CALL, meta=META, at=at(6.5))
    agent.change_skills(skill_groups=("billing",), order=1, meta=META, at=at(7))
    view: Any = None
    for position, event in enumerate(agent.collect_events(), start=1):
        view = fold(view, event, position)

    assert view.status == agent.status
    assert view.seconds_in == {str(k): v for k, v in agent.seconds_in.items()}
    assert (view.missed_offers, view.skill_groups, view.version) == (1, ("billing",), 6)
    assert view.snapshot().available is False


def test_every_event_that_changes_presence_names_an_action_of_the_table() -> None:
    table_actions = {a for row in TRANSITIONS.values() for a in row}

    assert set(EVENT_ACTIONS.values()) == table_actions == set(AgentAction)


def wrapping_up() -> Agent:
    agent = available()
    agent.offer(call_id=CALL, meta=META, at=at(1))
    agent.answer(call_id=CALL, meta=META, at=at(1.1))
    agent.release(call_id=CALL, meta=META, at=at(3))
    return agent


def test_wrap_up_ends_by_itself_only_once_its_time_is_up() -> None:
    agent = wrapping_up()

    with pytest.raises(RuleViolated, match="wrap-up runs until"):
        agent.end_wrap_up(wrap_up=timedelta(seconds=30), meta=META, at=at(3.4))
    agent.end_wrap_up(wrap_up=timedelta(seconds=30), meta=META, at=at(3.5))

    assert (agent.status, agent.seconds_in[S.WRAP_UP]) == (S.AVAILABLE, 30.0)
    with pytest.raises(RuleViolated, match="not in wrap-up"):
        agent.end_wrap_up(wrap_up=timedelta(seconds=30), meta=META, at=at(4))
