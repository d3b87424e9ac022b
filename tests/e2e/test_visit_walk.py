"""End to end: from a sale to a completed return visit, over real HTTP and real gunicorn."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_serve import Server, serve_env, start

pytestmark = pytest.mark.e2e
__all__ = ["serve_env"]  # the fixture: embedded SQLite, then PostgreSQL


def eventually(server: Server, path: str, seconds: float = 15) -> Any:
    """GETs `path` until its list has items (the planner runs in the runner process)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, body = server.call("GET", path)
        if status == 200 and body["items"]:
            return body["items"]
        time.sleep(0.2)
    raise AssertionError(f"{path} stayed empty for {seconds} s")


def test_a_sale_leads_to_a_visit_that_is_done_and_shows_on_the_timeline(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    server = start(tmp_path, serve_env)
    try:
        status, created = server.call(
            "POST", "/customers", {"name": "Lily", "phones": ["138 0013 8000"], "tier": "vip"}
        )
        assert status == 201
        customer = created["id"]
        sale = {"number": "S-1", "amount": "2999", "ordered_on": str(today - timedelta(days=2))}
        assert server.call("POST", f"/customers/{customer}/orders", sale)[0] == 200

        [visit] = eventually(server, f"/visits?due=today&customer={customer}")
        assert (visit["rule"], visit["late"]) == ("7dc-sale", False)
        outcome = {"reached": True, "satisfaction": 5, "comment": "loves the sofa"}
        status, done = server.call("POST", f"/visits/{visit['id']}/done", outcome)
        assert status == 200, done
        assert (status, done["status"]) == (200, "done")

        status, view = server.call("GET", f"/visits/{visit['id']}?after={done['position']}")
        assert status == 200, view
        assert (status, view["status"], view["satisfaction"]) == (200, "done", 5)
        status, found = server.call("GET", "/customers?phone=%2B8613800138000")
        assert status == 200, found
        assert [c["id"] for c in found["items"]] == [customer]
        path = f"/customers/{customer}/timeline?kind=visit&after={done['position']}"
        status, timeline = server.call("GET", path)
        assert status == 200, timeline
        assert {(e["title"], e["status"]) for e in timeline["items"]} >= {
            ("7DC visit: satisfaction after the sale", "done")
        }
    finally:
        assert server.stop_with_ctrl_c() == 0
