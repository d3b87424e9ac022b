"""Read cost of the access log: the same GETs through the falcon app with it on and off.

    python -m bench.access [--postgres-url URL] [--reads N] [--rounds R]

One store per backend (SQLite in a temporary file; PostgreSQL when a URL is given) with 50
customer files. For each round, N reads of one file and N/10 reads of a 50-file list, in
process (falcon's test client, no sockets), through an app with the access-recording
middleware and through one without; the median per-read time of R rounds is printed, and the
ratio. The buffer's writes happen on its own thread, in the same process, during the run.
"""

from __future__ import annotations

import argparse
import functools
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from unittest import mock

import falcon.testing

from bench.databases import postgres_database
from kefu.bootstrap import Services, build_services
from kefu.http import app as app_module
from kefu.http.app import create_app
from kefu.settings import Settings

TOKEN = "bench-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def clients(services: Services) -> tuple[falcon.testing.TestClient, falcon.testing.TestClient]:
    """(with the access log, without it)."""
    with_log = falcon.testing.TestClient(create_app(services))
    with mock.patch.object(app_module, "add_access_recording", lambda *_: None):
        without = falcon.testing.TestClient(create_app(services))
    return with_log, without


def per_read_us(read: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        read()
    return (time.perf_counter() - started) / count * 1e6


def run(database_url: str, reads: int, rounds: int, label: str) -> None:
    services = build_services(Settings(database_url=database_url, api_tokens=f"{TOKEN}:b:service"))
    try:
        client, _ = clients(services)
        ids = [
            client.simulate_post(
                "/customers",
                json={"name": f"客户{n}", "phones": [f"138 0013 {8000 + n}"], "tier": "member"},
                headers=HEADERS,
            ).json["id"]
            for n in range(50)
        ]
        services.projection_runner().catch_up()
        on, off = clients(services)
        print(f"\n{label}: per read, median of {rounds} rounds")
        print(f"  {'read':<22} {'log off µs':>11} {'log on µs':>11} {'on/off':>7}")
        for name, path, params, count in (
            ("one file", f"/customers/{ids[0]}", None, reads),
            ("a list of 50 files", "/customers", {"tier": "member", "limit": "50"}, reads // 10),
        ):
            figures: dict[str, list[float]] = {"on": [], "off": []}
            for _ in range(rounds):
                for which, c in (("off", off), ("on", on)):
                    read = functools.partial(c.simulate_get, path, params=params, headers=HEADERS)
                    figures[which].append(per_read_us(read, count))
            off_us, on_us = statistics.median(figures["off"]), statistics.median(figures["on"])
            print(f"  {name:<22} {off_us:>11.0f} {on_us:>11.0f} {on_us / off_us:>7.3f}")
        services.access_log.flush()
    finally:
        services.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.access", description=__doc__)
    parser.add_argument("--postgres-url", help="postgresql://user:pass@host:port/db")
    parser.add_argument("--reads", type=int, default=2000, help="reads of one file per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # a line per request would be most of what is measured
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/kefu.sqlite3", args.reads, args.rounds, "SQLite")
    if args.postgres_url:
        with postgres_database(args.postgres_url) as url:
            run(url, args.reads, args.rounds, "PostgreSQL")


if __name__ == "__main__":
    main()
