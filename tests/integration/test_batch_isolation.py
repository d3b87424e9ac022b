"""Inside one batch each write keeps its own outcome, on both backends.

The first batch is held at the door while six writes queue behind it, so the next batch
holds exactly them, in a known order: a keyed open and its retry, two urges of one ticket
from the same version, a merge, and a merge whose survivor the first merge just changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from kefu.application import AnsweredBefore, ConcurrentChange, ServiceDesk
from kefu.bootstrap import Services
from kefu.cli.main import main
from kefu.commands.customers import RegisterCustomer
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.ticket import Ticket
from kefu.store.idempotency import IdempotencyRecord
from tests.integration.conftest import context

WAIT = 60.0


class HeldDoor:
    """Holds the first batch until released; records the size of every batch."""

    def __init__(self, app: ServiceDesk) -> None:
        self.group: Any = getattr(app.recorder, "_group")  # noqa: B009
        self.commit = self.group._commit_batch
        self.sizes: list[int] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.group._commit_batch = self.gated

    def gated(self, batch: list[Any]) -> None:
        self.sizes.append(len(batch))
        if not self.release.is_set():
            self.entered.set()
            assert self.release.wait(WAIT)
        self.commit(batch)

    def hold(self, work: Callable[[], object], results: list[object]) -> threading.Thread:
        """Starts `work` in a thread and returns once its batch is held at the door."""
        thread = _started(work, results)
        assert self.entered.wait(WAIT)
        return thread

    def queue(self, work: Callable[[], object], results: list[object]) -> threading.Thread:
        """Starts `work` in a thread and returns once its write waits in the queue."""
        waiting = len(self.group._pending)
        thread = _started(work, results)
        deadline = time.monotonic() + WAIT
        while len(self.group._pending) == waiting:
            assert time.monotonic() < deadline and thread.is_alive(), results
            time.sleep(0.001)
        return thread


def _started(work: Callable[[], object], results: list[object]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(work())
        except Exception as error:
            results.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def new_ticket(subject: str) -> Ticket:
    meta = context().metadata()
    return Ticket.open(
        channel=Channel.PHONE, customer_id=None, category="billing", priority=Priority.NORMAL,
        subject=subject, description="", policy=DeadlinePolicy(), meta=meta,
        at=datetime.now(UTC),
    )  # fmt: skip


def key_record(ticket: Ticket) -> IdempotencyRecord:
    body = msgspec.json.encode({"id": str(ticket.id), "version": 1, "status": "open"})
    return IdempotencyRecord("desk", "K", "same request", 201, body, ticket.id, 1)


@pytest.fixture
def outcomes(services: Services) -> Iterator[dict[str, Any]]:
    app = services.app
    register = services.customers.register
    ticket_id = services.tickets.open(
        OpenTicket(channel=Channel.PHONE, category="billing", subject="hot"), context()
    ).answer.id
    x, y, z = (register(RegisterCustomer(name=n), context()).answer.id for n in "xyz")
    door = HeldDoor(app)
    results: dict[str, list[object]] = {
        name: [] for name in ["blocker", "first", "retry", "urge1", "urge2", "merge", "stale"]
    }
    first, retry = new_ticket("first"), new_ticket("retry")
    urged = [app.load(Ticket, ticket_id), app.load(Ticket, ticket_id)]
    meta = context().metadata()
    for n, copy in enumerate(urged):
        copy.urge(urged_by="c", reason=f"urge {n}", meta=meta, at=copy.modified_on)
    loser, survivor = app.load(Customer, x), app.load(Customer, y)
    late, stale_survivor = app.load(Customer, z), app.load(Customer, y)
    loser.merge_into(survivor=survivor, meta=meta, at=loser.modified_on)
    late.merge_into(survivor=stale_survivor, meta=meta, at=late.modified_on)

    threads = [door.hold(lambda: app.record(new_ticket("blocker"), None), results["blocker"])]
    threads += [
        door.queue(lambda: app.record(first, key_record(first)), results["first"]),
        door.queue(lambda: app.record(retry, key_record(retry)), results["retry"]),
        door.queue(lambda: app.record(urged[0], None), results["urge1"]),
        door.queue(lambda: app.record(urged[1], None), results["urge2"]),
        door.queue(lambda: app.record_together((loser, survivor), None), results["merge"]),
        door.queue(lambda: app.record_together((late, stale_survivor), None), results["stale"]),
    ]
    door.release.set()
    for thread in threads:
        thread.join(WAIT)
    yield {
        "app": app, "sizes": door.sizes, "ticket": ticket_id, "retry_ticket": retry,
        "x": x, "y": y, "z": z, **{name: found[0] for name, found in results.items()},
    }  # fmt: skip


def test_the_six_writes_shared_one_batch(outcomes: dict[str, Any]) -> None:
    assert outcomes["sizes"][:2] == [1, 6]


def test_a_retry_in_the_batch_of_its_original_writes_nothing_and_gets_its_answer(
    outcomes: dict[str, Any],
) -> None:
    app: ServiceDesk = outcomes["app"]
    refusal = outcomes["retry"]

    assert isinstance(refusal, AnsweredBefore)
    assert refusal.answer.position == outcomes["first"] and isinstance(outcomes["first"], int)
    assert app.recorder.select_events(outcomes["retry_ticket"].id) == []
    assert app.answer_for("desk", "K") == refusal.answer


def test_the_second_urge_from_the_same_version_fails_alone(outcomes: dict[str, Any]) -> None:
    app: ServiceDesk = outcomes["app"]

    assert isinstance(outcomes["urge1"], int)
    assert isinstance(outcomes["urge2"], ConcurrentChange)
    urges = [e.reason for e in app.events.get(outcomes["ticket"]) if isinstance(e, Ticket.Urged)]
    assert urges == ["urge 0"]


def test_a_multi_aggregate_write_that_collides_on_one_aggregate_writes_none(
    outcomes: dict[str, Any],
) -> None:
    app: ServiceDesk = outcomes["app"]

    assert isinstance(outcomes["merge"], int)
    assert isinstance(outcomes["stale"], ConcurrentChange)
    assert app.load(Customer, outcomes["x"]).merged_into == outcomes["y"]
    assert app.load(Customer, outcomes["z"]).version == 1
    assert app.load(Customer, outcomes["y"]).version == 2


def test_the_chains_verify_after_the_mixed_batch(
    outcomes: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
