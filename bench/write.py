"""Write benchmark: kefu's command layer beside plain single-row INSERTs, same run, same database.

    python -m bench.write [--postgres-url URL] [--seconds S] [--rounds R] [--clients 1,16,64]
                          [--processes P] [--unkeyed]

For each backend (SQLite in a temporary file always; PostgreSQL when a URL is given):
- the baseline: N clients, each on its own connection, each INSERTing one row per transaction
  (psycopg on PostgreSQL, sqlite3 on SQLite);
- kefu: N concurrent callers opening tickets through `TicketCommands.open` (one event and one
  idempotency record per command, through the group commit), on a fresh store.
- with --processes P (P > 1), kefu also with its N callers spread over P processes, each with
  its own services and group commit, as gunicorn's workers are: one process runs Python on
  one core at a time, so this is how a deployment uses more than one;
- with --unkeyed, kefu also on another fresh store whose chain is not keyed (plain SHA-256
  links, as before chain keys), its rounds alternating with the keyed store's: the cost of the
  keyed chain's HMAC, as a ratio.
Each figure is the median of R rounds of S seconds. Printed: rate, p50/p99 latency, and the
ratios against the baseline at the same N and at 16 clients. Nothing is asserted.
Use a PostgreSQL cluster with fsync on: that is what commits cost in production.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

import psycopg
from tqdm import tqdm

from bench.databases import postgres_database
from kefu.bootstrap import Services, build_services
from kefu.commands.context import Context
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.settings import Settings
from kefu.store.chain_keys import Keyring

Operation = Callable[[int], None]  # called with 0, 1, 2, ... and finally -1 (close)
MakeOperation = Callable[[], Operation]


@dataclass(frozen=True)
class Figure:
    """One measured configuration: operations per second and latencies in milliseconds."""

    rate: float
    p50: float
    p99: float


def run_clients(clients: int, seconds: float, make: MakeOperation) -> Figure:
    """`clients` threads, each with its own `make()` operation, calling it for `seconds`."""
    latencies, elapsed = client_latencies(clients, seconds, make)
    return _figure(latencies, elapsed)


def client_latencies(
    clients: int, seconds: float, make: MakeOperation, start_at: float | None = None
) -> tuple[list[float], float]:
    """Every operation's latency in seconds, and the time they ran for; from `start_at` (a
    `time.time()`) when given, so that several processes start together."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start, stop = threading.Barrier(clients + 1), threading.Event()

    def client(number: int) -> None:
        operation = make()
        start.wait()
        mine, n = latencies[number], 0
        while not stop.is_set():
            began = time.perf_counter()
            operation(n)
            mine.append(time.perf_counter() - began)
            n += 1
        operation(-1)  # the client is done: it closes what it opened

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return [x for mine in latencies for x in mine], time.perf_counter() - began


def _figure(latencies: list[float], elapsed: float) -> Figure:
    ordered = sorted(latencies) or [0.0]
    pick = lambda q: 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return Figure(len(latencies) / elapsed, pick(0.5), pick(0.99))


def median(figures: list[Figure]) -> Figure:
    return sorted(figures, key=lambda f: f.rate)[len(figures) // 2]


# --- the baselines -------------------------------------------------------------------------


def postgres_raw(url: str) -> MakeOperation:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id uuid PRIMARY KEY, body bytea)")

    def make() -> Operation:
        conn = psycopg.connect(url, autocommit=True)
        body = b"x" * 300  # about the size of a stored TicketOpened
        return lambda _: (
            conn.execute(
                "INSERT INTO bench_raw VALUES (%s, %s)", (uuid.uuid4(), body), prepare=True
            )
            and None
        )

    return make


def sqlite_raw(path: Path) -> MakeOperation:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, body BLOB)")

    def make() -> Operation:
        conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
        body = b"x" * 300
        return lambda _: (
            conn.execute("INSERT INTO bench_raw VALUES (?, ?)", (uuid.uuid4().hex, body)) and None
        )

    return make


