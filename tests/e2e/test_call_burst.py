"""End to end: a burst of calls routed over real HTTP (gunicorn, two workers, the projection
runner) to a few agents; no agent ever holds two calls at once."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_serve
from tests.e2e.test_serve import Server, start

pytestmark = pytest.mark.e2e
serve_env = test_serve.serve_env  # the same embedded and PostgreSQL set-ups as the walk

AGENTS = 4
CALLS = 16
DEADLINE_SECONDS = 90
INBOUND = {"direction": "inbound", "customer_number": "13800000000", "hotline": "4008001234"}


def ok(server: Server, path: str, body: dict[str, Any] | None = None) -> Any:
    status, answer = server.call("POST", path, body or {})
    assert status in (200, 201), (path, status, answer)
    return answer


def register_agents(server: Server) -> list[str]:
    ids = []
    for n in range(AGENTS):
        body = {"name": f"agent {n}", "extension": f"80{n}", "skill_groups": ["sales"], "order": n}
        agent_id = ok(server, "/agents", body)["id"]
        ok(server, f"/agents/{agent_id}/login")
        ok(server, f"/agents/{agent_id}/available")
        ids.append(agent_id)
    return ids


def route_until_offered(server: Server, call: str) -> str:
    """Routes the call until an agent takes the offer; returns that agent's id."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        status, answer = server.call("POST", f"{call}/route", {})
        if status == 200:
            status, view = server.call("GET", f"{call}?after={answer['position']}")
            assert status == 200, view
            offered: list[str] = view["offered_to"]
            assert len(offered) == 1, view
            return offered[0]
        assert status == 409, answer  # nobody free yet, or another router won the race
        time.sleep(0.05)
    raise AssertionError(f"{call} was never routed")


def handle(server: Server, call_id: str) -> None:
    """What a PBX adapter does for one call: queue, route, answer, hang up, agent ready again."""
    call = f"/calls/{call_id}"
    ok(server, f"{call}/queue", {"group": "sales"})
    agent_id = route_until_offered(server, call)
    ok(server, f"{call}/answer", {"agent_id": agent_id})
    time.sleep(0.02)
    ok(server, f"{call}/end", {"hung_up_by": "caller"})
    ok(server, f"/agents/{agent_id}/available")


def talk_intervals(
    server: Server, call_ids: list[str]
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per agent, when each of its calls was answered and ended, from the calls' histories."""
    intervals: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for call_id in call_ids:
        status, history = server.call("GET", f"/calls/{call_id}/history")
        assert status == 200, history
        events = {e["type"]: e for e in history["events"]}
        answered = [e for e in history["events"] if e["type"] == "Answered"]
        assert len(answered) == 1, history
        start, end = (datetime.fromisoformat(events[t]["at"]) for t in ("Answered", "Ended"))
        intervals[answered[0]["data"]["agent_id"]].append((start, end))
    return intervals


def test_a_burst_of_calls_never_gives_one_agent_two_calls_at_once(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    server = start(tmp_path, serve_env)
    try:
        agents = register_agents(server)
        calls = [ok(server, "/calls", INBOUND)["id"] for _ in range(CALLS)]
        with ThreadPoolExecutor(max_workers=CALLS) as pool:
            list(pool.map(lambda c: handle(server, c), calls))
        intervals = talk_intervals(server, calls)
    finally:
        server.stop_with_ctrl_c()

    assert sum(len(v) for v in intervals.values()) == CALLS
    assert set(intervals) <= set(agents)
    for agent_id, spans in intervals.items():
        spans.sort()
        overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
        assert not overlaps, f"agent {agent_id} held two calls at once: {overlaps}"
