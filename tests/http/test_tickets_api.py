"""The ticket API as a desk application uses it: open, act, read, retry, audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import falcon.testing
import pytest

from tests.http.conftest import ACTION_BODIES, START, VALID_TICKET, FakeClock, Headers, Result

Client = falcon.testing.TestClient
Act = Callable[..., Result]
Walk = Callable[..., list[dict[str, Any]]]
OpenTicket = Callable[..., dict[str, Any]]
Reader = Callable[[str], Any]

# Allowed in every state before resolution: withdraw the ticket, or work node by node.
BEFORE_RESOLVED = [
    "cancel",
    "duplicate",
    "nodes",
    "complete-node",
    "escalate-node",
    "override-nodes",
]
FULL_WALK = ["review", "dispatch", "start", "resolve", "feedback", "rating", "close", "archive"]


def iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Opening


def test_opening_a_ticket_answers_201_with_its_location_version_and_log_position(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    result = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth())

    assert result.status_code == 201
    body = result.json
    assert set(body) == {"id", "version", "status", "position"}
    assert result.headers["Location"] == f"/tickets/{body['id']}"
    assert result.headers["ETag"] == '"1"'
    assert body["version"] == 1
    assert body["status"] == "open"
    assert body["position"] == log_head() == 1
    assert uuid.UUID(body["id"])


def test_an_admin_may_open_a_ticket_too(client: Client, auth: Callable[..., Headers]) -> None:
    result = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth("admin"))

    assert result.status_code == 201


def test_only_channel_category_and_subject_are_needed_to_open_a_ticket(
    client: Client, auth: Callable[..., Headers], view: Reader
) -> None:
    minimal = {"channel": "wechat", "category": "delivery", "subject": "Parcel late"}

    result = client.simulate_post("/tickets", json=minimal, headers=auth())

    assert result.status_code == 201
    ticket = view(result.json["id"])
    assert ticket["priority"] == "normal"
    assert ticket["description"] == ""
    assert ticket["customer_id"] is None


def test_an_opened_ticket_is_readable_with_its_deadlines_once_projections_catch_up(
    open_ticket: OpenTicket, view: Reader, new_customer: Callable[..., str]
) -> None:
    customer = new_customer()
    opened = open_ticket(customer_id=customer)

    ticket = view(opened["id"])

    assert ticket["id"] == opened["id"]
    assert ticket["status"] == "open"
    assert ticket["subject"] == VALID_TICKET["subject"]
    assert ticket["channel"] == "phone"
    assert ticket["customer_id"] == customer
    assert ticket["opened_at"].startswith(iso(START)[:-1])
    assert ticket["response_due_at"].startswith(iso(START + timedelta(hours=4))[:-1])
    assert ticket["resolution_due_at"].startswith(iso(START + timedelta(hours=72))[:-1])
    assert ticket["version"] == 1
    assert ticket["position"] == opened["position"]
    assert ticket["response_overdue"] is False
    assert ticket["resolution_overdue"] is False


def test_the_view_carries_the_ticket_version_as_its_etag(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    walk: Walk,
    catch_up: Callable[[], int],
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "review", "dispatch")
    catch_up()

    result = client.simulate_get(f"/tickets/{ticket_id}", headers=auth("reporter"))

    assert result.status_code == 200
    assert result.headers["ETag"] == '"3"'
    assert result.json["version"] == 3


# The lifecycle


def test_a_ticket_walks_from_open_to_archived_answering_each_step_with_its_new_version(
    open_ticket: OpenTicket, act: Act
) -> None:
    opened = open_ticket()
    positions = [opened["position"]]
    statuses = []

    for expected_version, action in enumerate(FULL_WALK, start=2):
        result = act(opened["id"], action)
        assert result.status_code == 200, f"{action}: {result.text}"
        assert result.json["id"] == opened["id"]
        assert result.json["version"] == expected_version
        assert result.headers["ETag"] == f'"{expected_version}"'
        positions.append(result.json["position"])
        statuses.append(result.json["status"])

    assert statuses == [
        "reviewed",
        "dispatched",
        "in_progress",
        "resolved",
        "feedback_given",
        "feedback_given",
        "closed",
        "archived",
    ]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_an_archived_ticket_refuses_every_action_with_409_and_nothing_allowed_now(
    open_ticket: OpenTicket, act: Act, walk: Walk, log_head: Callable[[], int]
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, *FULL_WALK)
    head = log_head()

    for action in ACTION_BODIES:
        result = act(ticket_id, action)
        assert result.status_code == 409, action
        assert result.headers["Content-Type"] == "application/problem+json"
        assert result.json["allowed_now"] == []
        assert "allowed now: nothing" in result.json["detail"]
    assert log_head() == head


def test_the_archived_ticket_view_shows_the_whole_story(
    open_ticket: OpenTicket,
    walk: Walk,
    act: Act,
    view: Reader,
    clock: FakeClock,
    new_agent: Callable[..., str],
) -> None:
    ticket_id, agent = open_ticket()["id"], new_agent()
    clock.advance(minutes=30)
    walk(ticket_id, "review")
    assert (
        act(ticket_id, "dispatch", {"department": "billing", "agent_id": agent}).status_code == 200
    )
    walk(ticket_id, *FULL_WALK[2:])

    ticket = view(ticket_id)

    assert ticket["status"] == "archived"
    assert ticket["department"] == "billing"
    assert ticket["assignee_id"] == agent
    assert ticket["first_response_seconds"] == 30 * 60
    assert ticket["resolution"] == "refunded the second debit"
    assert ticket["resolution_code"] == "refund"
    assert ticket["feedback_channel"] == "sms"
    assert ticket["rating"] == 5
    assert ticket["rating_comment"] == "quick"
    assert ticket["closed_at"] is not None
    assert ticket["archived_at"] is not None
    assert ticket["version"] == 9


def test_a_refused_command_says_which_actions_are_allowed_now(
    open_ticket: OpenTicket, act: Act, log_head: Callable[[], int]
) -> None:
    ticket_id = open_ticket()["id"]
    head = log_head()

    result = act(ticket_id, "resolve")

    assert result.status_code == 409
    problem = result.json
    allowed = ["review", "dispatch", "urge", "follow-ups", "customer-reply", "escalate"]
    allowed += ["priority", "category", "tags", *BEFORE_RESOLVED]
    assert problem["allowed_now"] == allowed
    assert problem["detail"].endswith(f"allowed now: {', '.join(allowed)}")
    assert problem["type"] == "/problems/rule-violated"
    assert log_head() == head


def test_a_ticket_can_be_dispatched_without_review_then_redispatched_and_urged(
    open_ticket: OpenTicket, walk: Walk, view: Reader
) -> None:
    ticket_id = open_ticket()["id"]

    answers = walk(ticket_id, "dispatch", "redispatch", "urge", "urge", "follow-ups")

    assert [a["status"] for a in answers] == ["dispatched"] * 5
    ticket = view(ticket_id)
    assert ticket["department"] == "refunds"
    assert ticket["assignee_id"] is None
    assert ticket["urge_count"] == 2


def test_a_resolution_can_be_rated_only_once(open_ticket: OpenTicket, walk: Walk, act: Act) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "dispatch", "start", "resolve", "rating")

    again = act(ticket_id, "rating", {"score": 1})

    assert again.status_code == 409
    assert "already been rated" in again.json["detail"]
    assert "rating" in again.json["allowed_now"]


def test_a_closed_ticket_can_be_reopened_worked_again_and_rated_afresh(
    open_ticket: OpenTicket, walk: Walk, act: Act, view: Reader
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "dispatch", "start", "resolve", "rating", "close")

    reopened = act(ticket_id, "reopen")
    assert reopened.status_code == 200
    assert reopened.json["status"] == "reopened"
    refused = act(ticket_id, "archive")
    assert refused.status_code == 409
    assert refused.json["allowed_now"] == [
        "redispatch",
        "start",
        "resolve",
        "urge",
        "follow-ups",
        "await-customer",
        "customer-reply",
        "escalate",
        "priority",
        "category",
        "tags",
        *BEFORE_RESOLVED,
    ]
    reopened_view = view(ticket_id)
    assert reopened_view["status"] == "reopened"
    assert reopened_view["reopen_count"] == 1
    assert reopened_view["rating"] is None
    assert reopened_view["resolved_at"] is None

    walk(ticket_id, "start", "resolve")
    rated = act(ticket_id, "rating", {"score": 2, "comment": "slow second time"})
    assert rated.status_code == 200
    walk(ticket_id, "close", "archive")
    final = view(ticket_id)
    assert final["status"] == "archived"
    assert final["rating"] == 2
    assert final["reopen_count"] == 1


def test_reopening_needs_a_resolved_or_closed_ticket(
    open_ticket: OpenTicket, walk: Walk, act: Act
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "dispatch", "start")

    result = act(ticket_id, "reopen")

    assert result.status_code == 409
    assert "reopen" not in result.json["allowed_now"]


# If-Match


def test_a_command_naming_the_current_version_in_if_match_is_accepted(
    open_ticket: OpenTicket, act: Act
) -> None:
    ticket_id = open_ticket()["id"]

    result = act(ticket_id, "review", headers={"If-Match": '"1"'})

    assert result.status_code == 200
    assert result.json["version"] == 2


def test_a_weak_etag_in_if_match_is_accepted_as_the_version(
    open_ticket: OpenTicket, act: Act
) -> None:
    ticket_id = open_ticket()["id"]

    result = act(ticket_id, "review", headers={"If-Match": 'W/"1"'})

    assert result.status_code == 200


def test_a_command_with_a_stale_if_match_is_refused_with_412_and_the_current_version(
    open_ticket: OpenTicket, walk: Walk, act: Act, history: Reader, log_head: Callable[[], int]
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "review")
    head = log_head()

    result = act(ticket_id, "dispatch", headers={"If-Match": '"1"'})

    assert result.status_code == 412
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.json["current_version"] == 2
    assert result.headers["ETag"] == '"2"'
    assert log_head() == head
    assert len(history(ticket_id)) == 2


# Idempotency-Key


def test_retrying_an_open_with_the_same_idempotency_key_returns_the_first_answer_and_writes_nothing(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    headers = {**auth(), "Idempotency-Key": "open-7f3a"}
    first = client.simulate_post("/tickets", json=VALID_TICKET, headers=headers)
    head = log_head()

    retry = client.simulate_post("/tickets", json=VALID_TICKET, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert log_head() == head


def test_retrying_an_action_returns_the_first_answer_even_after_the_ticket_moved_on(
    open_ticket: OpenTicket, act: Act, walk: Walk, history: Reader, log_head: Callable[[], int]
) -> None:
    ticket_id = open_ticket()["id"]
    key = {"Idempotency-Key": "dispatch-1"}
    first = act(ticket_id, "dispatch", headers=key)
    walk(ticket_id, "start")
    head = log_head()

    retry = act(ticket_id, "dispatch", headers=key)

    assert first.status_code == retry.status_code == 200
    assert retry.json == first.json
    assert retry.json["status"] == "dispatched"
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert log_head() == head
    assert [e["type"] for e in history(ticket_id)] == ["Opened", "Dispatched", "Started"]


def test_reusing_an_idempotency_key_for_a_different_request_is_refused_with_422(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket, act: Act,
    log_head: Callable[[], int],
) -> None:  # fmt: skip
    headers = {**auth(), "Idempotency-Key": "k-1"}
    client.simulate_post("/tickets", json=VALID_TICKET, headers=headers)
    ticket_id = open_ticket()["id"]
    head = log_head()

    other_body = client.simulate_post(
        "/tickets", json={**VALID_TICKET, "subject": "Another"}, headers=headers
    )
    other_path = act(ticket_id, "review", headers={"Idempotency-Key": "k-1"})

    for result in (other_body, other_path):
        assert result.status_code == 422
        assert result.json["type"] == "/problems/idempotency-key-reused"
    assert log_head() == head


def test_idempotency_keys_are_scoped_per_actor(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    key = {"Idempotency-Key": "same-key"}
    by_service = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth() | key)

    by_admin = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth("admin") | key)

    assert by_admin.status_code == 201
    assert by_admin.json["id"] != by_service.json["id"]
    assert "Idempotent-Replayed" not in by_admin.headers
    assert log_head() == 2


def test_a_refused_command_does_not_use_up_its_idempotency_key(
    open_ticket: OpenTicket, act: Act, walk: Walk
) -> None:
    ticket_id = open_ticket()["id"]
    key = {"Idempotency-Key": "resolve-1"}
    refused = act(ticket_id, "resolve", headers=key)
    walk(ticket_id, "dispatch", "start")

    accepted = act(ticket_id, "resolve", headers=key)

    assert refused.status_code == 409
    assert accepted.status_code == 200
    assert accepted.json["status"] == "resolved"
    assert "Idempotent-Replayed" not in accepted.headers


# Reading your writes


def test_reading_after_a_position_the_projection_has_not_reached_is_503_with_retry_after(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket
) -> None:
    opened = open_ticket()

    result = client.simulate_get(
        f"/tickets/{opened['id']}", params={"after": opened["position"]}, headers=auth()
    )

    assert result.status_code == 503
    assert result.headers["Retry-After"].isdigit()
    assert result.headers["Content-Type"] == "application/problem+json"
    assert str(opened["position"]) in result.json["detail"]


def test_reading_after_a_position_succeeds_once_the_projections_caught_up(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    act: Act,
    catch_up: Callable[[], int],
) -> None:
    ticket_id = open_ticket()["id"]
    dispatched = act(ticket_id, "dispatch").json
    catch_up()

    result = client.simulate_get(
        f"/tickets/{ticket_id}", params={"after": dispatched["position"]}, headers=auth()
    )

    assert result.status_code == 200
    assert result.json["status"] == "dispatched"
    assert result.json["position"] == dispatched["position"]


def test_a_ticket_the_projection_has_not_seen_yet_reads_as_404(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket
) -> None:
    ticket_id = open_ticket()["id"]

    result = client.simulate_get(f"/tickets/{ticket_id}", headers=auth())

    assert result.status_code == 404


# History and metadata


def test_history_lists_every_event_in_order_with_who_did_it_and_why(
    open_ticket: OpenTicket, act: Act, history: Reader
) -> None:
    ticket_id = open_ticket()["id"]
    correlation, causation = uuid.uuid4(), uuid.uuid4()
    act(
        ticket_id,
        "dispatch",
        headers={
            "X-Correlation-ID": str(correlation),
            "X-Causation-ID": str(causation),
            "X-Channel": "ivr",
        },
    )
    act(ticket_id, "start", role="admin")

    events = history(ticket_id)

    assert [e["type"] for e in events] == ["Opened", "Dispatched", "Started"]
    assert [e["version"] for e in events] == [1, 2, 3]
    opened, dispatched, started = (e["metadata"] for e in events)
    assert opened["actor_id"] == "desk-app"
    assert opened["actor_role"] == "service"
    assert opened["channel"] == "api"
    assert opened["causation_id"] is None
    assert uuid.UUID(opened["correlation_id"])
    assert dispatched["correlation_id"] == str(correlation)
    assert dispatched["causation_id"] == str(causation)
    assert dispatched["channel"] == "ivr"
    assert events[1]["data"]["department"] == "billing"
    assert started["actor_id"] == "root"
    assert started["actor_role"] == "admin"
    command_ids = {e["metadata"]["command_id"] for e in events}
    assert len(command_ids) == 3


def test_history_records_the_time_the_clock_gave_each_command(
    open_ticket: OpenTicket, act: Act, history: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(hours=2)
    act(ticket_id, "review")

    opened_at, reviewed_at = (e["at"] for e in history(ticket_id))

    assert opened_at.startswith(iso(START)[:-1])
    assert reviewed_at.startswith(iso(START + timedelta(hours=2))[:-1])


@pytest.mark.parametrize("role", ["service", "auditor", "admin"])
def test_history_is_readable_by_service_auditor_and_admin(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket, role: str
) -> None:
    ticket_id = open_ticket()["id"]

    result = client.simulate_get(f"/tickets/{ticket_id}/history", headers=auth(role))

    assert result.status_code == 200
    assert result.json["id"] == ticket_id


@pytest.mark.parametrize("role", ["service", "reporter", "admin"])
def test_the_view_is_readable_by_service_reporter_and_admin(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    catch_up: Callable[[], int],
    role: str,
) -> None:
    ticket_id = open_ticket()["id"]
    catch_up()

    result = client.simulate_get(f"/tickets/{ticket_id}", headers=auth(role))

    assert result.status_code == 200


# Deadlines


def test_a_new_ticket_is_not_overdue_just_before_its_response_deadline(
    open_ticket: OpenTicket, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(hours=4)

    ticket = view(ticket_id)

    assert ticket["response_overdue"] is False
    assert ticket["resolution_overdue"] is False


def test_a_ticket_nobody_answered_within_its_response_time_is_response_overdue(
    open_ticket: OpenTicket, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(hours=4, seconds=1)

    ticket = view(ticket_id)

    assert ticket["response_overdue"] is True
    assert ticket["resolution_overdue"] is False


def test_a_ticket_still_unresolved_past_its_resolution_time_is_resolution_overdue(
    open_ticket: OpenTicket, walk: Walk, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(minutes=5)
    walk(ticket_id, "dispatch", "start")
    clock.advance(hours=72)

    ticket = view(ticket_id)

    assert ticket["response_overdue"] is False
    assert ticket["resolution_overdue"] is True


def test_a_ticket_answered_and_resolved_in_time_never_becomes_overdue(
    open_ticket: OpenTicket, walk: Walk, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(hours=1)
    walk(ticket_id, "dispatch", "start")
    clock.advance(hours=10)
    walk(ticket_id, "resolve", "close")
    clock.advance(days=30)

    ticket = view(ticket_id)

    assert ticket["response_overdue"] is False
    assert ticket["resolution_overdue"] is False


def test_a_late_first_response_leaves_the_ticket_response_overdue(
    open_ticket: OpenTicket, walk: Walk, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(hours=5)
    walk(ticket_id, "review")

    ticket = view(ticket_id)

    assert ticket["first_response_seconds"] == 5 * 3600
    assert ticket["response_overdue"] is True


def test_an_urge_is_not_a_response_so_the_ticket_still_becomes_response_overdue(
    open_ticket: OpenTicket, walk: Walk, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(hours=1)
    walk(ticket_id, "urge")
    clock.advance(hours=4)

    assert view(ticket_id)["response_overdue"] is True


def test_an_urgent_ticket_is_overdue_after_minutes_not_hours(
    open_ticket: OpenTicket, view: Reader, clock: FakeClock
) -> None:
    urgent = open_ticket(priority="urgent")["id"]
    normal = open_ticket(priority="normal")["id"]
    clock.advance(minutes=11)

    assert view(urgent)["response_overdue"] is True
    assert view(normal)["response_overdue"] is False
    clock.advance(hours=4)
    assert view(urgent)["resolution_overdue"] is True
    assert view(normal)["resolution_overdue"] is False


def test_reopening_gives_the_ticket_a_new_resolution_deadline_from_the_reopening(
    open_ticket: OpenTicket, walk: Walk, view: Reader, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "dispatch", "start", "resolve", "close")
    clock.advance(hours=100)
    walk(ticket_id, "reopen")

    reopened = view(ticket_id)
    assert reopened["resolution_overdue"] is False
    assert reopened["resolution_due_at"].startswith(iso(START + timedelta(hours=172))[:-1])

    clock.advance(hours=72, seconds=1)
    assert view(ticket_id)["resolution_overdue"] is True


# Public endpoints


def test_health_answers_without_a_token(client: Client) -> None:
    result = client.simulate_get("/health")

    assert result.status_code == 200
    assert result.json == {"status": "ok"}


def test_ready_shows_the_log_head_and_how_far_each_projection_lags(
    client: Client, open_ticket: OpenTicket, walk: Walk, catch_up: Callable[[], int]
) -> None:
    ticket_id = open_ticket()["id"]
    walk(ticket_id, "review")

    behind = client.simulate_get("/ready")  # no runner has run yet
    catch_up()
    caught_up = client.simulate_get("/ready")

    assert (behind.status_code, caught_up.status_code) == (503, 200)
    assert behind.json["reasons"] == ["projection runner not running (no heartbeat yet)"]
    assert caught_up.json["status"] == "ready"
    assert behind.json["head"] == 2
    tickets_before = next(
        p for p in behind.json["projections"] if p["projection"] == "ticket_views"
    )
    assert tickets_before == {
        "projection": "ticket_views",
        "position": 0,
        "head": 2,
        "behind": 2,
        "seconds": 0.0,
    }
    assert all(p["behind"] == 0 for p in caught_up.json["projections"])
    assert all(p["position"] == 2 for p in caught_up.json["projections"])


def test_the_openapi_document_is_public_and_describes_every_ticket_action(
    client: Client,
) -> None:
    result = client.simulate_get("/openapi.json")

    assert result.status_code == 200
    document = result.json
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "post" in paths["/tickets"]
    assert "get" in paths["/tickets/{ticket_id}"]
    assert "get" in paths["/tickets/{ticket_id}/history"]
    for action in ACTION_BODIES:
        assert "post" in paths[f"/tickets/{{ticket_id}}/{action}"], action
    open_schema = document["components"]["schemas"]["OpenTicket"]
    assert set(open_schema["required"]) == {"channel", "category", "subject"}
    assert open_schema.get("additionalProperties") is False


NO_SUCH_RECORD = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("customer_id", ["nobody", NO_SUCH_RECORD])
def test_a_ticket_for_a_customer_without_a_file_is_422_naming_customer_id_and_writes_nothing(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int], customer_id: str
) -> None:
    body = {**VALID_TICKET, "customer_id": customer_id}

    result = client.simulate_post("/tickets", json=body, headers=auth())

    assert result.status_code == 422, result.text
    assert result.json["errors"][0]["field"] == "customer_id"
    assert log_head() == 0


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("dispatch", {"department": "billing", "agent_id": "ghost"}, "agent_id"),
        ("dispatch", {"department": "billing", "agent_id": NO_SUCH_RECORD}, "agent_id"),
        ("dispatch", {"department": "nowhere"}, "department"),
        ("redispatch", {"department": "nowhere", "reason": "moved"}, "department"),
        (
            "redispatch",
            {"department": "sales", "reason": "x", "agent_id": NO_SUCH_RECORD},
            "agent_id",
        ),
    ],
    ids=["agent-text", "agent-unknown", "department", "redispatch-department", "redispatch-agent"],
)
def test_sending_a_ticket_to_an_unknown_agent_or_department_is_422_and_writes_nothing(
    open_ticket: OpenTicket,
    walk: Walk,
    act: Act,
    log_head: Callable[[], int],
    action: str,
    body: dict[str, Any],
    field: str,
) -> None:
    ticket_id = open_ticket()["id"]
    if action == "redispatch":
        walk(ticket_id, "dispatch")
    head = log_head()

    result = act(ticket_id, action, body)

    assert result.status_code == 422, result.text
    assert result.json["errors"][0]["field"] == field
    assert log_head() == head
