"""The wrap-up timer on the real stores: after-call work ends by itself, once, when it is due."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kefu.bootstrap import Services, build_services
from kefu.commands.calls import AnswerCall, EndCall, RouteCall
from kefu.settings import Settings
from tests.http.conftest import START, FakeClock
from tests.integration.conftest import context
from tests.integration.test_calls import available_agents, queued_call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def desk(database_url: str, clock: FakeClock) -> Iterator[Services]:
    settings = Settings(database_url=database_url, wrap_up_seconds=30)
    services = build_services(settings, clock=clock)
    yield services
    services.close()


def test_an_agent_in_wrap_up_becomes_available_by_itself_when_its_time_is_up(
    desk: Services, clock: FakeClock
) -> None:
    (agent_id,) = available_agents(desk, 1)
    call_id = queued_call(desk)
    desk.calls.act(call_id, "route", RouteCall(), context())
    desk.calls.act(call_id, "answer", AnswerCall(agent_id=agent_id), context())
    desk.calls.act(call_id, "end", EndCall(hung_up_by="caller"), context())
    desk.projection_runner().catch_up()

    clock.advance(seconds=29)
    desk.projection_runner().catch_up()
    before = desk.read_models.agents.get(agent_id)
    clock.advance(seconds=1)
    desk.projection_runner().catch_up()
    desk.projection_runner().catch_up()  # a second pass finds nothing more to do

    after = desk.read_models.agents.get(agent_id)
    assert before is not None and after is not None
    assert (before.status, after.status) == ("wrap_up", "available")
    events = list(desk.app.events.get(agent_id))
    assert [type(e).__name__ for e in events].count("BecameAvailable") == 2  # by hand, by timer
    assert (events[-1].meta.actor_id, events[-1].timestamp) == ("wrap-up-timer", clock.now)
    assert after.seconds_in["wrap_up"] == timedelta(seconds=30).total_seconds()
