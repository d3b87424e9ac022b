"""`kefu outbox run` killed with SIGKILL mid-delivery and started again: every event reaches
the receiver, in order per aggregate, and only the delivery in flight is sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from kefu.bootstrap import Services, build_services
from kefu.projections.outbox_tables import DELIVERED
from kefu.settings import Settings
from tests.integration.test_webhooks import busy_desk, statuses, subscribe
from tests.receivers import Receiver, receiver, wait_until

KEY = "kill-test-key"


@pytest.fixture
def desk(database_url: str) -> Iterator[Services]:
    services = build_services(Settings(database_url=database_url, webhook_key=KEY))
    yield services
    services.close()


def start_sender(database_url: str, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KEFU_DATABASE_URL": database_url,
        "KEFU_WEBHOOK_KEY": KEY,
        "KEFU_OUTBOX_BACKOFF_SECONDS": "0.05",
        "KEFU_OUTBOX_POLL_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "kefu.cli", "outbox", "run"]
    return subprocess.Popen(command, env=env, cwd=workdir, stderr=subprocess.DEVNULL)


def test_a_sender_killed_mid_delivery_loses_nothing_and_resends_at_most_the_one_in_flight(
    desk: Services, database_url: str, tmp_path: Path
) -> None:
    with receiver() as hook:
        hook.hold_at = 7  # the 7th POST is in flight when the sender dies
        subscription = subscribe(desk, hook.url, aggregate_kinds=("ticket",))
        versions = busy_desk(desk, tickets=5, urges=2)
        sender = start_sender(database_url, tmp_path)
        try:
            wait_until(lambda: hook.count() >= 7, what="the 7th delivery in flight")
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
            hook.release()
            versions.update(busy_desk(desk, tickets=2, urges=1))  # while no sender runs
            sender = start_sender(database_url, tmp_path)
            wait_until(lambda: _all_delivered(desk, subscription, 19), what="19 delivered")
        finally:
            sender.kill()
            sender.wait(timeout=30)
        _assert_exactly_once_in_effect(hook, versions)


def _all_delivered(services: Services, subscription: object, expected: int) -> bool:
    found = statuses(services, subscription)  # type: ignore[arg-type]
    return len(found) == expected and set(found) == {DELIVERED}


def _assert_exactly_once_in_effect(hook: Receiver, versions: dict[object, int]) -> None:
    events = hook.events()
    ids = [e["id"] for e in events]
    assert len(ids) - len(set(ids)) <= 1  # at most the delivery in flight, once more
    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for event in events:
        if event["id"] not in seen:  # the receiver deduplicates by Idempotency-Key
            seen.add(event["id"])
            first_seen[event["aggregate_id"]].append(event["aggregate_version"])
    assert first_seen == {str(t): list(range(1, last + 1)) for t, last in versions.items()}
