"""Cancelled and duplicate tickets, and collaborative tickets (协同工单) over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import falcon.testing
import pytest

from tests.http.conftest import START, FakeClock, Headers, Result

Client = falcon.testing.TestClient
Act = Callable[..., Result]
Reader = Callable[[str], Any]
Json = dict[str, Any]


def due(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


def refused(result: Result, status: int) -> Json:
    assert result.status_code == status, result.text
    assert result.headers["Content-Type"] == "application/problem+json"
    body: Json = result.json
    return body


@pytest.fixture
def get(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> Callable[..., Json]:
    def get_(path: str, role: str = "service") -> Json:
        catch_up()
        result = client.simulate_get(path, headers=auth(role))
        assert result.status_code == 200, result.text
        body: Json = result.json
        return body

    return get_


# Cancelling and duplicates


def test_a_duplicate_names_its_original_and_the_original_lists_it(
    open_ticket: Callable[..., Json], act: Act, view: Reader
) -> None:
    original, repeat = open_ticket()["id"], open_ticket()["id"]

    answer = act(repeat, "duplicate", {"original_id": original, "reason": "asked twice"})

    assert (answer.status_code, answer.json["status"]) == (200, "duplicate")
    assert view(repeat)["duplicate_of"] == original
    assert view(original)["duplicates"] == [repeat]
    assert refused(act(repeat, "resolve"), 409)["allowed_now"] == ["follow-ups", "archive"]


@pytest.mark.parametrize(
    ("action", "body", "status", "field"),
    [
        ("duplicate", {"original_id": "itself"}, 409, None),
        ("duplicate", {"original_id": str(uuid.UUID(int=3))}, 422, "original_id"),
        ("duplicate", {"original_id": "not-a-uuid"}, 422, "original_id"),
        ("cancel", {"reason": " "}, 422, "reason"),
        ("cancel", {}, 422, "reason"),
        ("nodes", {"department": "moon", "due_at": due(4)}, 422, "department"),
        ("nodes", {"department": "finance", "due_at": "2030-03-04T13:00:00"}, 422, "due_at"),
        (
            "nodes",
            {"department": "finance", "due_at": due(4), "owner_id": str(uuid.UUID(int=3))},
            422,
            "owner_id",
        ),
        ("nodes", {"department": "finance", "due_at": due(-1)}, 409, None),
        ("complete-node", {"department": "finance"}, 409, None),
        ("escalate-node", {"department": "finance", "reason": "late"}, 409, None),
        ("override-nodes", {"reason": "no need"}, 409, None),
    ],
)
def test_a_refused_ticket_action_writes_nothing(
    open_ticket: Callable[..., Json],
    act: Act,
    log_head: Callable[[], int],
    action: str,
    body: Json,
    status: int,
    field: str | None,
) -> None:
    ticket = open_ticket()["id"]
    if body.get("original_id") == "itself":
        body = {"original_id": ticket}
    before = log_head()

    problem = refused(act(ticket, action, body), status)

    if field is not None:
        assert problem["errors"][0]["field"] == field
    assert log_head() == before


def test_a_cancelled_ticket_is_never_overdue_resolved_or_in_the_backlog(
    open_ticket: Callable[..., Json],
    act: Act,
    clock: FakeClock,
    get: Callable[..., Json],
) -> None:
    cancelled, kept = open_ticket()["id"], open_ticket()["id"]
    assert act(cancelled, "cancel", {"reason": "opened by mistake"}).json["status"] == "cancelled"
    clock.advance(days=10)

    overdue = get("/tickets?overdue=resolution")["items"]
    report = get(
        f"/reports/tickets?from={START.isoformat()}&to={due(240)}&period=month".replace("+", "%2B"),
        "reporter",
    )

    assert [t["id"] for t in overdue] == [kept]
    assert get(f"/tickets/{cancelled}")["resolution_overdue"] is False
    [row] = report["rows"]
    assert (row["created"], row["resolved"], row["withdrawn"], row["backlog"]) == (2, 0, 1, 1)


# Collaborative tickets


def test_a_collaborative_ticket_across_three_departments_lights_escalates_once_and_resolves(
    open_ticket: Callable[..., Json],
    act: Act,
    new_agent: Callable[..., str],
    clock: FakeClock,
    get: Callable[..., Json],
    history: Callable[[str], list[Json]],
) -> None:
    ticket = open_ticket()["id"]
    assert act(ticket, "dispatch", {"department": "after_sales"}).status_code == 200
    accountant = new_agent("钱会计", "8102")
    for department, hours, owner in [
        ("finance", 10, accountant), ("warehouse", 10, None), ("logistics", 20, None),
    ]:  # fmt: skip
        body = {"department": department, "due_at": due(hours), "deliverable": "its part"}
        answer = act(ticket, "nodes", body | ({"owner_id": owner} if owner else {}))
        assert answer.status_code == 200, answer.text
    assert "finance, warehouse, logistics" in refused(act(ticket, "resolve"), 409)["detail"]

    clock.advance(hours=9)  # 90% of the 10-hour nodes, 45% of the 20-hour one
    lights = {n["department"]: n["light"] for n in get(f"/tickets/{ticket}")["nodes"]}
    assert lights == {"finance": "yellow", "warehouse": "yellow", "logistics": "green"}
    assert act(ticket, "complete-node", {"department": "finance"}).status_code == 200
    mine = get(f"/ticket-nodes?owner={accountant}")["items"]
    assert [(n["department"], n["status"], n["light"]) for n in mine] == [
        ("finance", "done", "green")
    ]

    clock.advance(hours=2)  # the warehouse is overdue: escalated once by the watch
    get("/ticket-nodes")
    get("/ticket-nodes")
    escalations = [e for e in history(ticket) if e["type"].endswith("NodeEscalated")]
    assert [(e["data"]["department"], e["metadata"]["actor_id"]) for e in escalations] == [
        ("warehouse", "system")
    ]
    red = get("/ticket-nodes?light=red")["items"]
    assert [(n["department"], n["escalated"]) for n in red] == [("warehouse", True)]
    assert refused(act(ticket, "escalate-node", {"department": "warehouse", "reason": "x"}), 409)

    assert act(ticket, "complete-node", {"department": "warehouse"}).status_code == 200
    assert act(ticket, "override-nodes", {"reason": "carrier not needed"}).status_code == 200
    assert act(ticket, "resolve").json["status"] == "resolved"
    window = f"from={START.isoformat()}&to={due(48)}&period=month".replace("+", "%2B")
    rows = get(f"/reports/ticket-nodes?{window}", "reporter")["rows"]
    assert [
        (r["department"], r["nodes"], r["on_time"], r["late"], r["overridden"], r["escalated"])
        for r in rows
    ] == [
        ("finance", 1, 1, 0, 0, 0),
        ("logistics", 1, 0, 0, 1, 0),
        ("warehouse", 1, 0, 1, 0, 1),
    ]
    assert rows[0]["on_time_pct"] == 100.0


def test_an_unknown_light_is_400(client: Client, auth: Callable[..., Headers]) -> None:
    result = client.simulate_get("/ticket-nodes?light=blue", headers=auth())

    assert refused(result, 400)["detail"]
