"""How the runner meets failures, on both stores: an outage is waited out and followed by
catching up; a failure that repeats at the same event parks only that projection, at that
event, stored for every process to see, until `kefu projections retry` lets it go on."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from kefu.bootstrap import Services
from kefu.cli.main import main
from tests.e2e.faults import eventually
from tests.integration.test_projection_machinery import head, positions
from tests.integration.test_tamper_evidence import tickets_with_history


class FailsAt:
    """process_batch that fails whenever its batch holds `position` (a poison event)."""

    def __init__(self, projection: Any, position: int, error: Exception) -> None:
        self.real = projection.process_batch
        self.position = position
        self.error = error
        self.calls = 0

    def __call__(self, events: Any, tracking: Any) -> None:
        self.calls += 1
        if any(e.position == self.position for e in events):
            raise self.error
        self.real(events, tracking)


def test_a_poison_event_parks_its_projection_just_before_it_and_retry_lets_it_go_on(
    services: Services,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tickets_with_history(services, count=3, urges=1)
    tickets = services.read_models.projection("ticket_views")
    poison = FailsAt(tickets, 4, ValueError("cannot apply"))
    monkeypatch.setattr(tickets, "process_batch", poison)
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    services.projection_runner().catch_up()
    parked_status = main(["projections", "status"])
    printed = capsys.readouterr().out
    monkeypatch.setattr(tickets, "process_batch", poison.real)  # the fix is deployed
    retried = main(["projections", "retry", "ticket_views"])
    services.projection_runner().catch_up()

    assert parked_status == 1
    assert "PARKED ticket_views at position 4" in printed
    assert "ValueError: cannot apply" in printed
    assert retried == 0
    assert services.read_models.health.parked() == {}
    assert set(positions(services.read_models).values()) == {head(services)}


def test_a_parked_projection_rebuilt_after_the_fix_follows_the_log_again(
    services: Services, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets_with_history(services, count=2, urges=1)
    tickets = services.read_models.projection("ticket_views")
    poison = FailsAt(tickets, 2, ValueError("cannot apply"))
    monkeypatch.setattr(tickets, "process_batch", poison)
    services.projection_runner().catch_up()
    assert list(services.read_models.health.parked()) == ["ticket_views"]
    monkeypatch.setattr(tickets, "process_batch", poison.real)
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    assert main(["projections", "rebuild", "ticket_views"]) == 0

    assert services.read_models.health.parked() == {}


def test_a_failure_that_does_not_repeat_parks_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets_with_history(services, count=2, urges=1)
    tickets = services.read_models.projection("ticket_views")
    flaky = FailsAt(tickets, 3, RuntimeError("once"))
    real = flaky.real

    def once(events: Any, tracking: Any) -> None:
        if flaky.calls == 0:
            flaky(events, tracking)
        real(events, tracking)

    monkeypatch.setattr(tickets, "process_batch", once)
    services.projection_runner().catch_up()

    assert services.read_models.health.parked() == {}
    assert set(positions(services.read_models).values()) == {head(services)}


def test_the_runner_waits_out_a_database_outage_and_catches_up(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets_with_history(services, count=2, urges=1)
    recorder = services.app.recorder
    real = recorder.select_notifications
    outage = {"left": 3}

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        if outage["left"] > 0:
            outage["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(recorder, "select_notifications", unavailable)
    runner = services.projection_runner()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,), kwargs={"safety_poll": 0.2})
    thread.start()
    try:
        eventually(
            lambda: set(positions(services.read_models).values()) == {head(services)},
            "the views catch up after the outage",
        )
    finally:
        stop.set()
        thread.join(timeout=60)
    assert outage["left"] == 0
    assert services.read_models.health.parked() == {}
    assert services.read_models.health.last_beat(runner.name) is not None
