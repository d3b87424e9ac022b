"""SLA clocks in the ticket view, waiting for the customer, escalation, and the SLA columns
and report, over the real falcon app with a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing

from tests.http.conftest import FakeClock, Headers

Client = falcon.testing.TestClient
RANGE = "from=2030-03-04T00:00:00%2B08:00&to=2030-03-11T00:00:00%2B08:00"


def test_a_new_ticket_shows_its_policy_and_running_clocks_with_elapsed_and_remaining_time(
    open_ticket: Any, view: Any, clock: FakeClock
) -> None:
    ticket_id = open_ticket(priority="important")["id"]
    clock.advance(minutes=30)

    sla = view(ticket_id)["sla"]

    assert sla["policy"] == "default-important"
    first = sla["clocks"]["first_response"]
    assert (first["state"], first["target_seconds"]) == ("running", 3600)
    assert (first["elapsed_seconds"], first["remaining_seconds"]) == (1800, 1800)
    assert first["due_at"].startswith("2030-03-04T10:00:00")
    assert sla["clocks"]["next_update"]["state"] == "not_started"
    assert (sla["paused"], sla["paused_seconds"]) == (False, 0)


def test_waiting_for_the_customer_pauses_the_clocks_until_the_customer_replies(
    open_ticket: Any, walk: Any, act: Any, view: Any, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "dispatch")
    clock.advance(minutes=10)
    waiting = act(ticket_id, "await-customer", {"note": "which card?"})
    assert (waiting.status_code, waiting.json["status"]) == (200, "pending")
    clock.advance(minutes=60)

    paused = view(ticket_id)
    assert paused["status"] == "pending"
    assert paused["sla"]["paused"] is True
    assert paused["sla"]["clocks"]["resolution"]["state"] == "paused"
    assert paused["sla"]["clocks"]["resolution"]["elapsed_seconds"] == 600

    replied = act(ticket_id, "customer-reply", {"message": "the visa one"})
    assert (replied.status_code, replied.json["status"]) == (200, "in_progress")
    resumed = view(ticket_id)["sla"]
    assert (resumed["paused"], resumed["paused_seconds"]) == (False, 3600)
    assert resumed["clocks"]["next_update"]["state"] == "running"


def test_a_person_can_escalate_and_the_priority_is_raised_never_lowered(
    open_ticket: Any, act: Any, view: Any
) -> None:
    ticket_id = open_ticket(priority="important")["id"]

    raised = act(ticket_id, "escalate", {"reason": "VIP complaint", "priority": "urgent",
                                         "department": "supervisors"})  # fmt: skip
    kept = act(ticket_id, "escalate", {"reason": "again", "priority": "normal", "level": 2})

    assert raised.status_code == kept.status_code == 200
    seen = view(ticket_id)
    assert (seen["priority"], seen["department"], seen["escalation_level"]) == (
        "urgent",
        "supervisors",
        2,
    )
    assert act(ticket_id, "escalate", {"priority": "urgent"}).status_code == 422


def test_an_overdue_ticket_is_warned_breached_and_escalated_by_nobody_and_reported(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Any,
    view: Any,
    catch_up: Callable[[], int],
    clock: FakeClock,
) -> None:
    ticket_id = open_ticket(priority="urgent")["id"]
    catch_up()
    clock.advance(minutes=11)  # the urgent first response is due within 10 minutes
    for _ in range(3):
        catch_up()

    seen = view(ticket_id)
    first = seen["sla"]["clocks"]["first_response"]
    assert (first["warned"], first["breached"], first["escalation_level"]) == (True, True, 1)
    assert seen["escalation_level"] == 1
    history = client.simulate_get(f"/tickets/{ticket_id}/history", headers=auth("auditor"))
    automated = [e for e in history.json["events"] if e["metadata"]["actor_id"] == "system"]
    assert [e["type"].rsplit(".", 1)[-1] for e in automated] == [
        "SlaWarned",
        "SlaBreached",
        "Escalated",
    ]

    tickets = client.simulate_get(f"/reports/tickets?{RANGE}&period=week", headers=auth("reporter"))
    [row] = [r for r in tickets.json["rows"] if r["sla_breaches"]]
    assert (row["sla_warnings"], row["sla_breaches"], row["sla_escalations"]) == (1, 1, 1)
    by_policy = client.simulate_get(f"/reports/sla?{RANGE}&period=week", headers=auth("reporter"))
    assert by_policy.json["columns"][:2] == ["period", "policy"]
    [urgent] = [r for r in by_policy.json["rows"] if r["policy"] == "default-urgent"]
    assert (urgent["assigned"], urgent["breaches"], urgent["breach_free_pct"]) == (1, 1, 0.0)
