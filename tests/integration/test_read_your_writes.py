"""`?after=` waits: woken when the runner commits the position, on both backends."""

from __future__ import annotations

import threading

import pytest

from kefu.bootstrap import Services
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.projections.signals import CommitSignal, PositionPoller
from tests.integration.conftest import context

GENEROUS = 60.0  # seconds: a bound for a busy machine, never a figure under test


def open_ticket(services: Services) -> int:
    command = OpenTicket(channel=Channel.PHONE, category="billing", subject="read your writes")
    position = services.tickets.open(command, context()).answer.position
    assert position is not None
    return position


def test_a_reader_waiting_for_a_position_returns_once_the_runner_has_committed_it(
    services: Services,
) -> None:
    position = open_ticket(services)
    waiter = services.read_models.tickets.position_waiter
    if isinstance(waiter, CommitSignal):
        waiter.recheck = GENEROUS * 10  # so only the runner's NOTIFY can wake the reader in time
    outcome: list[object] = []

    def read() -> None:
        try:
            services.read_models.tickets.wait("ticket_views", position, timeout=GENEROUS)
            outcome.append(services.read_models.tickets.max_tracking_id("ticket_views"))
        except Exception as error:  # reported below, with its type
            outcome.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    services.projection_runner().catch_up()
    reader.join(GENEROUS + 10)

    assert not reader.is_alive()
    assert outcome and isinstance(outcome[0], int) and outcome[0] >= position, outcome


def test_a_position_the_runner_has_not_reached_times_out(services: Services) -> None:
    position = open_ticket(services)  # no runner: the view stays behind

    with pytest.raises(TimeoutError):
        services.read_models.tickets.wait("ticket_views", position, timeout=0.05)


def test_every_view_of_a_process_waits_on_one_shared_waiter(
    services: Services, database_url: str
) -> None:
    views = [p.view for p in services.read_models.projections]
    waiters = {id(view.position_waiter) for view in views}

    assert len(waiters) == 1
    expected = CommitSignal if database_url.startswith("postgresql") else PositionPoller
    assert isinstance(views[0].position_waiter, expected)
