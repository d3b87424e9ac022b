"""Privacy benchmark: the cost of sealing personal fields, on beside off, in the same run.

    python -m bench.privacy [--database-url URL] [--records N] [--rounds R]

Two applications share one database: one seals personal fields (the default), the other
stores them in plaintext (`seal_personal_data=False`). Rounds alternate between them (the
machines are shared and noisy), and medians are printed, never asserted:
- commands: register a customer file and open a ticket naming it (two saves, each sealed with
  a data key of its own record: a key row written per new record);
- reads: load each file and each ticket again, with the data keys cached in the process
  (warm) and with the cache emptied first (cold: one key-store query per record, as in a
  process that had not read the record in the last seconds);
- mapper alone: encoding and decoding one customer event, no database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

from kefu.application import ServiceDesk
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer, Tier
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.settings import Settings
from kefu.store.personal_crypto import MasterKey

META = EventMetadata("bench", "service", uuid4(), uuid4(), None, "bench")
AT = datetime(2030, 1, 1, tzinfo=UTC)
MASTER = MasterKey(bytes(range(32)))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def customer() -> Customer:
    return Customer.register(
        name="王小明", phones=["+8613800138000"], email="xm@example.cn",
        address="北京市朝阳区建国路 1 号", birthday=date(1990, 5, 4), tier=Tier.VIP,
        source_channel="phone", meta=META, at=AT,
    )  # fmt: skip


def commands(app: ServiceDesk, count: int) -> tuple[float, list[UUID]]:
    """Seconds per command (a file or a ticket saved), and the records made."""
    made: list[UUID] = []
    started = time.perf_counter()
    for _ in range(count):
        file = customer()
        app.record(file, None)
        ticket = Ticket.open(
            channel=Channel.EMAIL, customer_id=str(file.id), category="billing",
            priority=Priority.NORMAL, subject="退款没有到账", description="我的退款三天了还没到",
            policy=DeadlinePolicy(), meta=META, at=AT,
        )  # fmt: skip
        app.record(ticket, None)
        made += (file.id, ticket.id)
    return (time.perf_counter() - started) / len(made), made


def reads(app: ServiceDesk, records: list[UUID], cold: bool) -> float:
    """Seconds per record loaded."""
    if cold:
        app.data_keys._reading.clear()  # as a process that has not read them lately
    started = time.perf_counter()
    for record in records:
        app.repository.get(record)
    return (time.perf_counter() - started) / len(records)


def mapper_round(app: ServiceDesk, repeats: int) -> tuple[float, float]:
    """Microseconds to encode and to decode one customer event."""
    (event,) = customer().collect_events()
    started = time.perf_counter()
    for _ in range(repeats):
        stored = app.mapper.to_stored_event(event)
    encoded = (time.perf_counter() - started) / repeats
    started = time.perf_counter()
    for _ in range(repeats):
        app.mapper.to_domain_event(stored)
    decoded = (time.perf_counter() - started) / repeats
    return encoded * 1e6, decoded * 1e6


def median(rounds: list[float]) -> float:
    return statistics.median(rounds)


def compare(title: str, unit: str, scale: float, off: list[float], on: list[float]) -> None:
    off_m, on_m = median(off) * scale, median(on) * scale
    print(f"{title:<32} {off_m:>10.1f} {on_m:>10.1f} {unit:<4} {on_m / off_m:>6.2f}x")


def run(url: str, count: int, rounds: int) -> None:
    keyring = Settings(database_url=url).chain_keyring()
    sealing = ServiceDesk(url, keyring, MASTER)
    plain = ServiceDesk(url, keyring, MASTER, seal_personal_data=False)
    apps = {"off": plain, "on": sealing}
    took: dict[str, dict[str, list[float]]] = {
        kind: {"off": [], "on": []} for kind in ("command", "warm", "cold", "encode", "decode")
    }
    for n in range(rounds):
        for side, app in apps.items():
            per_command, made = commands(app, count)
            took["command"][side].append(per_command)
            took["warm"][side].append(reads(app, made, cold=False))
            took["cold"][side].append(reads(app, made, cold=True))
            encoded, decoded = mapper_round(app, 2_000)
            took["encode"][side].append(encoded)
            took["decode"][side].append(decoded)
        log(f"  … round {n + 1}/{rounds}")
    print(f"\n{count * 2} records per side and round, medians of {rounds} rounds")
    print(f"{'':<32} {'off':>10} {'on':>10} {'':<4} {'on/off':>7}")
    compare("command (save a new record)", "ms", 1000, *_sides(took["command"]))
    compare("read (load a record), keys warm", "ms", 1000, *_sides(took["warm"]))
    compare("read (load a record), keys cold", "ms", 1000, *_sides(took["cold"]))
    compare("mapper: encode one event", "µs", 1, *_sides(took["encode"]))
    compare("mapper: decode one event", "µs", 1, *_sides(took["decode"]))
    sealing.close()
    plain.close()


def _sides(sides: dict[str, list[float]]) -> tuple[list[float], list[float]]:
    return sides["off"], sides["on"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--records", type=int, default=200, help="files (and tickets) a round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        log(f"database: {url.split('@')[-1]}")
        run(url, args.records, args.rounds)


if __name__ == "__main__":
    main()
