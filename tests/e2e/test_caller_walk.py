"""End to end: 熟客识别 over real HTTP — a known caller's call is linked, rings the owner, pops."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_a_known_caller_is_recognised_rings_the_owner_first_and_pops_the_file(
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
    finally:
        server.stop_with_ctrl_c()
