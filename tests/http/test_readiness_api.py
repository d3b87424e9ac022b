"""`/ready` tells the truth: 503 naming what is wrong (runner silent, a projection parked, a lag
above the bound), 200 when all is well; never internal error text; `/health` stays 200."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import falcon.testing
import pytest

from kefu.bootstrap import Services
from kefu.projections.runner import RUNNER_NAME

Client = falcon.testing.TestClient
OpenTicket = Callable[..., dict[str, Any]]


def test_a_projection_that_fails_every_time_turns_ready_503_until_it_is_retried(
    client: Client,
    services: Services,
    open_ticket: OpenTicket,
    catch_up: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_ticket()
    broken = services.read_models.projection("ticket_views")
    with monkeypatch.context() as patch:
        patch.setattr(broken, "process_batch", _fail)
        catch_up()

        parked = client.simulate_get("/ready")
    assert services.read_models.health.unpark("ticket_views")
    catch_up()
    healed = client.simulate_get("/ready")

    assert parked.status_code == 503
    assert parked.headers["content-type"] == "application/problem+json"
    assert parked.json["reasons"] == ["projection ticket_views parked at position 1"]
    assert "secret" not in parked.text  # the error text stays in the logs and the CLI
    assert (healed.status_code, healed.json["status"]) == (200, "ready")


def test_a_silent_runner_turns_ready_503_while_health_stays_200(
    client: Client, services: Services, catch_up: Callable[[], int], open_ticket: OpenTicket
) -> None:
    open_ticket()
    catch_up()
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    services.read_models.health.beat(RUNNER_NAME, long_ago)

    ready = client.simulate_get("/ready")

    assert ready.status_code == 503
    assert ready.headers["retry-after"]
    [reason] = ready.json["reasons"]
    assert reason.startswith("projection runner not running (last heartbeat 30")
    assert client.simulate_get("/health").status_code == 200


def test_views_further_behind_than_the_bound_turn_ready_503(
    client: Client, services: Services, open_ticket: OpenTicket, clock: Any
) -> None:
    services.read_models.health.beat(RUNNER_NAME, datetime.now(UTC))
    open_ticket()
    clock.advance(seconds=services.settings.ready_max_lag_seconds + 5)

    ready = client.simulate_get("/ready")

    assert ready.status_code == 503
    assert "projection ticket_views is 35 s behind (bound 30 s)" in ready.json["reasons"]


def _fail(*_: Any) -> None:
    raise RuntimeError("secret internals of a bug")
