"""End to end, the connected desk over real HTTP (one server for both walks): 熟客识别 — a known
caller's call is linked, rings the owner, pops; 协同工单 — a ticket across three departments whose
overdue node the runner escalates by itself, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.test_automation_walk import until
from tests.e2e.test_serve import Server, serve_env, start  # noqa: F401 (serve_env is a fixture)

pytestmark = pytest.mark.e2e

INBOUND = {"direction": "inbound", "hotline": "4008001234"}


def ready_agent(server: Server, order: int) -> str:
    body = {"name": f"agent {order}", "extension": f"80{order}", "skill_groups": ["vip"]}
    status, created = server.call("POST", "/agents", {**body, "order": order})
    assert status == 201, created
    for action in ("login", "available"):
        status, answer = server.call("POST", f"/agents/{created['id']}/{action}", {})
        assert status == 200, answer
    # routing reads availability from the agent view: wait until it has this agent available
    assert server.call("GET", f"/agents/{created['id']}?after={answer['position']}")[0] == 200
    return str(created["id"])


def test_a_known_caller_rings_the_owner_and_a_collaborative_ticket_escalates_its_late_node(
    serve_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    server = start(tmp_path, {**serve_env, "KEFU_ROUTING": "vip=familiar/top_down"})
    try:
        first, owner = ready_agent(server, 0), ready_agent(server, 1)
        status, customer = server.call(
            "POST", "/customers", {"name": "韩梅梅", "phones": ["010-12345678"]}
        )
        assert status == 201
        status, owned = server.call(
            "POST", f"/customers/{customer['id']}/owner", {"agent_id": owner}
        )
        assert status == 200
        assert (
            server.call("GET", f"/customers/{customer['id']}?after={owned['position']}")[0] == 200
        )

        status, call = server.call(
            "POST", "/calls", {**INBOUND, "customer_number": "+8601012345678"}
        )
        assert status == 201, call
        path = f"/calls/{call['id']}"
        assert server.call("POST", f"{path}/queue", {"group": "vip"})[0] == 200
        status, routed = server.call("POST", f"{path}/route", {})
        assert status == 200, routed
        status, screen = server.call("GET", f"{path}/screen?after={routed['position']}")

        assert status == 200, screen
        assert screen["call"]["customer_id"] == customer["id"]
        assert (screen["call"]["offered_to"], screen["call"]["strategy"]) == ([owner], "familiar")
        assert screen["customer"]["name"] == "韩梅梅"
        assert [e["source_id"] for e in screen["recent"]][:1] == [call["id"]]

        status, stranger = server.call(
            "POST", "/calls", {**INBOUND, "customer_number": "13700137000"}
        )
        assert status == 201
        status, listed = server.call("GET", f"/calls?recognised=false&after={stranger['position']}")
        assert (status, [c["id"] for c in listed["items"]]) == (200, [stranger["id"]])
        assert first != owner

        walk_a_collaborative_ticket(server, owner)
    finally:
        server.stop_with_ctrl_c()


def walk_a_collaborative_ticket(server: Server, owner: str) -> None:
    """Three departments' nodes; the warehouse's passes its deadline (a few seconds away) and is
    escalated by the runner with nobody issuing a command; the ticket resolves once every node
    is finished (no timing is asserted: the walk waits for each state)."""
    subject = {"channel": "phone", "category": "exchange", "subject": "换货并退差价"}
    status, ticket = server.call("POST", "/tickets", subject)
    assert status == 201, ticket
    path = f"/tickets/{ticket['id']}"
    assert server.call("POST", f"{path}/dispatch", {"department": "after_sales"})[0] == 200
    soon, later = (datetime.now(UTC) + delta for delta in (timedelta(seconds=4), timedelta(days=2)))
    for department, due, owner_id in [
        ("finance", later, owner), ("warehouse", soon, None), ("logistics", later, None),
    ]:  # fmt: skip
        body = {"department": department, "due_at": due.isoformat(), "deliverable": "its part"}
        status, answer = server.call("POST", f"{path}/nodes", body | {"owner_id": owner_id})
        assert status == 200, answer
    status, refused = server.call("POST", f"{path}/resolve", {"resolution": "r", "code": "c"})
    assert (status, "warehouse" in refused["detail"]) == (409, True), refused
    assert server.call("POST", f"{path}/complete-node", {"department": "finance"})[0] == 200

    late = f"/ticket-nodes?ticket={ticket['id']}&light=red"
    red = until(server, late, lambda page: [n["escalated"] for n in page["items"]] == [True])
    assert [n["department"] for n in red["items"]] == ["warehouse"]
    assert server.call("POST", f"{path}/complete-node", {"department": "warehouse"})[0] == 200
    status, overridden = server.call("POST", f"{path}/override-nodes", {"reason": "自提, 不需物流"})
    assert status == 200, overridden
    status, resolved = server.call("POST", f"{path}/resolve", {"resolution": "换货", "code": "ok"})
    assert (status, resolved["status"]) == (200, "resolved"), resolved

    status, view = server.call("GET", f"{path}?after={resolved['position']}")
    assert status == 200, view
    assert [(n["department"], n["status"], n["light"]) for n in view["nodes"]] == [
        ("finance", "done", "green"),
        ("warehouse", "done", "red"),
        ("logistics", "overridden", "green"),
    ]
    status, history = server.call("GET", f"{path}/history")
    escalations = [e for e in history["events"] if e["type"].endswith("NodeEscalated")]
    assert [e["metadata"]["actor_id"] for e in escalations] == ["system"]
