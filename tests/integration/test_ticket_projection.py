"""The ticket view projection on the real stores: exactly once, live, restartable."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kefu.bootstrap import Services
from kefu.commands.tickets import DispatchTicket, OpenTicket, UrgeTicket
from kefu.domain.channels import Channel
from kefu.domain.ticket_lifecycle import TicketAction
from kefu.projections.batch import Positioned
from kefu.projections.runner import ProjectionRunner
from tests.integration.conftest import ServicesFactory, context

OPEN = OpenTicket(channel=Channel.EMAIL, category="billing", subject="charged twice")
URGE = UrgeTicket(urged_by="customer", reason="no answer yet")


def busy_desk(services: Services, tickets: int, urges: int) -> list[Any]:
    ids = [services.tickets.open(OPEN, context()).answer.id for _ in range(tickets)]
    for ticket_id in ids:
        for _ in range(urges):
            services.tickets.act(ticket_id, TicketAction.URGE, URGE, context())
    return ids


def test_catching_up_twice_counts_every_event_once(services: Services) -> None:
    ids = busy_desk(services, tickets=3, urges=4)
    runner = services.projection_runner()

    runner.catch_up()
    runner.catch_up()

    views = [services.read_models.tickets.get(i) for i in ids]
    assert [v.urge_count for v in views if v] == [4, 4, 4]


def test_a_runner_killed_mid_batch_resumes_without_loss_or_double_counting(
    open_services: ServicesFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_services()
    ids = busy_desk(services, tickets=4, urges=5)
    projection = services.read_models.projections[0]
    original = type(projection).process_batch
    calls = 0

    def crash_on_second_batch(self: Any, events: list[Positioned], tracking: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            with self.view.write() as tx:  # rows written, then the process dies
                self.view.save(tx, {}, tracking)
                raise SystemExit("killed")
        original(self, events, tracking)

    monkeypatch.setattr(type(projection), "process_batch", crash_on_second_batch)
    with pytest.raises(SystemExit):
        ProjectionRunner(services.app, [projection], batch_size=7).catch_up()
    monkeypatch.undo()

    restarted = open_services()
    ProjectionRunner(restarted.app, restarted.read_models.projections, batch_size=7).catch_up()
    views = [restarted.read_models.tickets.get(i) for i in ids]
    assert [v.urge_count for v in views if v] == [5, 5, 5, 5]
    assert all(v is not None and v.version == 6 for v in views)


def test_a_running_projection_follows_new_events_live(services: Services) -> None:
    runner = services.projection_runner()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,), kwargs={"safety_poll": 0.5})
    thread.start()
    try:
        opened = services.tickets.open(OPEN, context())
        dispatched = services.tickets.act(
            opened.answer.id, TicketAction.DISPATCH, DispatchTicket(department="finance"), context()
        )
        projection = services.read_models.projections[0]
        projection.view.wait(projection.name, dispatched.answer.position, timeout=10)
    finally:
        stop.set()
        thread.join(timeout=10)

    view = services.read_models.tickets.get(opened.answer.id)
    assert view is not None and (view.status, view.department) == ("dispatched", "finance")
    assert not thread.is_alive()


def test_ready_reports_the_lag_of_each_projection(services: Services) -> None:
    busy_desk(services, tickets=2, urges=1)
    head = services.app.recorder.max_notification_id() or 0

    lags = services.read_models.lag(head)
    assert {lag.projection for lag in lags} >= {"ticket_views", "actor_events"}
    assert all(lag.behind == head for lag in lags)
    services.projection_runner().catch_up()
    assert all(lag.behind == 0 for lag in services.read_models.lag(head))
