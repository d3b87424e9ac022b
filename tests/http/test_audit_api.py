"""What auditors see through /audit: histories, past states, diffs, trails, and their own reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing

from tests.http.conftest import ACTORS, START, FakeClock

Headers = dict[str, str]


def test_the_events_of_a_stream_come_with_metadata_and_positions(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], open_ticket: Any, walk: Any
) -> None:
    ticket = open_ticket()
    walk(ticket["id"], "review", "dispatch")

    result = client.simulate_get(f"/audit/streams/{ticket['id']}/events", headers=auth("auditor"))

    assert result.status_code == 200
    events = result.json["events"]
    assert [e["type"] for e in events] == ["Opened", "Reviewed", "Dispatched"]
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert {e["metadata"]["actor_id"] for e in events} == {ACTORS["service"]}


def test_a_stream_can_be_filtered_to_a_time_range(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    open_ticket: Any,
    walk: Any,
    clock: FakeClock,
) -> None:
    ticket = open_ticket()
    clock.advance(hours=2)
    walk(ticket["id"], "review")

    later = (START.replace(hour=10)).isoformat()
    result = client.simulate_get(
        f"/audit/streams/{ticket['id']}/events", params={"from": later}, headers=auth("auditor")
    )

    assert [e["type"] for e in result.json["events"]] == ["Reviewed"]


def test_the_state_at_a_past_moment_is_rebuilt_from_the_events(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    open_ticket: Any,
    walk: Any,
    clock: FakeClock,
) -> None:
    ticket = open_ticket()
    clock.advance(hours=1)
    walk(ticket["id"], "review", "dispatch")
    clock.advance(hours=1)
    walk(ticket["id"], "start")

    at = START.replace(hour=10, minute=30).isoformat()
    result = client.simulate_get(
        f"/audit/streams/{ticket['id']}/state", params={"at": at}, headers=auth("auditor")
    )

    assert result.status_code == 200, result.text
    assert result.json["version"] == 3
    assert result.json["state"]["status"] == "dispatched"
    assert result.json["produced_by"]["type"] == "Dispatched"


def test_the_state_at_a_version_and_the_diff_between_versions(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], open_ticket: Any, walk: Any
) -> None:
    ticket = open_ticket()
    walk(ticket["id"], "review", "dispatch")

    first = client.simulate_get(
        f"/audit/streams/{ticket['id']}/state", params={"version": 1}, headers=auth("auditor")
    )
    changes = client.simulate_get(
        f"/audit/streams/{ticket['id']}/diff", params={"from": 1, "to": 3}, headers=auth("auditor")
    )

    assert first.json["state"]["status"] == "open"
    assert changes.json["changes"]["status"] == {"from": "open", "to": "dispatched"}
    assert "subject" not in changes.json["changes"]


def test_a_moment_before_the_stream_existed_is_404(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], open_ticket: Any
) -> None:
    ticket = open_ticket()

    result = client.simulate_get(
        f"/audit/streams/{ticket['id']}/state",
        params={"at": "2000-01-01T00:00:00+00:00"},
        headers=auth("auditor"),
    )

    assert result.status_code == 404


def test_state_needs_exactly_one_of_at_or_version(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], open_ticket: Any
) -> None:
    ticket = open_ticket()
    path = f"/audit/streams/{ticket['id']}/state"

    assert client.simulate_get(path, headers=auth("auditor")).status_code == 400
    both = {"at": START.isoformat(), "version": 1}
    assert client.simulate_get(path, params=both, headers=auth("auditor")).status_code == 400
    naive = {"at": "2030-03-04T09:00:00"}
    assert client.simulate_get(path, params=naive, headers=auth("auditor")).status_code == 400


def test_only_auditors_and_admins_reach_the_audit_endpoints(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], open_ticket: Any
) -> None:
    path = f"/audit/streams/{open_ticket()['id']}/events"

    assert client.simulate_get(path, headers=auth("service")).status_code == 403
    assert client.simulate_get(path, headers=auth("reporter")).status_code == 403
    assert client.simulate_get(path, headers=auth("admin")).status_code == 200


def test_what_an_actor_did_is_listed_across_aggregates(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    open_ticket: Any,
    walk: Any,
    catch_up: Any,
) -> None:
    first, second = open_ticket(), open_ticket()
    walk(second["id"], "review")
    catch_up()

    result = client.simulate_get(
        f"/audit/actors/{ACTORS['service']}/events", headers=auth("auditor")
    )

    rows = result.json["items"]
    assert [(r["stream_id"], r["event_type"]) for r in rows] == [
        (first["id"], "Ticket.Opened"),
        (second["id"], "Ticket.Opened"),
        (second["id"], "Ticket.Reviewed"),
    ]


def test_every_audit_read_is_recorded_and_listed_for_admins_only(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], open_ticket: Any, catch_up: Any
) -> None:
    ticket = open_ticket()
    client.simulate_get(f"/audit/streams/{ticket['id']}/events", headers=auth("auditor"))
    client.simulate_get(
        f"/audit/streams/{ticket['id']}/state", params={"version": 1}, headers=auth("auditor")
    )
    catch_up()

    denied = client.simulate_get("/audit/reads", headers=auth("auditor"))
    reads = client.simulate_get(
        "/audit/reads", params={"actor": ACTORS["auditor"]}, headers=auth("admin")
    )

    assert denied.status_code == 403
    assert [r["detail"] for r in reads.json["items"]] == [
        f"/audit/streams/{ticket['id']}/events",
        f"/audit/streams/{ticket['id']}/state?version=1",
    ]
