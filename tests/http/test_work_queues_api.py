"""An agent's work queue, a department's board and /ready's lag, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import falcon.testing

from tests.http.conftest import FakeClock, Headers, Result

Client = falcon.testing.TestClient
OpenTicket = Callable[..., dict[str, Any]]
Act = Callable[..., Result]
Walk = Callable[..., list[dict[str, Any]]]


def dispatch(act: Act, ticket_id: str, department: str, agent: str | None = None) -> None:
    result = act(ticket_id, "dispatch", {"department": department, "agent_id": agent})
    assert result.status_code == 200, result.text


def test_an_agent_queue_lists_assigned_open_tickets_the_one_due_first_first(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    act: Act,
    walk: Walk,
    catch_up: Callable[[], int],
    new_agent: Callable[..., str],
) -> None:
    agent, other = new_agent(), new_agent("李娜", "8002")
    normal = open_ticket(priority="normal")["id"]
    urgent = open_ticket(priority="urgent")["id"]
    closed = open_ticket(priority="urgent")["id"]
    someone_elses = open_ticket(priority="urgent")["id"]
    for ticket_id in (normal, urgent, closed):
        dispatch(act, ticket_id, "billing", agent)
    dispatch(act, someone_elses, "billing", other)
    walk(closed, "resolve", "close")
    catch_up()

    result = client.simulate_get(f"/agents/{agent}/queue", headers=auth())

    assert result.status_code == 200, result.text
    assert [t["id"] for t in result.json["items"]] == [urgent, normal]
    assert result.json["next_cursor"] is None


def test_an_agent_queue_pages_with_a_cursor_and_reporters_may_read_it(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    act: Act,
    catch_up: Callable[[], int],
    clock: FakeClock,
    new_agent: Callable[..., str],
) -> None:
    agent = new_agent()
    opened = []
    for _ in range(5):
        clock.advance(minutes=1)
        opened.append(open_ticket()["id"])
        dispatch(act, opened[-1], "repairs", agent)
    catch_up()

    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.simulate_get(
            f"/agents/{agent}/queue", params=params, headers=auth("reporter")
        )
        assert page.status_code == 200, page.text
        pages.append([t["id"] for t in page.json["items"]])
        if (cursor := page.json["next_cursor"]) is None:
            break

    assert pages == [opened[0:2], opened[2:4], opened[4:]]


def test_an_agent_queue_refuses_a_bad_cursor_an_unknown_parameter_and_an_auditor(
    client: Client, auth: Callable[..., Headers]
) -> None:
    path = f"/agents/{uuid4()}/queue"

    bad_cursor = client.simulate_get(path, params={"cursor": "nope"}, headers=auth())
    unknown = client.simulate_get(path, params={"status": "open"}, headers=auth())
    auditor = client.simulate_get(path, headers=auth("auditor"))

    assert (bad_cursor.status_code, unknown.status_code, auditor.status_code) == (400, 400, 403)


def test_a_department_board_counts_its_tickets_by_status_and_the_overdue_ones(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    act: Act,
    walk: Walk,
    catch_up: Callable[[], int],
    clock: FakeClock,
) -> None:
    late, started, resolved, elsewhere = (open_ticket()["id"] for _ in range(4))
    for ticket_id in (late, started, resolved):
        dispatch(act, ticket_id, "billing")
    dispatch(act, elsewhere, "repairs")
    walk(started, "start")
    walk(resolved, "resolve")
    billing_node = {"department": "billing", "due_at": (clock.now + timedelta(hours=1)).isoformat()}
    assert act(elsewhere, "nodes", billing_node).status_code == 200  # billing's part of it
    clock.advance(hours=73)  # past the normal priority's 72 h resolution time
    catch_up()

    board = client.simulate_get("/departments/billing/board", headers=auth("reporter"))

    assert board.status_code == 200, board.text
    assert board.json == {
        "department": "billing",
        "by_status": {"dispatched": 1, "in_progress": 1, "resolved": 1},
        "total": 3,
        "overdue": 2,
        "response_overdue": 0,
        "node_lights": {"red": 1, "yellow": 0, "green": 0},
    }


def test_a_department_with_no_tickets_has_an_empty_board(
    client: Client, auth: Callable[..., Headers]
) -> None:
    board = client.simulate_get("/departments/nobody/board", headers=auth())

    assert board.json == {
        "department": "nobody",
        "by_status": {},
        "total": 0,
        "overdue": 0,
        "response_overdue": 0,
        "node_lights": {"red": 0, "yellow": 0, "green": 0},
    }


def test_ready_shows_each_projection_lag_in_seconds_since_the_oldest_unprocessed_event(
    client: Client, open_ticket: OpenTicket, clock: FakeClock, catch_up: Callable[[], int]
) -> None:
    open_ticket()
    clock.advance(seconds=42)

    behind = client.simulate_get("/ready").json["projections"]
    catch_up()
    caught_up = client.simulate_get("/ready").json["projections"]

    tickets = next(p for p in behind if p["projection"] == "ticket_views")
    assert (tickets["behind"], tickets["seconds"]) == (1, 42.0)
    assert {(p["behind"], p["seconds"]) for p in caught_up} == {(0, 0.0)}


def test_the_openapi_document_lists_the_queue_and_the_board(client: Client) -> None:
    paths = client.simulate_get("/openapi.json").json["paths"]

    assert {"/agents/{agent_id}/queue", "/departments/{name}/board"} <= set(paths)


def test_an_agents_work_lists_tickets_complaint_tasks_nodes_and_visits_due_first_first(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    act: Act,
    catch_up: Callable[[], int],
    clock: FakeClock,
    new_agent: Callable[..., str],
    new_customer: Callable[..., str],
) -> None:
    agent, customer = new_agent(), new_customer()
    ticket = open_ticket(priority="urgent")["id"]  # resolution due in 4 h
    dispatch(act, ticket, "billing", agent)
    complaint = {
        "channel": "phone", "customer_id": customer, "type": "product_defect",
        "description": "kettle leaks", "contact": "138",
    }  # fmt: skip
    complaint_id = client.simulate_post("/complaints", json=complaint, headers=auth()).json["id"]
    task_due = (clock.now + timedelta(hours=1)).isoformat()
    steps = [
        ("acknowledge", {}), ("facts", {"facts": "cracked"}),
        ("attribute", {"department": "quality", "cause": "product_defect"}),
        ("proposals", {"remedies": [{"kind": "refund", "amount": "10"}]}), ("accept", {}),
        ("tasks", {"department": "finance", "owner": agent, "due_at": task_due}),
    ]  # fmt: skip
    for action, body in steps:
        path = f"/complaints/{complaint_id}/{action}"
        done = client.simulate_post(path, json=body, headers=auth())
        assert done.status_code == 200, done.text
    visit = {"customer_id": customer, "purpose": "how was it", "due_on": "2030-03-06"}
    visit_id = client.simulate_post("/visits", json=visit, headers=auth()).json["id"]
    assigned = client.simulate_post(
        f"/visits/{visit_id}/assign", json={"agent_id": agent}, headers=auth()
    )
    assert assigned.status_code == 200, assigned.text
    node_due = (clock.now + timedelta(hours=2.5)).isoformat()
    node = {"department": "finance", "owner_id": agent, "due_at": node_due, "deliverable": "fee"}
    assert act(ticket, "nodes", node).status_code == 200
    clock.advance(hours=2)
    catch_up()

    work = client.simulate_get(f"/agents/{agent}/work", headers=auth("reporter"))
    finance = client.simulate_get("/departments/finance/work", headers=auth())

    assert work.status_code == 200, work.text
    items = [(i["kind"], i["id"], i["overdue"]) for i in work.json["items"]]
    assert items == [
        ("complaint_task", complaint_id, True),
        ("ticket_node", ticket, False),
        ("ticket", ticket, False),
        ("visit", visit_id, False),
    ]
    assert work.json["items"][1]["light"] == "yellow"  # 80 % of its time has passed
    assert [i["kind"] for i in finance.json["items"]] == ["complaint_task", "ticket_node"]


def test_the_hotline_department_owns_the_callbacks_and_a_bad_parameter_is_400(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> None:
    call = {"direction": "inbound", "customer_number": "13900139000", "hotline": "95"}
    call_id = client.simulate_post("/calls", json=call, headers=auth()).json["id"]
    client.simulate_post(f"/calls/{call_id}/queue", json={"group": "sales"}, headers=auth())
    client.simulate_post(f"/calls/{call_id}/end", json={"hung_up_by": "caller"}, headers=auth())
    catch_up()

    hotline = client.simulate_get("/departments/customer_service/work", headers=auth())
    bad = client.simulate_get("/departments/customer_service/work?colour=red", headers=auth())

    assert [(i["kind"], i["id"]) for i in hotline.json["items"]] == [("callback", call_id)]
    assert bad.status_code == 400
