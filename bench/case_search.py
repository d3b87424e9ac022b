"""Case search benchmark: `?q=` over tickets with threads, beside a plain indexed lookup.

    python -m bench.case_search [--tickets N] [--entries E] [--database-url URL] [--repeats R]

Feeds N tickets (a generated Chinese subject and description, and E thread entries each)
through the ticket and thread projections, as the runner would, then times (medians) the
case index's phrase search (what `GET /tickets?q=` runs) and its fuzzy search (`GET /search`'s
default) for phrases planted in 1% of the tickets, and in the same run a plain indexed
lookup: the ticket view's rows of one customer (`customer_id` index). Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import Tracking

from bench.timing import han_text, median_ms, progress
from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.thread import EntryContent, EntryKind, post_entry
from kefu.domain.ticket import Ticket
from kefu.projections.batch import Positioned
from kefu.projections.read_models import ReadModels
from kefu.search.index import SearchQuery

QUERIES = ["发票金额多收", "快递没有收到", "账号密码登录", "退款还没到账"]


def text(rng: random.Random, length: int) -> str:
    return han_text(rng, length, QUERIES, 0.01)


def load(models: ReadModels, count: int, entries: int) -> None:
    """Feeds the ticket and thread projections each ticket's events, about 3 000 per batch."""
    rng = random.Random(2030)
    meta = EventMetadata("bench", "service", uuid4(), uuid4(), None, "bench")
    at = datetime(2030, 1, 1, tzinfo=UTC)
    projections = [models.projection("ticket_views"), models.projection("thread_entries")]
    batch: list[Positioned] = []
    position = 0
    bar = progress(count, "ticket")
    for n in range(count):
        ticket = Ticket.open(
            channel=Channel.EMAIL, customer_id=f"c{n % 5000}", category="email",
            priority=Priority.NORMAL, subject=text(rng, 20), description=text(rng, 120),
            policy=DeadlinePolicy(), meta=meta, at=at,
        )  # fmt: skip
        for e in range(entries):
            kind = EntryKind.CUSTOMER_MESSAGE if e % 2 == 0 else EntryKind.INTERNAL_NOTE
            entry = EntryContent(kind, "bench", Channel.EMAIL, text(rng, 80))
            post_entry(ticket, entry, meta=meta, at=at)
        for event in ticket.collect_events():
            position += 1
            batch.append(Positioned(event, position))
        if len(batch) >= 3000 or n == count - 1:
            for projection in projections:
                projection.process_batch(batch, Tracking(projection.name, position))
            batch = []
            bar.update(n + 1 - bar.n)
    bar.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp)}/bench.sqlite3"
        models = ReadModels(url)
        started = time.perf_counter()
        load(models, args.tickets, args.entries)
        seconds = time.perf_counter() - started
        print(f"projected {args.tickets} tickets with {args.entries} entries each in "
              f"{seconds:.0f} s ({args.tickets / seconds:.0f} tickets/s)")  # fmt: skip
        threads, tickets = models.threads, models.tickets
        lookup = median_ms(
            lambda: tickets.query(
                "SELECT id FROM ticket_views WHERE customer_id = :c", {"c": "c42"}
            ),
            args.repeats,
        )
        for query in QUERIES:
            found = threads.search_tickets(SearchQuery(query, exact=True, limit=200))
            phrase = median_ms(
                lambda q=query: threads.search_tickets(SearchQuery(q, exact=True, limit=200)),
                args.repeats,
            )
            similar = median_ms(
                lambda q=query: threads.search_tickets(SearchQuery(q, limit=20)), args.repeats
            )
            print(f"{query}: {len(found)} tickets, ?q= {phrase:.1f} ms, fuzzy (GET /search) "
                  f"{similar:.1f} ms; indexed lookup by customer {lookup:.2f} ms")  # fmt: skip
        models.close()


if __name__ == "__main__":
    main()
