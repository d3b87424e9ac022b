"""Calls, agents and routing on the real event stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from kefu.application import ConcurrentChange, StaleVersion
from kefu.bootstrap import Services
from kefu.commands.agents import BecomeAvailable, LogIn, RegisterAgent
from kefu.commands.calls import AnswerCall, EndCall, QueueCall, RouteCall, Staff, StartCall
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import AgentStatus
from kefu.domain.call import Call
from kefu.domain.call_lifecycle import CallStatus, Direction
from kefu.domain.errors import ActionNotAllowed
from kefu.domain.routing import NoAgentAvailable
from tests.integration.conftest import ServicesFactory, context

INBOUND = StartCall(direction=Direction.INBOUND, customer_number="13800000000", hotline="4008")


def head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def available_agents(services: Services, count: int) -> list[UUID]:
    ids = []
    for n in range(count):
        register = RegisterAgent(
            name=f"agent {n}", extension=f"80{n}", skill_groups=("sales",), order=n
        )
        agent_id = services.agents.register(register, context()).answer.id
        services.agents.act(agent_id, "login", LogIn(), context())
        services.agents.act(agent_id, "available", BecomeAvailable(), context())
        ids.append(agent_id)
    services.projection_runner().catch_up()
    return ids


def queued_call(services: Services) -> UUID:
    call_id = services.calls.start(INBOUND, context()).answer.id
    services.calls.act(call_id, "queue", QueueCall(group="sales"), context())
    return call_id


def agent(services: Services, agent_id: UUID) -> Agent:
    found = services.app.repository.get(agent_id)
    assert isinstance(found, Agent)
    return found


def test_a_routed_answered_and_ended_call_reaches_both_views(services: Services) -> None:
    (agent_id,) = available_agents(services, 1)
    call_id = queued_call(services)

    routed = services.calls.act(call_id, "route", RouteCall(), context())
    services.calls.act(call_id, "answer", AnswerCall(agent_id=agent_id), context())
    services.calls.act(call_id, "end", EndCall(hung_up_by="caller"), context())
    services.projection_runner().catch_up()

    assert routed.answer.status == "offered"
    call_view = services.read_models.calls.get(call_id)
    agent_view = services.read_models.agents.get(agent_id)
    assert call_view is not None and agent_view is not None
    assert (call_view.status, call_view.agent_id, call_view.strategy) == (
        "ended",
        agent_id,
        "longest_idle",
    )
    assert (agent_view.status, agent_view.answered_calls, agent_view.call_id) == (
        "wrap_up",
        1,
        None,
    )


def test_a_call_and_its_agent_survive_a_restart_in_step(open_services: ServicesFactory) -> None:
    first = open_services()
    (agent_id,) = available_agents(first, 1)
    call_id = queued_call(first)
    first.calls.act(call_id, "route", RouteCall(), context())
    first.close()

    restarted = open_services()

    call = restarted.app.repository.get(call_id)
    assert isinstance(call, Call)
    assert (call.status, call.offered_to) == (CallStatus.OFFERED, (agent_id,))
    assert (agent(restarted, agent_id).status, agent(restarted, agent_id).call_id) == (
        AgentStatus.RINGING,
        call_id,
    )


def test_routing_with_nobody_available_writes_nothing(services: Services) -> None:
    call_id = queued_call(services)
    before = head(services)

    with pytest.raises(NoAgentAvailable):
        services.calls.act(call_id, "route", RouteCall(), context())
    assert head(services) == before


def test_a_retried_route_returns_the_first_offer_and_books_no_second_agent(
    services: Services,
) -> None:
    available_agents(services, 2)
    call_id = queued_call(services)
    first = services.calls.act(call_id, "route", RouteCall(), context("route-1"))
    before = head(services)

    retry = services.calls.act(call_id, "route", RouteCall(), context("route-1"))

    assert retry.replayed and retry.answer == first.answer
    assert head(services) == before


def test_a_stale_if_match_on_a_call_is_refused_and_no_agent_is_booked(services: Services) -> None:
    (agent_id,) = available_agents(services, 1)
    call_id = queued_call(services)

    with pytest.raises(StaleVersion):
        services.calls.act(call_id, "route", RouteCall(), replace(context(), expected_version=1))
    assert agent(services, agent_id).status is AgentStatus.AVAILABLE


def test_dialling_out_with_a_busy_agent_creates_no_call(services: Services) -> None:
    (agent_id,) = available_agents(services, 1)
    dial = StartCall(
        direction=Direction.OUTBOUND, customer_number="139", hotline="4008", agent_id=agent_id
    )
    services.calls.start(dial, context())
    before = head(services)

    with pytest.raises(ActionNotAllowed):
        services.calls.start(dial, context())
    assert head(services) == before


def test_route_plans_again_when_another_router_books_its_agent_between_read_and_write(
    open_services: ServicesFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, rival = open_services(), open_services()
    first_agent, second_agent = available_agents(services, 2)
    ours, theirs = queued_call(services), queued_call(services)
    original = Staff.agent
    raced = False

    def load_then_race(self: Staff, agent_id: UUID) -> Agent:
        nonlocal raced
        loaded = original(self, agent_id)
        if not raced:  # the rival books the same agent after we read it, before we write
            raced = True
            rival.calls.act(theirs, "route", RouteCall(), context())
        return loaded

    monkeypatch.setattr(Staff, "agent", load_then_race)
    routed = services.calls.act(ours, "route", RouteCall(), context())

    call = services.app.repository.get(ours)
    assert routed.answer.status == "offered"
    assert isinstance(call, Call) and call.offered_to == (second_agent,)
    assert agent(services, first_agent).call_id == theirs


def test_concurrent_routes_never_book_one_agent_for_two_calls(services: Services) -> None:
    (agent_id,) = available_agents(services, 1)
    calls = [queued_call(services) for _ in range(6)]
    start = threading.Barrier(len(calls))
    outcomes: dict[UUID, Any] = {}

    def route(call_id: UUID) -> None:
        start.wait()
        try:
            outcomes[call_id] = services.calls.act(call_id, "route", RouteCall(), context()).answer
        except (NoAgentAvailable, ConcurrentChange) as refused:
            outcomes[call_id] = refused

    threads = [threading.Thread(target=route, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    offered = [c for c, outcome in outcomes.items() if not isinstance(outcome, Exception)]
    assert len(offered) == 1
    assert agent(services, agent_id).call_id == offered[0]
