"""Audit benchmark: state-at-time latency with and without snapshots, and the verify rate.

    python -m bench.audit [--database-url URL] [--repeats R]

Figures are printed, never asserted. Each comparison is measured in the same run (the machines
are shared and noisy): latencies as medians, rates beside the plain read rate of the same events.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

from bench.timing import log, median_ms
from kefu.application import ServiceDesk
from kefu.audit.history import state_at
from kefu.audit.log_reading import all_events, verify_log
from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.settings import Settings

SIZES = (10, 1_000, 10_000)


class WithoutSnapshots(ServiceDesk):
    """The same store read without its snapshots."""

    name = ServiceDesk.name
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


def long_ticket(app: ServiceDesk, events: int) -> tuple[UUID, datetime]:
    """A ticket of `events` events (opened, then urged), saved in batches of 500."""
    meta = EventMetadata("bench", "service", uuid4(), uuid4(), None, "bench")
    at = datetime(2030, 1, 1, tzinfo=UTC)
    ticket = Ticket.open(
        channel=Channel.PHONE, customer_id=None, category="bench", priority=Priority.NORMAL,
        subject="long", description="", policy=DeadlinePolicy(), meta=meta, at=at,
    )  # fmt: skip
    for n in range(1, events):
        ticket.urge(
            urged_by="customer", reason=f"urge {n}", meta=meta, at=at + timedelta(seconds=n)
        )
        if n % 500 == 0:
            app.save(ticket)
            log(f"  … {n + 1}/{events} events written")
    app.save(ticket)
    return ticket.id, at + timedelta(seconds=events - 1)


def state_latency(url: str, repeats: int) -> None:
    keyring = Settings(database_url=url).chain_keyring()
    snapshotting, plain = ServiceDesk(url, keyring), WithoutSnapshots(url, keyring)
    print("\nstate at a time (the stream's last moment), median of", repeats, "reads")
    print(f"{'events':>8} {'snapshots ms':>14} {'no snapshots ms':>16} {'ratio':>7}")
    for size in SIZES:
        stream, last = long_ticket(snapshotting, size)

        def read(app: ServiceDesk, stream: UUID = stream, last: datetime = last) -> object:
            return state_at(app, stream, last, None)

        with_ms = median_ms(lambda: read(snapshotting), repeats)
        without_ms = median_ms(lambda: read(plain), repeats)
        print(f"{size:>8} {with_ms:>14.2f} {without_ms:>16.2f} {without_ms / with_ms:>6.1f}x")
    snapshotting.close()
    plain.close()


def verify_rate(url: str) -> None:
    app = ServiceDesk(url, Settings(database_url=url).chain_keyring())
    started = time.perf_counter()
    count = sum(1 for _ in all_events(app))
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    result = verify_log(app, progress=lambda n: log(f"  … {n} verified"))
    verify_s = time.perf_counter() - started
    print(f"\nverify: {result.checked} events, ok={result.ok}")
    print(f"  read only : {count / read_s:>12,.0f} events/s")
    print(f"  verify    : {result.checked / verify_s:>12,.0f} events/s")
    print(f"  ratio     : verify takes {verify_s / read_s:.2f}x the time of reading")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        log(f"database: {url.split('@')[-1]}")
        state_latency(url, args.repeats)
        verify_rate(url)


if __name__ == "__main__":
    main()
