"""End to end: a complaint's full handling over real HTTP, with real gunicorn and runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import serve_env, start  # noqa: F401 (serve_env is a fixture)

pytestmark = pytest.mark.e2e

REGISTER = {
    "channel": "wechat",
    "customer_id": "set once the customer's file is registered",
    "type": "logistics_delay",
    "description": "The sofa arrived ten days late and scratched.",
    "expectation": "compensation",
    "contact": "wechat:cust-8",
    "severity": "urgent",
    "major": True,
}

DUE = "2099-01-01T00:00:00Z"
# Placeholders for the agents the walk names, registered first (references are checked).
SUPERVISOR, FINANCE = "the supervisor's agent id", "the finance owner's agent id"

# The seed's full path: every step, with a rejected first proposal and a failed first try.
WALK: list[tuple[str, dict[str, Any], str]] = [
    ("acknowledge", {"message": "我们非常抱歉"}, "acknowledged"),
    ("facts", {"facts": "carrier log shows a 10-day delay"}, "investigating"),
    ("attribute", {"department": "logistics", "cause": "logistics_delay"}, "investigating"),
    ("escalate", {"level": "supervisor", "to": SUPERVISOR, "reason": "major"}, "investigating"),
    ("proposals", {"remedies": [{"kind": "apology"}]}, "proposed"),
    ("reject", {"reason": "wants compensation"}, "investigating"),
    (
        "proposals",
        {"remedies": [{"kind": "apology"}, {"kind": "compensation", "amount": "200.00"}]},
        "proposed",
    ),
    ("accept", {}, "executing"),
    ("tasks", {"department": "finance", "owner": FINANCE, "due_at": DUE}, "executing"),
    ("tasks/1/fail", {"note": "wrong account"}, "executing"),
    ("tasks/1/complete", {"note": "paid 200"}, "executing"),
    ("confirm", {"resolved": True, "satisfaction": 5, "comment": "thanks"}, "confirmed"),
    ("close", {}, "closed"),
    ("archive", {}, "archived"),
]  # fmt: skip


def test_a_major_complaint_walks_from_registration_to_the_archive(
    serve_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    # Walked by hand, version by version: the automation (whose default rule escalates a major
    # complaint once attributed) is off here and walked in test_automation_walk.py.
    server = start(tmp_path, {**serve_env, "KEFU_AUTOMATION": "off"})
    try:
        status, customer = server.call("POST", "/customers", {"name": "陈先生"})
        assert status == 201, customer
        agents = {}
        for placeholder, (name, extension) in {
            SUPERVISOR: ("赵主管", "8101"),
            FINANCE: ("钱会计", "8102"),
        }.items():
            status, agent = server.call("POST", "/agents", {"name": name, "extension": extension})
            assert status == 201, agent
            agents[placeholder] = agent["id"]
        body = {**REGISTER, "customer_id": customer["id"]}
        status, registered = server.call("POST", "/complaints", body)
        assert status == 201, registered
        assert (status, registered["version"]) == (201, 2)
        complaint = f"/complaints/{registered['id']}"
        for action, template, expected in WALK:
            body = {k: agents.get(v, v) if isinstance(v, str) else v for k, v in template.items()}
            status, answer = server.call("POST", f"{complaint}/{action}", body)
            assert status == 200, answer
            assert (status, answer["status"]) == (200, expected), (action, answer)
            status, view = server.call("GET", f"{complaint}?after={answer['position']}")
            assert status == 200, view
            assert (status, view["status"], view["version"]) == (200, expected, answer["version"])

        assert (view["reported_to"], view["escalated_to"], view["satisfaction"]) == (
            "duty-manager",
            agents[SUPERVISOR],
            5,
        )
        assert view["current_proposal"]["remedies"][1] == {
            "kind": "compensation",
            "amount": "200.00",
        }
        status, refused = server.call("POST", f"{complaint}/reopen", {"reason": "again"})
        assert status == 409, refused
        assert (status, refused["allowed_now"]) == (409, [])
        status, listed = server.call("GET", "/complaints?major=true&department=logistics")
        assert status == 200, listed
        assert (status, [item["id"] for item in listed["items"]]) == (200, [registered["id"]])
        status, history = server.call("GET", f"{complaint}/history")
        assert status == 200, history
        assert (status, len(history["events"])) == (200, len(WALK) + 2)
    finally:
        server.stop_with_ctrl_c()
