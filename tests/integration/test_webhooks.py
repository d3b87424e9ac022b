"""Webhooks on both backends, against real HTTP receivers: every matching event delivered,
in order per aggregate, signed; failures retried, then dead-lettered, then redelivered;
one dead receiver never holds up another subscription."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from kefu.bootstrap import Services, build_services
from kefu.commands.tickets import OpenTicket, UrgeTicket
from kefu.commands.webhooks import (
    PauseWebhook,
    RedeliverWebhook,
    RegisterWebhook,
    ResumeWebhook,
)
from kefu.domain.channels import Channel
from kefu.domain.signing import derive_secret, verify
from kefu.domain.ticket import TicketAction
from kefu.projections.outbox_tables import DEAD, DELIVERED
from kefu.settings import Settings
from tests.integration.conftest import context
from tests.receivers import Receiver, receiver, wait_until

KEY = "test-webhook-key"
OPEN = OpenTicket(channel=Channel.EMAIL, category="billing", subject="charged twice")
URGE = UrgeTicket(urged_by="customer", reason="no answer yet")


@pytest.fixture
def outbox_services(database_url: str) -> Iterator[Services]:
    settings = Settings(
        database_url=database_url,
        webhook_key=KEY,
        outbox_backoff_seconds=0,  # retries fall due at once: no test waits for a backoff
        outbox_max_attempts=3,
        outbox_timeout_seconds=30,
    )
    services = build_services(settings)
    yield services
    services.close()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as started:
        yield started


def subscribe(services: Services, url: str, **kinds: Any) -> UUID:
    command = RegisterWebhook(url=url, **kinds)
    return services.webhooks.register(command, context(actor="root")).answer.id


def busy_desk(services: Services, tickets: int, urges: int) -> dict[UUID, int]:
    """Opens tickets and urges each; returns each ticket's last version."""
    versions = {}
    for _ in range(tickets):
        ticket_id = services.tickets.open(OPEN, context()).answer.id
        for _ in range(urges):
            services.tickets.act(ticket_id, TicketAction.URGE, URGE, context())
        versions[ticket_id] = urges + 1
    return versions


def deliver(services: Services, *subscriptions: UUID) -> None:
    """What `kefu outbox run` does, once, synchronously: queue, then send what is due."""
    service = services.outbox_service()
    service.follower.catch_up()
    for subscription in subscriptions:
        service.worker.send_due(str(subscription))
    service.worker.close()


