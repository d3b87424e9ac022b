"""Wallboard benchmark: what the shared computation costs per change, and what a viewer adds.

    python -m bench.wallboard [--database-url URL] [--agents N] [--calls N] [--tickets N]

Seeds a desk (agents logged in, calls waiting, open tickets), then times, as medians of repeated
runs: the position check the wallboard thread makes 4 times a second, one snapshot (the work
done once per change, whatever the number of viewers), and its size as sent on every stream.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import msgspec

from kefu.bootstrap import build_services
from kefu.commands.agents import LogIn, RegisterAgent
from kefu.commands.calls import QueueCall, StartCall
from kefu.commands.context import Context
from kefu.commands.tickets import OpenTicket
from kefu.domain.call_lifecycle import Direction
from kefu.domain.channels import Channel
from kefu.projections.wallboard import WallboardReader
from kefu.settings import Settings


def _context() -> Context:
    return Context(
        actor_id="bench", actor_role="service", command_id=uuid4(), correlation_id=uuid4()
    )


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    services = build_services(Settings(database_url=url))
    try:
        for n in range(args.agents):
            agent = services.agents.register(
                RegisterAgent(name=f"agent {n}", extension=f"{8000 + n}"), _context()
            )
            services.agents.act(agent.answer.id, "login", LogIn(), _context())
        for n in range(args.calls):
            call = services.calls.start(
                StartCall(direction=Direction.INBOUND, customer_number="13800138000",
                          hotline="4008001234"),
                _context(),
            )  # fmt: skip
            services.calls.act(call.answer.id, "queue", QueueCall(group=f"q{n % 3}"), _context())
        ticket = OpenTicket(channel=Channel.PHONE, category="repair", subject="bench")
        for _ in range(args.tickets):
            services.tickets.open(ticket, _context())
        services.projection_runner().catch_up()
        reader = WallboardReader(services.read_models, ZoneInfo("Asia/Shanghai"), 20)
        now = services.clock()
        body = msgspec.json.encode(reader.snapshot(now))
        print(f"desk: {args.agents} agents, {args.calls} calls waiting, {args.tickets} tickets")
        print(f"position check: {_median_ms(reader.positions, args.repeats):.2f} ms (4 a second)")
        snapshot_ms = _median_ms(lambda: reader.snapshot(now), args.repeats)
        print(f"one snapshot:   {snapshot_ms:.2f} ms (once per change, for every viewer)")
        print(f"snapshot size:  {len(body)} bytes (written to each open stream per change)")
    finally:
        services.close()


if __name__ == "__main__":
    main()
