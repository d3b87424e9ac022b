"""熟客识别 and queue overflow on the real stores: a known number rings the owner agent first;
a call waiting past its queue's maximum wait rings the overflow queue too."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from kefu.bootstrap import Services, build_services
from kefu.commands.calls import QueueCall, RouteCall, StartCall
from kefu.commands.customers import AssignOwner, MergeCustomer, RegisterCustomer
from kefu.domain.call_lifecycle import Direction
from kefu.domain.routing import NoAgentAvailable
from kefu.settings import Settings
from tests.http.conftest import START, FakeClock
from tests.integration.conftest import context
from tests.integration.test_calls import available_agents


@pytest.fixture
def desk(database_url: str) -> Iterator[Services]:
    settings = Settings(database_url=database_url, routing="sales=familiar/round_robin")
    services = build_services(settings)
    yield services
    services.close()


def file_owned_by(desk: Services, agent_id: UUID, phone: str) -> UUID:
    file = RegisterCustomer(name="韩梅梅", phones=(phone,))
    customer = desk.customers.register(file, context()).answer.id
    desk.customers.act(customer, "owner", AssignOwner(agent_id=agent_id), context())
    return customer


def call_from(desk: Services, number: str, group: str = "sales") -> UUID:
    arrival = StartCall(direction=Direction.INBOUND, customer_number=number, hotline="4008")
    call_id = desk.calls.start(arrival, context()).answer.id
    desk.calls.act(call_id, "queue", QueueCall(group=group), context())
    return call_id


def test_a_call_from_a_known_number_is_linked_at_once_and_rings_the_owner_first(
    desk: Services,
) -> None:
    *_, owner = available_agents(desk, 3)  # the owner comes last in the agents' order
    customer = file_owned_by(desk, owner, "139 0013 9000")
    desk.projection_runner().catch_up()

    call_id = call_from(desk, "+86-139-0013-9000")
    routed = desk.calls.act(call_id, "route", RouteCall(), context())
    desk.projection_runner().catch_up()

    view = desk.read_models.calls.get(call_id)
    assert view is not None
    assert (view.customer_id, view.owner_agent_id) == (str(customer), owner)
    assert (view.offered_to, view.strategy, routed.answer.status) == (
        (owner,),
        "familiar",
        "offered",
    )


def test_an_unknown_number_stays_unlinked_and_rings_by_the_fallback(desk: Services) -> None:
    first, *_ = available_agents(desk, 2)

    call_id = call_from(desk, "13700137000")
    desk.calls.act(call_id, "route", RouteCall(), context())
    desk.projection_runner().catch_up()

    view = desk.read_models.calls.get(call_id)
    assert view is not None
    assert (view.customer_id, view.owner_agent_id, view.offered_to) == (None, None, (first,))


def test_a_merged_duplicates_number_finds_the_survivor_and_its_owner(desk: Services) -> None:
    _, owner = available_agents(desk, 2)
    survivor = file_owned_by(desk, owner, "010-12345678")
    duplicate = desk.customers.register(
        RegisterCustomer(name="韩梅梅", phones=("13900139000",)), context()
    ).answer.id
    desk.customers.act(duplicate, "merge", MergeCustomer(into=survivor), context())
    desk.projection_runner().catch_up()

    call_id = call_from(desk, "139 0013 9000")
    desk.calls.act(call_id, "route", RouteCall(), context())
    desk.projection_runner().catch_up()

    view = desk.read_models.calls.get(call_id)
    assert view is not None and (view.customer_id, view.offered_to) == (str(survivor), (owner,))


def test_a_call_waiting_past_its_queues_maximum_wait_also_rings_the_overflow_queue(
    database_url: str,
) -> None:
    clock = FakeClock(START)
    settings = Settings(database_url=database_url, overflow="vip=60s>sales")
    desk = build_services(settings, clock=clock)
    try:
        (sales_agent,) = available_agents(desk, 1)  # of group sales only
        arrival = StartCall(
            direction=Direction.INBOUND, customer_number="13700137000", hotline="4008"
        )
        call_id = desk.calls.start(arrival, context()).answer.id
        desk.calls.act(call_id, "queue", QueueCall(group="vip"), context())
        clock.advance(seconds=59)
        with pytest.raises(NoAgentAvailable):
            desk.calls.act(call_id, "route", RouteCall(), context())
        clock.advance(seconds=1)

        desk.calls.act(call_id, "route", RouteCall(), context())

        call = desk.app.repository.get(call_id)
        assert (call.offered_to, call.group) == ((sales_agent,), "vip")
        offered = list(desk.app.events.get(call_id))[-1]
        assert offered.strategy == "overflow:sales"
    finally:
        desk.close()