def versions_by_aggregate(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = defaultdict(list)
    for event in events:
        seen[event["aggregate_id"]].append(event["aggregate_version"])
    return seen


def statuses(services: Services, subscription: UUID) -> list[str]:
    rows = services.outbox.tables.deliveries(str(subscription), None, 0, 1000)
    return [row["status"] for row in rows]


def test_every_matching_event_is_posted_once_signed_and_in_order_per_aggregate(
    outbox_services: Services, hook: Receiver
) -> None:
    services = outbox_services
    subscription = subscribe(services, hook.url, aggregate_kinds=("ticket",))
    versions = busy_desk(services, tickets=4, urges=3)
    deliver(services, subscription)
    events = hook.events()
    assert len(events) == 16 and len({e["id"] for e in events}) == 16
    assert versions_by_aggregate(events) == {str(t): [1, 2, 3, 4] for t in versions}
    secret = derive_secret(KEY.encode(), subscription, 1)
    for request in hook.received:
        headers = request.headers
        assert headers["Idempotency-Key"] == request.event["id"]
        assert verify(
            secret, int(headers["Kefu-Timestamp"]), request.body, headers["Kefu-Signature"]
        )
    assert set(statuses(services, subscription)) == {DELIVERED}


def test_a_subscription_gets_only_its_kinds_and_only_events_after_it_registered(
    outbox_services: Services, hook: Receiver
) -> None:
    services = outbox_services
    busy_desk(services, tickets=1, urges=1)  # before the subscription: not sent
    subscription = subscribe(services, hook.url, event_kinds=("Ticket.Urged",))
    busy_desk(services, tickets=2, urges=2)
    deliver(services, subscription)
    assert [e["kind"] for e in hook.events()] == ["Ticket.Urged"] * 4
    first = hook.events()[0]
    assert first["aggregate_kind"] == "ticket" and first["payload"]["reason"] == "no answer yet"
    assert first["metadata"]["actor_id"] == "desk"


def test_a_failing_receiver_is_retried_then_dead_lettered_then_redelivered_on_request(
    outbox_services: Services, hook: Receiver
) -> None:
    services = outbox_services
    with receiver() as healthy:
        hook.status = 500
        failing = subscribe(services, hook.url, aggregate_kinds=("ticket",))
        flowing = subscribe(services, healthy.url, aggregate_kinds=("ticket",))
        busy_desk(services, tickets=2, urges=1)
        deliver(services, failing, flowing)
        assert len(healthy.events()) == 4 and set(statuses(services, flowing)) == {DELIVERED}
    assert set(statuses(services, failing)) == {DEAD}
    assert hook.count() == 4 * 3  # every delivery tried max_attempts times
    row = services.outbox.tables.deliveries(str(failing), DEAD, 0, 10)[0]
    assert row["attempts"] == 3 and row["last_status_code"] == 500
    assert row["last_error"].startswith("HTTP 500")
    hook.status = 200
    sent_before = hook.count()
    services.webhooks.act(failing, "redeliver", RedeliverWebhook(), context(actor="root"))
    deliver(services, failing)
    again = hook.events()[sent_before:]
    assert len(again) == 4 and set(statuses(services, failing)) == {DELIVERED}
    assert all(versions == [1, 2] for versions in versions_by_aggregate(again).values())


def test_a_hanging_receiver_holds_up_only_its_own_subscription(
    outbox_services: Services, hook: Receiver
) -> None:
    services = outbox_services
    hook.hold_at = 1  # the first POST hangs until released
    with receiver() as healthy:
        stuck = subscribe(services, hook.url, aggregate_kinds=("ticket",))
        subscribe(services, healthy.url, aggregate_kinds=("ticket",))
        stop = threading.Event()
        service = services.outbox_service()
        runner = threading.Thread(target=service.run_forever, args=(stop,))
        runner.start()
        try:
            busy_desk(services, tickets=3, urges=2)
            wait_until(lambda: len(healthy.events()) == 9, what="the healthy receiver's 9")
            assert hook.count() == 1  # still waiting on its first delivery
        finally:
            hook.release()
            wait_until(lambda: set(statuses(services, stuck)) == {DELIVERED}, what="the rest")
            stop.set()
            runner.join(timeout=60)
    assert len(hook.events()) == 9


def test_a_paused_subscription_queues_and_sends_nothing_until_resumed(
    outbox_services: Services, hook: Receiver
) -> None:
    services = outbox_services
    subscription = subscribe(services, hook.url, aggregate_kinds=("ticket",))
    pause = PauseWebhook(reason="receiver maintenance")
    services.webhooks.act(subscription, "pause", pause, context(actor="root"))
    busy_desk(services, tickets=1, urges=1)
    deliver(services, subscription)
    assert hook.count() == 0 and len(statuses(services, subscription)) == 2
    services.webhooks.act(subscription, "resume", ResumeWebhook(), context(actor="root"))
    deliver(services, subscription)
    assert [e["aggregate_version"] for e in hook.events()] == [1, 2]


def test_following_the_log_again_queues_nothing_twice(
    outbox_services: Services, hook: Receiver, database_url: str
) -> None:
    services = outbox_services
    subscription = subscribe(services, hook.url, aggregate_kinds=("ticket",))
    busy_desk(services, tickets=2, urges=1)
    deliver(services, subscription)
    restarted = build_services(services.settings)  # a second process, the same database
    try:
        deliver(restarted, subscription)
        deliver(restarted, subscription)
    finally:
        restarted.close()
    assert hook.count() == 4 and len(statuses(services, subscription)) == 4
