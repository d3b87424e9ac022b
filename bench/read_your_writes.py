"""Read-your-writes benchmark: from a command's commit to its effect visible in a view.

    python -m bench.read_your_writes [--samples N] [--database-url URL]

The projection runner runs as its own process (`kefu projections run`), as under `kefu serve`.
Each sample opens a ticket through the command layer, then waits until the ticket view has
processed the command's position: with kefu's waiter (`?after=`: woken by the runner's NOTIFY
on PostgreSQL, short growing polls on SQLite) and, alternately, with eventsourcing's own
`TrackingRecorder.wait` (check, then sleep 100 ms, 200 ms, ...), the baseline in the same run.
Prints p50/p99 of each. SQLite always; PostgreSQL too with `--database-url` (a server URL: a
scratch database is made there and dropped at the end).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import psycopg
from eventsourcing.persistence import TrackingRecorder
from psycopg import sql
from tqdm import tqdm

from kefu.bootstrap import Services, build_services
from kefu.commands.context import Context
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.settings import Settings

SCRATCH_DB = "kefu_bench_read_your_writes"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def runner_process(url: str) -> Iterator[None]:
    """`kefu projections run` on `url`, stopped at the end."""
    env = {**os.environ, "KEFU_DATABASE_URL": url}
    command = [sys.executable, "-m", "kefu.cli", "projections", "run"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


Wait = Callable[[Services, int], None]


def kefu_wait(services: Services, position: int) -> None:
    services.read_models.tickets.wait("ticket_views", position, timeout=10)


def library_wait(services: Services, position: int) -> None:
    TrackingRecorder.wait(services.read_models.tickets, "ticket_views", position, timeout=10)


def sample(services: Services, wait: Wait) -> float:
    """Seconds from a command's return (its commit) until the ticket view shows it."""
    ctx = Context("bench", "service", uuid4(), uuid4())
    command = OpenTicket(channel=Channel.PHONE, category="billing", subject="read your writes")
    position = services.tickets.open(command, ctx).answer.position
    started = time.perf_counter()
    wait(services, position)
    return time.perf_counter() - started


def measure(url: str, samples: int) -> dict[str, list[float]]:
    services = build_services(Settings(database_url=url))
    waits: dict[str, Wait] = {"kefu (?after=)": kefu_wait, "eventsourcing wait": library_wait}
    found: dict[str, list[float]] = {name: [] for name in waits}
    try:
        with runner_process(url):
            sample(services, library_wait)  # the runner is up and caught up
            for n in tqdm(range(samples * 2), desc=url.split(":")[0], disable=None):
                name = list(waits)[n % 2]
                found[name].append(sample(services, waits[name]))
                time.sleep(random.uniform(0, 0.02))  # not in step with the runner's polls
    finally:
        services.close()
    return found


def show(backend: str, found: dict[str, list[float]]) -> None:
    count = len(found["kefu (?after=)"])
    print(f"\n{backend}: commit -> visible in the ticket view, ms ({count} samples each)")
    summary = {}
    for name, seconds in found.items():
        cuts = statistics.quantiles([s * 1000 for s in seconds], n=100)
        summary[name] = (statistics.median(seconds) * 1000, cuts[98])
        print(f"  {name:<22} p50 {summary[name][0]:>7.1f}   p99 {summary[name][1]:>7.1f}")
    ours, theirs = summary["kefu (?after=)"], summary["eventsourcing wait"]
    p50, p99 = ours[0] / theirs[0], ours[1] / theirs[1]
    print(f"  kefu / baseline        p50 {p50:>7.2f}x  p99 {p99:>7.2f}x")


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SCRATCH_DB)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH_DB)))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + SCRATCH_DB
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(statement.format(sql.Identifier(SCRATCH_DB)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (SQLite always runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        show("SQLite", measure(f"sqlite:///{Path(scratch) / 'ryw.sqlite3'}", args.samples))
    if args.database_url:
        with scratch_postgres(args.database_url) as url:
            show("PostgreSQL", measure(url, args.samples))


if __name__ == "__main__":
    main()
