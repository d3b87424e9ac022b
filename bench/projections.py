"""Projection benchmark: catch-up rate of the ticket view alone and of every projection
together, beside the rate of simply reading the same events from the store.

    python -m bench.projections [--events N] [--database-url URL]

N events (100 000 by default) are loaded the fast way (aggregates built in memory, saved in
batches): tickets through their whole lifecycle and customer files with orders, so every kind
of view gets rows. Figures are printed, never asserted; all three rates come from the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.projections.read_models import ReadModels
from kefu.projections.rebuild import fresh_projection
from kefu.projections.runner import ProjectionRunner
from kefu.settings import Settings

SAVE_BATCH = 200  # aggregates per app.save
START = datetime(2030, 1, 1, tzinfo=UTC)
META = EventMetadata("bench", "service", uuid4(), uuid4(), None, "bench")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ticket_walk(n: int) -> Ticket:
    """A ticket opened, dispatched, started, urged, resolved, given feedback, rated, closed."""
    at = START + timedelta(minutes=n)
    t = Ticket.open(
        channel=Channel.PHONE, customer_id=f"c-{n % 5000}", category="billing",
        priority=Priority.NORMAL, subject="double charge", description="", policy=DeadlinePolicy(),
        meta=META, at=at,
    )  # fmt: skip
    t.dispatch(department="billing", agent_id=f"agent-{n % 50}", meta=META, at=at)
    t.start(meta=META, at=at + timedelta(minutes=5))
    t.urge(urged_by="customer", reason="still waiting", meta=META, at=at + timedelta(hours=1))
    t.resolve(resolution="refunded", code="refund", meta=META, at=at + timedelta(hours=2))
    t.give_feedback(channel=Channel.SMS, message="", meta=META, at=at + timedelta(hours=3))
    t.rate(score=1 + n % 5, comment="", meta=META, at=at + timedelta(hours=4))
    t.close(meta=META, at=at + timedelta(hours=5))
    return t


def customer_file(n: int) -> Customer:
    """A customer file with two orders."""
    at = START + timedelta(minutes=n)
    c = Customer.register(
        name=f"customer {n}", phones=(f"+86139{n:08d}",), source_channel="phone", meta=META, at=at
    )
    for k in range(2):
        c.record_order(
            number=f"o-{n}-{k}", package=None, items=(), add_ons=(), amount=Decimal("59.90"),
            ordered_on=date(2030, 1, 1), meta=META, at=at + timedelta(days=k),
        )  # fmt: skip
    return c


def aggregates(events: int) -> Iterator[Aggregate]:
    """Tickets (8 events) and customer files (3 events), 2:1, until `events` are made."""
    made = n = 0
    while made < events:
        aggregate: Aggregate = customer_file(n) if n % 3 == 2 else ticket_walk(n)
        made += len(aggregate.pending_events)
        n += 1
        yield aggregate


def load(app: ServiceDesk, events: int) -> int:
    batch: list[Aggregate] = []
    saved = 0
    for aggregate in aggregates(events):
        batch.append(aggregate)
        if len(batch) == SAVE_BATCH:
            saved += _save(app, batch)
            log(f"  … {saved}/{events} events written")
    return saved + _save(app, batch)


def _save(app: ServiceDesk, batch: list[Aggregate]) -> int:
    count = sum(len(a.pending_events) for a in batch)
    if batch:
        app.save(*batch)
    batch.clear()
    return count


def timed(work: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    count = work()
    return count, time.perf_counter() - started


def read_all(app: ServiceDesk) -> int:
    """Select every notification and decode it: what any catch-up must do at the least."""
    position = count = 0
    while notes := app.recorder.select_notifications(
        start=position, limit=500, inclusive_of_start=False
    ):
        app.mapper.to_domain_events(notes)
        count += len(notes)
        position = notes[-1].id
    return count


def catch_up(app: ServiceDesk, projection: Any) -> int:
    """One projection from position 0 to the head, as `kefu projections run` does it."""
    runner = ProjectionRunner(app, [projection])
    total = shown = 0
    while read := runner.step(projection):
        total += read
        if total - shown >= 25_000:
            shown = total
            log(f"  … {projection.name}: {total} events")
    return total


def line(label: str, events: int, seconds: float) -> None:
    print(f"  {label:<36} {seconds:>8.2f} s {events / seconds:>12,.0f} events/s")


def catch_up_together(app: ServiceDesk, projections: list[Any]) -> int:
    """Every projection from position 0, one shared read per batch, as the runner does it."""
    runner = ProjectionRunner(app, projections)
    total = shown = 0
    while read := runner.step_all():
        total += read
        if total - shown >= 25_000:
            shown = total
            log(f"  … all projections, one read: {total} events")
    return total


def measure(app: ServiceDesk, read_models: ReadModels, events: int) -> None:
    count, read_s = timed(lambda: read_all(app))
    print(f"\n{count} events in the store; catch-up from position 0 (batches of 500)")
    line("read + decode only (the baseline)", count, read_s)
    shared = [fresh_projection(read_models, p, "bench__") for p in read_models.projections]
    done, together_s = timed(partial(catch_up_together, app, shared))
    assert done == count
    seconds: dict[str, float] = {}
    for projection in read_models.projections:
        done, seconds[projection.name] = timed(partial(catch_up, app, projection))
        assert done == count
    line("ticket view alone", count, seconds["ticket_views"])
    line(f"all {len(seconds)} one after the other", count, sum(seconds.values()))
    line(f"all {len(seconds)} together, one shared read", count, together_s)
    print("  per projection:")
    for name, spent in seconds.items():
        line(f"  {name}", count, spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        log(f"database: {url.split('@')[-1]}")
        app = ServiceDesk(url, Settings(database_url=url).chain_keyring())
        read_models = ReadModels(url)
        try:
            load(app, args.events)
            measure(app, read_models, args.events)
        finally:
            read_models.close()
            app.close()


if __name__ == "__main__":
    main()
