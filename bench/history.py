"""History benchmark: do reads stay flat as the event log grows?

    python -m bench.history [--events N] [--scale K] [--database-url URL]

Builds two stores in the same run, one of N events (50 000 by default) and one of KxN (K = 20
by default, so 1 000 000), and times the same reads and a command on both: list pages (several
filters and sorts, the first page and one deep in the list), reports, state at a time. Both
stores end at the same instant with the same recent activity (a ticket every few minutes; the
tickets of the last day still in progress, every older one closed); the big one only has a
longer past. Events are written through the application's real recorders (hash chain included)
in batches of aggregates, then every projection catches up through the real runner. Figures are
medians of several rounds, printed with the ratio big ÷ small; never asserted.

With `--database-url postgresql://…` two scratch databases are made on that server (and dropped
at the end); without it, two SQLite files in a temporary directory. With `--keep` (PostgreSQL)
the databases are named by their size, kept, and timed again by the next run with the same
sizes instead of loaded again (a 1,000,000-event store takes about half an hour to load); after
a change to a projection, rebuild it there first (`kefu projections rebuild`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import psycopg
from eventsourcing.domain import Aggregate
from psycopg import sql
from tqdm import tqdm

from kefu.audit.history import state_at
from kefu.bootstrap import Services, build_services
from kefu.commands.context import Context
from kefu.commands.tickets import DispatchTicket, OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.projections.listing import Filter, ListQuery, encode_cursor
from kefu.projections.reports.agents import agents_report
from kefu.projections.reports.buckets import Period
from kefu.projections.reports.ledger import ledger_report
from kefu.projections.reports.query import ReportQuery
from kefu.projections.reports.satisfaction import satisfaction_report
from kefu.projections.reports.tickets import tickets_report
from kefu.projections.sql import db_time, from_db_time
from kefu.settings import Settings

END = datetime(2031, 6, 1, tzinfo=UTC)
EVERY = timedelta(minutes=3)  # one ticket opened per interval, back from END
STILL_OPEN = timedelta(days=1)  # tickets younger than this are still being worked on
SAVE_BATCH = 250  # aggregates per save: one transaction, one chain extension
ROUNDS = 11
META = EventMetadata("bench", "service", uuid4(), uuid4(), None, "bench")
CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.SMS, Channel.WECHAT)
CATEGORIES = ("billing", "delivery", "account", "product")
DEPARTMENTS = ("billing", "refunds", "logistics", "tech")
PRIORITIES = (Priority.NORMAL, Priority.NORMAL, Priority.IMPORTANT, Priority.URGENT)
POLICY = DeadlinePolicy()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ticket(n: int, opened: datetime) -> Ticket:
    """Ticket `n` opened at `opened`, taken as far through its lifecycle as its age allows."""
    t = Ticket.open(
        channel=CHANNELS[n % 4], customer_id=f"c-{n % 5000}", category=CATEGORIES[n // 4 % 4],
        priority=PRIORITIES[n % 4], subject="double charge", description="", policy=POLICY,
        meta=META, at=opened,
    )  # fmt: skip
    steps: list[tuple[timedelta, Callable[[datetime], None]]] = [
        (timedelta(minutes=20), lambda at: t.dispatch(
            department=DEPARTMENTS[n % 3], agent_id=f"agent-{n % 50}", meta=META, at=at)),
        (timedelta(hours=1), lambda at: t.start(meta=META, at=at)),
        (timedelta(hours=6), lambda at: t.resolve(
            resolution="refunded", code="refund", meta=META, at=at)),
        (timedelta(hours=8), lambda at: t.give_feedback(
            channel=Channel.SMS, message="", meta=META, at=at)),
        (timedelta(hours=9), lambda at: t.rate(score=1 + n % 5, comment="", meta=META, at=at)),
        (timedelta(hours=30), lambda at: t.close(meta=META, at=at)),
    ]  # fmt: skip
    for after, step in steps:
        if opened + after + timedelta(seconds=n % 600) > END:
            break
        step(opened + after + timedelta(seconds=n % 600))
    return t


def customer(n: int, at: datetime) -> Customer:
    return Customer.register(
        name=f"customer {n}", phones=(f"+86139{n:08d}",), source_channel="phone", meta=META, at=at
    )


def aggregates(events: int) -> Iterator[Aggregate]:
    """Tickets (mostly 7 events) and a customer file per five tickets, oldest first, ending at
    END, about `events` events in all."""
    count = events * 5 // 36  # 5 tickets x 7 events + 1 customer file per 36 events
    for k in range(count):
        opened = END - (count - k) * EVERY
        yield ticket(k, opened)
        if k % 5 == 4:
            yield customer(k, opened)


def load(services: Services, events: int, label: str) -> int:
    """Writes the aggregates a batch at a time, then lets every projection catch up."""
    saved = 0
    batch: list[Aggregate] = []
    with tqdm(total=events, desc=f"{label}: writing", unit="ev", disable=None) as bar:
        for aggregate in aggregates(events):
            batch.append(aggregate)
            if len(batch) == SAVE_BATCH:
                saved += _save(services, batch, bar)
        saved += _save(services, batch, bar)
    return catch_up(services, saved, label)


def catch_up(services: Services, events: int, label: str) -> int:
    """Every projection up to the head of the log; returns `events`."""
    runner = services.projection_runner()
    with tqdm(total=events, desc=f"{label}: projecting", unit="ev", disable=None) as bar:
        while read := runner.step_all():
            bar.update(read)
    return events


def _save(services: Services, batch: list[Aggregate], bar: Any) -> int:
    count = sum(len(a.pending_events) for a in batch)
    if batch:
        services.app.save(*batch)
    batch.clear()
    bar.update(count)
    return count


def deep_cursor(services: Services, query: ListQuery, depth: float = 0.5) -> str | None:
    """A cursor `depth` of the way down the list (found once, untimed, with OFFSET); None for
    an empty list (a tiny store)."""
    view = services.read_models.tickets
    total = view.query(f"SELECT COUNT(*) AS n FROM {view.table} {_where(query)}", _params(query))
    offset = int(total[0]["n"] * depth)
    order, sort = query.order_by, "DESC" if query.descending else "ASC"
    row = view.query(
        f"SELECT {order} AS k, id FROM {view.table} {_where(query)} "
        f"ORDER BY {order} {sort}, id {sort} LIMIT 1 OFFSET {offset}",
        _params(query),
    )
    return encode_cursor(row[0]["k"], row[0]["id"]) if row else None


def _where(query: ListQuery) -> str:
    terms = [f"{f.column} = :f{n}" for n, f in enumerate(query.filters)]
    return "WHERE " + " AND ".join(terms) if terms else ""


def _params(query: ListQuery) -> dict[str, Any]:
    return {f"f{n}": f.value for n, f in enumerate(query.filters)}


LISTS = {
    "tickets, opened": ListQuery(order_by="opened_at", limit=50),
    "tickets, newest first": ListQuery(order_by="opened_at", descending=True, limit=50),
    "tickets status=open, opened": ListQuery(
        filters=[Filter("status", "eq", "open")], order_by="opened_at", limit=50
    ),
    "tickets status=closed, due": ListQuery(
        filters=[Filter("status", "eq", "closed")], order_by="resolution_due_at", limit=50
    ),
    "tickets, by priority": ListQuery(order_by="priority_rank", limit=50),
    "tickets, updated": ListQuery(order_by="updated_at", descending=True, limit=50),
}


def workloads(services: Services) -> dict[str, Callable[[], object]]:
    """Every timed read and command, prepared against `services` (cursors found beforehand)."""
    tickets = services.read_models.tickets
    work: dict[str, Callable[[], object]] = {}
    for name, query in LISTS.items():
        work[f"list {name}: page 1"] = lambda q=query: tickets.page(q)
        deep = ListQuery(**{**query.__dict__, "cursor": deep_cursor(services, query)})
        work[f"list {name}: deep page"] = lambda q=deep: tickets.page(q)
    work["work queue of one agent"] = lambda: tickets.queue("agent-7", 50, None)
    views, zone = services.read_models.reports, ZoneInfo("Asia/Shanghai")

    def timed_report(run: Any, days: int, period: Period, group: str | None = None) -> Any:
        q = ReportQuery(END - timedelta(days=days), END, period, group, zone, END)
        return lambda: run(views, q)

    work["report tickets, 7 days by day"] = timed_report(tickets_report, 7, Period.DAY)
    work["report tickets, 7 days by department"] = timed_report(
        tickets_report, 7, Period.DAY, "department"
    )
    work["report satisfaction, 7 days by day"] = timed_report(satisfaction_report, 7, Period.DAY)
    work["report agents, 7 days by day"] = timed_report(agents_report, 7, Period.DAY)
    work["report ledger, 1 day"] = timed_report(ledger_report, 1, Period.DAY)
    stream, opened = _a_ticket(services, age=timedelta(days=3))
    work["state at a time (a 3-day-old ticket)"] = lambda: state_at(
        services.app, stream, opened + timedelta(hours=5), None
    )
    work["command: open and dispatch a ticket"] = lambda: _command(services)
    return work


def _a_ticket(services: Services, age: timedelta) -> tuple[UUID, datetime]:
    """The first ticket opened `age` before the end (or the oldest one), and when it opened."""
    view = services.read_models.tickets
    rows = view.query(
        f"SELECT id, opened_at FROM {view.table} WHERE opened_at >= :at "
        "ORDER BY opened_at, id LIMIT 1",
        {"at": db_time(END - age)},
    )
    opened = from_db_time(rows[0]["opened_at"])
    assert opened is not None
    return UUID(rows[0]["id"]), opened


def _command(services: Services) -> None:
    ctx = Context("bench", "service", uuid4(), uuid4())
    opened = OpenTicket(channel=Channel.PHONE, category="billing", subject="timed")
    answer = services.tickets.open(opened, ctx).answer
    services.tickets.act(answer.id, "dispatch", DispatchTicket(department="billing"), ctx)


def median_ms(work: Callable[[], object]) -> float:
    work()  # warm: caches and prepared statements
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(url: str, events: int, label: str) -> tuple[int, dict[str, float]]:
    """The store's size in events, and the median time of every workload on it (a store kept
    from an earlier run is only brought up to date)."""
    services = build_services(Settings(database_url=url), clock=lambda: END)
    try:
        kept = services.app.recorder.max_notification_id()
        loaded = catch_up(services, kept, label) if kept else load(services, events, label)
        log(f"{label}: {loaded:,} events; timing {ROUNDS} rounds of each read")
        return loaded, {name: median_ms(work) for name, work in workloads(services).items()}
    finally:
        services.close()


def report(sizes: tuple[int, int], small: dict[str, float], big: dict[str, float]) -> None:
    print(f"\nmedian ms: {sizes[0]:,} events vs {sizes[1]:,} events ({sizes[1] / sizes[0]:g}x)")
    print(f"  {'':<46} {'small':>9} {'big':>9} {'big/small':>10}")
    for name in small:
        ratio = big[name] / small[name]
        print(f"  {name:<46} {small[name]:>9.2f} {big[name]:>9.2f} {ratio:>9.2f}x")
    worst = max(small, key=lambda n: big[n] / small[n])
    print(f"  worst ratio: {big[worst] / small[worst]:.2f}x ({worst})")


def databases(
    server_url: str | None, scratch: Path, sizes: Sequence[int], keep: bool
) -> Iterator[str]:
    """A store per size: SQLite files, or databases made on the PostgreSQL server (empty, or
    as an earlier run with `keep` left them)."""
    for size in sizes:
        name = f"kefu_bench_history_{size}"
        if server_url is None:
            yield f"sqlite:///{scratch / name}.sqlite3"
            continue
        with psycopg.connect(server_url, autocommit=True) as connection:
            found = "SELECT 1 FROM pg_database WHERE datname = %s"
            if not (keep and connection.execute(found, (name,)).fetchone()):
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
                )
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield server_url.rsplit("/", 1)[0] + "/" + name


def drop(server_url: str | None, url: str) -> None:
    if server_url is not None:
        with psycopg.connect(server_url, autocommit=True) as connection:
            name = sql.Identifier(url.rsplit("/", 1)[1])
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default: SQLite files")
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the stores, reuse kept ones"
    )
    args = parser.parse_args()
    sizes = (args.events, args.events * args.scale)
    keep = args.keep and args.database_url is not None
    results: list[tuple[int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        stores = databases(args.database_url, Path(scratch), sizes, keep)
        for size, url in zip(sizes, stores, strict=True):
            log(f"store of {size:,} events: {url.split('@')[-1]}")
            try:
                results.append(measure(url, size, f"{size:,}"))
            finally:
                if not keep:
                    drop(args.database_url, url)
    (small_size, small), (big_size, big) = results
    report((small_size, big_size), small, big)


if __name__ == "__main__":
    main()