# --- kefu ----------------------------------------------------------------------------------


def kefu_open(services: Services) -> MakeOperation:
    def make() -> Operation:
        actor = f"bench-{uuid.uuid4().hex[:8]}"
        command = OpenTicket(channel=Channel.PHONE, category="billing", subject="double charge")

        def operation(n: int) -> None:
            if n < 0:
                return
            ctx = Context(actor, "service", uuid.uuid4(), uuid.uuid4(), idempotency_key=f"k{n}")
            services.tickets.open(command, ctx)

        return operation

    return make


class KefuProcesses:
    """kefu's callers spread over `count` processes, each with its own services and so its own
    group commit, as under gunicorn with several workers: one Python process runs its commands
    on one core at a time (the GIL), the database serves them all."""

    def __init__(self, database_url: str, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes = []
        self._children = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=_serve_rounds, args=(database_url, child))
            process.start()
            self._pipes.append(parent)
            self._children.append(process)
        for pipe in self._pipes:
            pipe.recv()  # ready

    def run(self, clients: int, seconds: float) -> Figure:
        start_at = time.time() + 0.5
        shares = [clients // len(self._pipes) + (k < clients % len(self._pipes))
                  for k in range(len(self._pipes))]  # fmt: skip
        for pipe, share in zip(self._pipes, shares, strict=True):
            pipe.send((share, seconds, start_at))
        answers = [pipe.recv() for pipe in self._pipes]
        latencies = [x for mine, _ in answers for x in mine]
        return _figure(latencies, max(elapsed for _, elapsed in answers))

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.send(None)
        for process in self._children:
            process.join()


def _serve_rounds(database_url: str, pipe: Connection) -> None:
    with opened(database_url) as services:
        make = kefu_open(services)
        pipe.send("ready")
        while (order := pipe.recv()) is not None:
            clients, seconds, start_at = order
            pipe.send(client_latencies(clients, seconds, make, start_at))


# --- the run -------------------------------------------------------------------------------


@contextmanager
def opened(database_url: str, keyed: bool = True) -> Iterator[Services]:
    services = build_services(Settings(database_url=database_url))
    if not keyed:  # before the first write: the store stays unkeyed
        services.app.chain.use_keyring(Keyring())
    try:
        yield services
    finally:
        services.close()


def measure(
    label: str, make: MakeOperation, clients: list[int], args: argparse.Namespace, bar: tqdm
) -> dict[int, Figure]:
    return measure_runs(label, partial(run_clients, make=make), clients, args, bar)


def measure_runs(
    label: str,
    run: Callable[[int, float], Figure],
    clients: list[int],
    args: argparse.Namespace,
    bar: tqdm,
) -> dict[int, Figure]:
    figures = {}
    for n in clients:
        rounds = []
        for _ in range(args.rounds):
            bar.set_description(f"{label} x {n}")
            rounds.append(run(n, args.seconds))
            bar.update()
        figures[n] = median(rounds)
    return figures


def report(backend: str, raw: dict[int, Figure], kefu: dict[int, Figure]) -> None:
    base16 = raw.get(16) or max(raw.values(), key=lambda f: f.rate)
    print(f"\n{backend}")
    print(f"  {'clients':>7} {'raw INSERT/s':>13} {'kefu events/s':>14} {'x same N':>9} "
          f"{'x raw@16':>9} {'kefu p50 ms':>12} {'kefu p99 ms':>12}")  # fmt: skip
    for n, figure in kefu.items():
        base = raw[n]
        same, at16 = figure.rate / base.rate, figure.rate / base16.rate
        print(f"  {n:>7} {base.rate:>13,.0f} {figure.rate:>14,.0f} {same:>9.3f} {at16:>9.3f} "
              f"{figure.p50:>12.1f} {figure.p99:>12.1f}")  # fmt: skip


