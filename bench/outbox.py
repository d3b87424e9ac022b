"""Outbox benchmark: how fast the follower turns the log into webhook deliveries, and how
fast the worker sends them, each beside a baseline measured in the same run.

    python -m bench.outbox [--events N] [--database-url URL]

Three subscriptions are registered first (every ticket event; customer files; resolved
tickets only), then N events (20 000 by default) are loaded the fast way. Baselines: reading
and decoding the same events (what any follower must do), and POSTing the same bodies to the
same local receiver in a plain loop (what any sender must do). Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from bench.projections import META, line, load, log, read_all, timed
from kefu.application import ServiceDesk
from kefu.domain.backoff import Backoff
from kefu.domain.subscription import Subscription
from kefu.processes.delivery_worker import DeliveryWorker
from kefu.processes.webhook_sender import WebhookSender
from kefu.projections.outbox_follower import OutboxFollower
from kefu.projections.outbox_tables import OutboxStore
from kefu.settings import Settings

TARGETS = (((), ("ticket",)), ((), ("customer",)), (("Ticket.Resolved",), ()))


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def subscribe(app: ServiceDesk, url: str) -> list[str]:
    made = []
    for kinds, aggregates in TARGETS:
        s = Subscription.register(
            url=url, event_kinds=kinds, aggregate_kinds=aggregates, description="bench",
            meta=META, at=datetime.now(UTC),
        )  # fmt: skip
        app.save(s)
        made.append(str(s.id))
    return made


def plain_posts(url: str, bodies: list[str]) -> int:
    for body in bodies:
        request = urllib.request.Request(url, data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
    return len(bodies)


def send_all(worker: DeliveryWorker, subscriptions: list[str]) -> int:
    lanes = [Thread(target=worker.send_due, args=(s,)) for s in subscriptions]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    return 0


def measure(app: ServiceDesk, store: OutboxStore, url: str, subscriptions: list[str]) -> None:
    count, read_s = timed(lambda: read_all(app))
    follower = OutboxFollower(app, store, lambda: datetime.now(UTC))
    _, follow_s = timed(follower.catch_up)
    queued = sum(sum(c.values()) for c in store.tables.counts().values())
    print(f"\n{count} events in the store, {queued} deliveries queued for 3 subscriptions")
    line("read + decode only (the baseline)", count, read_s)
    line("outbox follower (queue deliveries)", count, follow_s)
    print(f"  follower / baseline: {read_s / follow_s:.2f} of the plain read rate")
    sample = [
        r["body"] for r in store.tables.query("SELECT body FROM webhook_deliveries LIMIT 500")
    ]
    posted, plain_s = timed(lambda: plain_posts(url, sample))
    sender = WebhookSender(b"bench-key", 10)
    worker = DeliveryWorker(store.tables, sender, Backoff(), lambda: datetime.now(UTC), lanes=3)
    _, send_s = timed(lambda: send_all(worker, subscriptions))
    worker.close()
    line("plain POST loop, one connection at a time (baseline)", posted, plain_s)
    line("delivery worker, 3 lanes, signed, recorded", queued, send_s)
    print(f"  worker / baseline: {(queued / send_s) / (posted / plain_s):.2f}x the plain POST rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        log(f"database: {database.split('@')[-1]}")
        app = ServiceDesk(database, Settings(database_url=database).chain_keyring())
        store = OutboxStore(database)
        try:
            subscriptions = subscribe(app, url)
            load(app, args.events)
            measure(app, store, url, subscriptions)
        finally:
            store.close()
            app.close()
            server.shutdown()


if __name__ == "__main__":
    main()
