"""Many callers committing at once through the group commit lose nothing and keep every rule.

Threads open tickets (some under an idempotency key that another thread sends at the same
moment), urge one shared ticket against the version they read (most collide), and merge
customer files crosswise (call and agents aside, the multi-aggregate command we have). Then:
every acknowledged command is in the log exactly once where its answer says, every refused one
is absent, `kefu audit verify` is clean and the projections equal a replay of the log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

import pytest

from kefu.application import ConcurrentChange, StaleVersion
from kefu.audit.replay import replay
from kefu.bootstrap import Services
from kefu.cli.main import main
from kefu.commands.customers import MergeCustomer, RegisterCustomer
from kefu.commands.execution import Outcome
from kefu.commands.tickets import OpenTicket, UrgeTicket
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer
from kefu.domain.errors import DomainError
from kefu.domain.ticket import Ticket
from tests.integration.conftest import context

THREADS = 8
ROUNDS = 8
Refusal = (StaleVersion, ConcurrentChange, DomainError)


@dataclass
class Ledger:
    """What the callers were told, filled by every thread."""

    opened: dict[str, list[Outcome]] = field(default_factory=dict)
    urged: dict[str, Outcome] = field(default_factory=dict)
    refused_urges: list[str] = field(default_factory=list)
    merged: dict[int, list[tuple[UUID, UUID]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_threads(work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            work(number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def open_ticket(services: Services, key: str) -> Outcome:
    command = OpenTicket(channel=Channel.PHONE, category="billing", subject=f"subject {key}")
    return services.tickets.open(command, context(key=key, fingerprint=key))


def urge(services: Services, ledger: Ledger, hot: UUID, reason: str) -> None:
    version = services.app.repository.get(hot).version
    ctx = replace(context(), expected_version=version)
    try:
        outcome = services.tickets.act(hot, "urge", UrgeTicket(urged_by="c", reason=reason), ctx)
    except Refusal:
        with ledger.lock:
            ledger.refused_urges.append(reason)
        return
    with ledger.lock:
        ledger.urged[reason] = outcome


def merge(
    services: Services, ledger: Ledger, pair: int, files: tuple[UUID, UUID], flip: bool
) -> None:
    loser, survivor = reversed(files) if flip else files
    try:
        services.customers.act(loser, "merge", MergeCustomer(into=survivor), context())
    except Refusal:
        return
    with ledger.lock:
        ledger.merged.setdefault(pair, []).append((loser, survivor))


def workload(
    services: Services, ledger: Ledger, hot: UUID, pairs: list[tuple[UUID, UUID]]
) -> Callable[[int], None]:
    barrier = threading.Barrier(THREADS)

    def work(number: int) -> None:
        for n in range(ROUNDS):
            barrier.wait()
            key = f"shared-{number // 2}-{n}" if n % 2 else f"own-{number}-{n}"
            outcome = open_ticket(services, key)
            with ledger.lock:
                ledger.opened.setdefault(key, []).append(outcome)
            urge(services, ledger, hot, f"reason-{number}-{n}")
            if number < 2 * len(pairs) and n == 0:
                merge(services, ledger, number // 2, pairs[number // 2], flip=bool(number % 2))

    return work


def all_notifications(services: Services) -> list[Any]:
    return list(services.app.recorder.select_notifications(start=1, limit=1_000_000))


@pytest.fixture
def busy(services: Services) -> tuple[Services, Ledger, UUID, list[tuple[UUID, UUID]]]:
    hot = open_ticket(services, "hot").answer.id
    register = services.customers.register
    pairs = [
        (register(RegisterCustomer(name=f"a{i}"), context()).answer.id,
         register(RegisterCustomer(name=f"b{i}"), context()).answer.id)
        for i in range(THREADS // 2)
    ]  # fmt: skip
    ledger = Ledger()
    run_threads(workload(services, ledger, hot, pairs))
    return services, ledger, hot, pairs


def test_every_acknowledged_open_is_stored_once_and_retries_share_the_first_answer(
    busy: tuple[Services, Ledger, UUID, list[tuple[UUID, UUID]]],
) -> None:
    services, ledger, _, _ = busy
    opened_events = [n for n in all_notifications(services) if n.topic.endswith("Ticket.Opened")]
    stored_ids = [n.originator_id for n in opened_events]

    for key, outcomes in ledger.opened.items():
        assert len({o.answer.id for o in outcomes}) == 1, key
        assert len({o.answer.position for o in outcomes}) == 1, key
        assert sum(not o.replayed for o in outcomes) == 1, key
    acknowledged = {outcomes[0].answer.id for outcomes in ledger.opened.values()}
    assert len(stored_ids) == len(set(stored_ids)) == len(acknowledged) + 1  # and "hot"
    assert acknowledged <= set(stored_ids)


def test_each_answer_names_the_position_its_event_holds(
    busy: tuple[Services, Ledger, UUID, list[tuple[UUID, UUID]]],
) -> None:
    services, ledger, _, _ = busy
    by_position = {n.id: n for n in all_notifications(services)}
    answers = [o.answer for outcomes in ledger.opened.values() for o in outcomes]
    answers += [o.answer for o in ledger.urged.values()]

    for answer in answers:
        stored = by_position[answer.position]
        assert (stored.originator_id, stored.originator_version) == (answer.id, answer.version)


def test_acknowledged_urges_are_stored_once_and_refused_ones_not_at_all(
    busy: tuple[Services, Ledger, UUID, list[tuple[UUID, UUID]]],
) -> None:
    services, ledger, hot, _ = busy
    ticket: Ticket = services.app.repository.get(hot)
    stored = [e.reason for e in services.app.events.get(hot) if isinstance(e, Ticket.Urged)]

    assert sorted(stored) == sorted(ledger.urged)
    assert not set(stored) & set(ledger.refused_urges)
    assert len(ledger.urged) + len(ledger.refused_urges) == THREADS * ROUNDS
    assert ticket.version == 1 + len(ledger.urged)
    assert ledger.refused_urges, "no urge collided: the test did not exercise conflicts"


def test_crossing_merges_commit_one_direction_atomically(
    busy: tuple[Services, Ledger, UUID, list[tuple[UUID, UUID]]],
) -> None:
    services, ledger, _, pairs = busy

    for number, files in enumerate(pairs):
        assert len(ledger.merged.get(number, [])) == 1, files
        loser, survivor = ledger.merged[number][0]
        kept: Customer = services.app.repository.get(survivor)
        gone: Customer = services.app.repository.get(loser)
        assert (gone.merged_into, kept.merged_into) == (survivor, None)
        assert (gone.version, kept.version) == (2, 2)


def test_the_chains_verify_and_the_projections_equal_a_replay(
    busy: tuple[Services, Ledger, UUID, list[tuple[UUID, UUID]]],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services, _, _, _ = busy
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0

    services.projection_runner().catch_up()
    result = replay(services.app, services.read_models, lambda _: None)
    assert result.ok, [str(d) for d in result.differences]