def run_backend(
    backend: str,
    raw: MakeOperation,
    database_url: str,
    unkeyed_url: str | None,
    args: argparse.Namespace,
    bar: tqdm,
) -> None:
    raw_figures = measure(f"{backend} raw INSERT", raw, args.clients, args, bar)
    if args.processes > 1:
        processes = KefuProcesses(database_url, args.processes)
        try:
            label = f"{backend} kefu in {args.processes} processes"
            spread = measure_runs(label, processes.run, args.clients, args, bar)
        finally:
            processes.close()
        report(f"{backend}, kefu's callers in {args.processes} processes", raw_figures, spread)
    if unkeyed_url is None:
        with opened(database_url) as services:
            kefu = measure(f"{backend} kefu", kefu_open(services), args.clients, args, bar)
        report(backend, raw_figures, kefu)
        return
    with opened(database_url) as keyed, opened(unkeyed_url, keyed=False) as unkeyed:
        kefu, plain = measure_alternately(backend, kefu_open(keyed), kefu_open(unkeyed), args, bar)
    report(backend, raw_figures, kefu)
    print(f"  {'clients':>7} {'keyed ev/s':>11} {'unkeyed ev/s':>13} {'keyed/unkeyed':>14}")
    for n, figure in kefu.items():
        ratio = figure.rate / plain[n].rate
        print(f"  {n:>7} {figure.rate:>11,.0f} {plain[n].rate:>13,.0f} {ratio:>14.3f}")


def measure_alternately(
    backend: str, keyed: MakeOperation, unkeyed: MakeOperation, args: argparse.Namespace, bar: tqdm
) -> tuple[dict[int, Figure], dict[int, Figure]]:
    """Keyed and unkeyed rounds taken in turn, so that a change of load on the machine falls
    on both alike; the median of each."""
    figures: tuple[dict[int, Figure], dict[int, Figure]] = ({}, {})
    for n in args.clients:
        rounds: tuple[list[Figure], list[Figure]] = ([], [])
        for _ in range(args.rounds):
            for side, make in enumerate((keyed, unkeyed)):
                bar.set_description(f"{backend} kefu {'unkeyed' if side else 'keyed'} x {n}")
                rounds[side].append(run_clients(n, args.seconds, make))
                bar.update()
        for side in (0, 1):
            figures[side][n] = median(rounds[side])
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.write", description=__doc__)
    parser.add_argument("--postgres-url", help="postgresql://user:pass@host:port/db (fsync on)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (median)")
    parser.add_argument("--clients", default="1,16,64", help="concurrent clients, e.g. 1,16,64")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--unkeyed", action="store_true", help="also kefu with an unkeyed chain")
    parser.add_argument(
        "--processes", type=int, default=1, help="also kefu's callers spread over P processes"
    )
    args = parser.parse_args(argv)
    args.clients = [int(n) for n in args.clients.split(",")]
    backends = (0 if args.skip_sqlite else 1) + (1 if args.postgres_url else 0)
    sides = 2 + args.unkeyed + (args.processes > 1)
    steps = sides * backends * len(args.clients) * args.rounds
    with tqdm(total=steps, disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        if args.postgres_url:
            with (
                postgres_database(args.postgres_url) as raw_url,
                postgres_database(args.postgres_url) as kefu_url,
                postgres_database(args.postgres_url) as plain_url,
            ):
                plain = plain_url if args.unkeyed else None
                run_backend("PostgreSQL", postgres_raw(raw_url), kefu_url, plain, args, bar)
        if not args.skip_sqlite:
            with tempfile.TemporaryDirectory() as folder:
                raw_path, kefu_path = Path(folder, "raw.sqlite3"), Path(folder, "kefu.sqlite3")
                plain = f"sqlite:///{folder}/plain/kefu.sqlite3" if args.unkeyed else None
                kefu_url = f"sqlite:///{kefu_path}"
                run_backend("SQLite", sqlite_raw(raw_path), kefu_url, plain, args, bar)


if __name__ == "__main__":
    main()
