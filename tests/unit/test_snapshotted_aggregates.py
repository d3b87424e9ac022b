"""Every snapshotted aggregate comes back from its snapshot exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, Snapshot

from kefu.application import ServiceDesk
from kefu.domain.agent import Agent
from kefu.domain.metadata import EventMetadata
from kefu.store.mapper import MsgspecMapper
from tests.unit.test_msgspec_mapper import busy_ticket

META = EventMetadata("desk", "service", uuid4(), uuid4(), None, "pbx")
START = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


def busy_agent() -> Agent:
    """An agent with every attribute away from its initial value."""
    agent = Agent.register(
        name="Li Na", extension="8001", skill_groups=("vip", "sales"), order=3, meta=META, at=START
    )
    moments = (START + timedelta(minutes=n) for n in range(1, 100))
    agent.log_in(meta=META, at=next(moments))
    agent.become_available(meta=META, at=next(moments))
    missed = uuid4()
    agent.offer(call_id=missed, meta=META, at=next(moments))
    agent.miss_offer(call_id=missed, meta=META, at=next(moments))
    agent.become_available(meta=META, at=next(moments))
    call = uuid4()
    agent.offer(call_id=call, meta=META, at=next(moments))
    agent.answer(call_id=call, meta=META, at=next(moments))
    agent.collect_events()
    return agent


BUILDERS = {"Ticket": busy_ticket, "Agent": busy_agent}


def test_every_snapshotted_aggregate_has_a_builder_here() -> None:
    assert {kind.__name__ for kind in ServiceDesk.snapshotting_intervals} == set(BUILDERS)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_an_aggregate_rebuilt_from_its_snapshot_equals_it(kind: str) -> None:
    aggregate: Aggregate = BUILDERS[kind]()
    mapper = MsgspecMapper()

    snapshot = mapper.to_domain_event(mapper.to_stored_event(Snapshot.take(aggregate)))
    rebuilt = snapshot.mutate(None)  # type: ignore[attr-defined]

    assert vars(rebuilt) == vars(aggregate)
    assert {k: type(v) for k, v in vars(rebuilt).items()} == {
        k: type(v) for k, v in vars(aggregate).items()
    }
