"""Callbacks as work on the real stores: an outbound call answers an owed callback, once."""

from __future__ import annotations

import msgspec
import pytest

from kefu.bootstrap import Services
from kefu.commands.calls import EndCall, QueueCall, StartCall
from kefu.domain.call_lifecycle import Direction
from kefu.domain.errors import RuleViolated
from kefu.projections.listing import ListQuery
from tests.integration.conftest import context
from tests.integration.test_calls import available_agents

NUMBER = "13900139000"


def test_a_callback_links_both_calls_and_the_call_list_finds_it_done(services: Services) -> None:
    agent_id, other_agent = available_agents(services, 2)
    arrival = StartCall(direction=Direction.INBOUND, customer_number=NUMBER, hotline="4008")
    owed = services.calls.start(arrival, context()).answer.id
    services.calls.act(owed, "queue", QueueCall(group="sales"), context())
    services.calls.act(owed, "end", EndCall(hung_up_by="caller"), context())
    dial = StartCall(
        direction=Direction.OUTBOUND, customer_number=NUMBER, hotline="4008",
        agent_id=agent_id, callback_for=owed,
    )  # fmt: skip

    callback = services.calls.start(dial, context()).answer.id
    with pytest.raises(RuleViolated, match="called back already"):
        services.calls.start(msgspec.structs.replace(dial, agent_id=other_agent), context())
    services.projection_runner().catch_up()

    done = ListQuery(extra_where=["called_back_at IS NOT NULL"])
    [original] = services.read_models.calls.page(done)[0]
    assert (original.id, original.called_back_by) == (owed, callback)
    view = services.read_models.calls.get(callback)
    assert view is not None and view.callback_for == owed
