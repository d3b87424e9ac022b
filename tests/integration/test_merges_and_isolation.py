"""Crossing merges cannot both win; one failing projection does not stall the others."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.application import ConcurrentChange
from kefu.bootstrap import Services
from kefu.commands.customers import MergeCustomer, RegisterCustomer
from kefu.domain.customer import Customer
from tests.integration.conftest import context
from tests.integration.test_tamper_evidence import tickets_with_history


def register(services: Services, name: str) -> Any:
    return services.customers.register(RegisterCustomer(name=name), context()).answer.id


def test_two_crossing_merges_cannot_both_succeed(services: Services) -> None:
    x, y = register(services, "Han Mei"), register(services, "Han Mei (dup)")
    meta = context().metadata()
    # Both merges read both files before either saves: the race the survivor's event closes.
    x_first, y_first = services.app.repository.get(x), services.app.repository.get(y)
    y_second, x_second = services.app.repository.get(y), services.app.repository.get(x)
    x_first.merge_into(survivor=y_first, meta=meta, at=x_first.modified_on)
    y_second.merge_into(survivor=x_second, meta=meta, at=y_second.modified_on)

    services.app.record_together((x_first, y_first), None)
    with pytest.raises(ConcurrentChange):
        services.app.record_together((y_second, x_second), None)

    survivor: Customer = services.app.repository.get(y)
    assert survivor.merged_into is None
    assert services.app.repository.get(x).merged_into == y


def test_a_merge_through_the_command_layer_versions_the_survivor(services: Services) -> None:
    x, y = register(services, "Li Lei"), register(services, "Li Lei (dup)")

    answer = services.customers.act(x, "merge", MergeCustomer(into=y), context()).answer

    assert (answer.id, answer.version) == (x, 2)
    assert services.app.repository.get(y).version == 2


def test_a_projection_that_fails_every_time_is_parked_alone_while_the_others_follow_the_log(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets_with_history(services, count=2, urges=1)
    broken = services.read_models.projection("actor_events")

    def fail(*_: Any) -> None:
        raise RuntimeError("a bug in one read model")

    monkeypatch.setattr(broken, "process_batch", fail)
    runner = services.projection_runner()

    runner.catch_up()

    head = services.app.recorder.max_notification_id()
    parked = services.read_models.health.parked()  # stored: other processes see it
    assert list(parked) == ["actor_events"]
    assert (parked["actor_events"].position, parked["actor_events"].error) == (
        1,
        "RuntimeError: a bug in one read model",
    )
    for projection in services.read_models.projections:
        position = projection.view.max_tracking_id(projection.name) or 0
        assert position == (0 if projection is broken else head), projection.name
