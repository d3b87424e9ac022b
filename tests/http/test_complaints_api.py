"""The complaint API as a desk application uses it: register, act, read, list, retry, audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import falcon.testing
import pytest

from tests.http.conftest import START, FakeClock, Headers, Result

Client = falcon.testing.TestClient
Json = dict[str, Any]
Reader = Callable[[str], Json]

VALID_COMPLAINT: Json = {
    "channel": "phone",
    "customer_id": "set by the known_customer fixture",
    "type": "product_defect",
    "description": "The kettle leaks after a week.",
    "expectation": "a new kettle",
    "contact": "138-0000-0000",
    "severity": "important",
}
DUE = (START + timedelta(days=2)).isoformat()

# A body each action accepts, so a walk reads as a list of action names.
BODIES: dict[str, Json] = {
    "acknowledge": {"message": "we are sorry"},
    "facts": {"facts": "the seal is cracked"},
    "attribute": {"department": "quality", "cause": "product_defect"},
    "escalate": {"level": "supervisor", "to": "set by known_agents", "reason": "repeat customer"},
    "proposals": {"remedies": [{"kind": "apology"}, {"kind": "refund", "amount": "59.90"}]},
    "accept": {"note": "customer agreed on the phone"},
    "reject": {"reason": "wants an exchange"},
    "tasks": {"department": "finance", "owner": "set by known_agents", "due_at": DUE},
    "tasks/1/complete": {"note": "refund paid"},
    "tasks/1/fail": {"note": "card closed"},
    "contact-attempts": {"channel": "phone", "note": "no answer"},
    "confirm": {"resolved": True, "satisfaction": 4, "comment": "fine"},
    "close": {},
    "reopen": {"reason": "leaks again"},
    "archive": {},
}
NOBODY = str(uuid.UUID(int=7))  # an agent id nobody registered
TASK_OF_NOBODY: Json = {"department": "finance", "owner": NOBODY, "due_at": DUE}
TO_CLOSED = [
    "acknowledge", "facts", "attribute", "proposals", "accept", "tasks", "tasks/1/complete",
    "confirm", "close",
]  # fmt: skip


@pytest.fixture(autouse=True)
def known_customer(new_customer: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The complaints here are about a real customer file (its id goes into the body)."""
    customer_id = new_customer()
    monkeypatch.setitem(VALID_COMPLAINT, "customer_id", customer_id)
    return customer_id


@pytest.fixture(autouse=True)
def known_agents(new_agent: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The supervisor escalated to and the task owner are registered agents."""
    monkeypatch.setitem(BODIES, "escalate", {**BODIES["escalate"], "to": new_agent("主管")})
    monkeypatch.setitem(BODIES, "tasks", {**BODIES["tasks"], "owner": new_agent("财务")})


@pytest.fixture
def register(client: Client, auth: Callable[..., Headers]) -> Callable[..., Json]:
    """Registers a complaint (fields of the body may be overridden); returns the 201 answer."""

    def register_(**overrides: Any) -> Json:
        body = {**VALID_COMPLAINT, **overrides}
        result = client.simulate_post("/complaints", json=body, headers=auth())
        assert result.status_code == 201, result.text
        answer: Json = result.json
        return answer

    return register_


@pytest.fixture
def act(client: Client, auth: Callable[..., Headers]) -> Callable[..., Result]:
    """POSTs one action (e.g. "facts" or "tasks/1/fail"), with its valid body unless given."""

    def act_(
        complaint_id: str,
        action: str,
        body: Mapping[str, Any] | None = None,
        *,
        role: str = "service",
        headers: Mapping[str, str] | None = None,
    ) -> Result:
        return client.simulate_post(
            f"/complaints/{complaint_id}/{action}",
            json=dict(BODIES.get(action, {}) if body is None else body),
            headers={**auth(role), **(headers or {})},
        )

    return act_


@pytest.fixture
def walk(act: Callable[..., Result]) -> Callable[..., list[Json]]:
    """Applies actions in order, each expected to succeed; returns their answers."""

    def walk_(complaint_id: str, *actions: str) -> list[Json]:
        answers = []
        for action in actions:
            result = act(complaint_id, action)
            assert result.status_code == 200, f"{action}: {result.text}"
            answers.append(result.json)
        return answers

    return walk_


@pytest.fixture
def view(client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]) -> Reader:
    """The projected view of a complaint, after the projections have caught up."""

    def view_(complaint_id: str) -> Json:
        catch_up()
        result = client.simulate_get(f"/complaints/{complaint_id}", headers=auth())
        assert result.status_code == 200, result.text
        body: Json = result.json
        return body

    return view_


@pytest.fixture
def history(client: Client, auth: Callable[..., Headers]) -> Callable[[str], list[Json]]:
    def history_(complaint_id: str) -> list[Json]:
        result = client.simulate_get(f"/complaints/{complaint_id}/history", headers=auth("auditor"))
        assert result.status_code == 200, result.text
        events: list[Json] = result.json["events"]
        return events

    return history_


@pytest.fixture
def listing(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> Callable[..., Result]:
    """GET /complaints with query parameters, after the projections have caught up."""

    def listing_(**params: Any) -> Result:
        catch_up()
        return client.simulate_get("/complaints", params=params, headers=auth("reporter"))

    return listing_


Register = Callable[..., Json]
Act = Callable[..., Result]
Walk = Callable[..., list[Json]]
Listing = Callable[..., Result]


def problem(result: Result, status: int) -> Json:
    assert result.status_code == status, result.text
    assert result.headers["Content-Type"] == "application/problem+json"
    body: Json = result.json
    assert body["status"] == status
    return body


# Registering


def test_registering_answers_201_with_location_version_and_log_position(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    result = client.simulate_post("/complaints", json=VALID_COMPLAINT, headers=auth())

    assert result.status_code == 201
    body = result.json
    assert result.headers["Location"] == f"/complaints/{body['id']}"
    assert result.headers["ETag"] == '"1"'
    assert (body["version"], body["status"], body["position"]) == (1, "registered", log_head())


def test_a_major_complaint_is_reported_to_the_manager_by_the_registering_request(
    register: Register, history: Callable[[str], list[Json]], view: Reader
) -> None:
    answer = register(major=True)

    events = history(answer["id"])
    assert answer["version"] == 2
    assert [e["type"] for e in events] == ["Registered", "ReportedToManager"]
    assert events[1]["metadata"]["actor_id"] == "desk-app"
    assert events[1]["data"]["manager"] == "duty-manager"
    assert view(answer["id"])["reported_to"] == "duty-manager"


def test_a_registered_complaint_shows_its_template_deadlines_and_links(
    register: Register,
    view: Reader,
    client: Client,
    auth: Callable[..., Headers],
    known_customer: str,
) -> None:
    body = {"channel": "phone", "category": "repair", "subject": "leak"}
    ticket_id = client.simulate_post("/tickets", json=body, headers=auth()).json["id"]
    complaint = view(register(ticket_id=ticket_id)["id"])

    assert complaint["status"] == "registered"
    assert (complaint["customer_id"], complaint["ticket_id"]) == (known_customer, ticket_id)
    assert (complaint["type"], complaint["severity"], complaint["major"]) == (
        "product_defect",
        "important",
        False,
    )
    assert complaint["first_reply_due_at"] == "2030-03-05T09:00:00Z"
    assert complaint["final_answer_due_at"] == "2030-03-07T09:00:00Z"
    assert (complaint["first_reply_overdue"], complaint["final_answer_overdue"]) == (False, False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "rudeness"}, "type"),
        ({"description": "   "}, "description"),
        ({"ticket_id": "T-1"}, "ticket_id"),
        ({"ticket_id": "00000000-0000-4000-8000-000000000000"}, "ticket_id"),
        ({"customer_id": "ghost"}, "customer_id"),
        ({"customer_id": "00000000-0000-4000-8000-000000000000"}, "customer_id"),
        ({"severity": "critical"}, "severity"),
        ({"major": "yes"}, "major"),
        ({"contact": None}, "contact"),
        ({"colour": "red"}, "colour"),
    ],
    ids=[
        "type",
        "blank",
        "ticket",
        "no-ticket",
        "customer",
        "no-customer",
        "severity",
        "major",
        "contact",
        "unknown",
    ],
)
def test_a_bad_registration_is_422_naming_the_field_and_writes_nothing(
    client: Client,
    auth: Callable[..., Headers],
    log_head: Callable[[], int],
    change: Json,
    field: str,
) -> None:
    body = {**VALID_COMPLAINT, **change}
    before = log_head()

    result = client.simulate_post("/complaints", json=body, headers=auth())

    assert problem(result, 422)["errors"][0]["field"] == field
    assert log_head() == before


def test_a_missing_field_is_named(client: Client, auth: Callable[..., Headers]) -> None:
    body = {k: v for k, v in VALID_COMPLAINT.items() if k != "customer_id"}

    result = client.simulate_post("/complaints", json=body, headers=auth())

    assert problem(result, 422)["errors"][0]["field"] == "customer_id"


def test_malformed_json_is_400(client: Client, auth: Callable[..., Headers]) -> None:
    result = client.simulate_post(
        "/complaints", body=b'{"channel": ', headers={**auth(), "Content-Type": "application/json"}
    )

    problem(result, 400)


@pytest.mark.parametrize(("role", "status"), [("reporter", 403), ("auditor", 403), (None, 401)])
def test_only_the_desk_may_register_complaints(
    client: Client, auth: Callable[..., Headers], role: str | None, status: int
) -> None:
    headers = auth(role) if role else {}

    result = client.simulate_post("/complaints", json=VALID_COMPLAINT, headers=headers)

    problem(result, status)


# The workflow


def test_a_complaint_walks_to_archived_answering_each_step_with_its_new_version(
    register: Register, walk: Walk, view: Reader, clock: FakeClock
) -> None:
    complaint_id = register()["id"]
    clock.advance(minutes=5)

    answers = walk(complaint_id, *TO_CLOSED, "archive")

    assert [a["version"] for a in answers] == list(range(2, 12))
    assert [a["status"] for a in answers][-3:] == ["confirmed", "closed", "archived"]
    complaint = view(complaint_id)
    assert complaint["status"] == "archived"
    assert complaint["acknowledge_seconds"] == 300
    assert (complaint["responsible_department"], complaint["cause"]) == (
        "quality",
        "product_defect",
    )
    assert complaint["current_proposal"]["outcome"] == "accepted"
    assert complaint["current_proposal"]["remedies"][1] == {"kind": "refund", "amount": "59.90"}
    assert (complaint["resolved"], complaint["satisfaction"]) == (True, 4)
    assert complaint["closed_unreachable"] is False
    assert complaint["open_tasks"] == []


def test_a_rejected_proposal_goes_back_to_investigation_and_history_keeps_both(
    register: Register, walk: Walk, view: Reader, history: Callable[[str], list[Json]]
) -> None:
    complaint_id = register()["id"]

    walk(complaint_id, "acknowledge", "facts", "proposals", "reject")
    assert view(complaint_id)["status"] == "investigating"
    walk(complaint_id, "escalate", "proposals", "accept")

    complaint = view(complaint_id)
    assert (complaint["status"], complaint["proposal_count"]) == ("executing", 2)
    assert complaint["escalated_to"] == BODIES["escalate"]["to"]
    proposals = [e["data"]["number"] for e in history(complaint_id) if e["type"].startswith("Res")]
    assert proposals == [1, 1, 2, 2]


def test_tasks_show_in_the_view_until_complete_and_a_failure_keeps_them_open(
    register: Register, walk: Walk, view: Reader
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, *TO_CLOSED[:6], "tasks", "tasks/1/fail")

    open_tasks = view(complaint_id)["open_tasks"]
    assert [(t["task_id"], t["outcome"], t["note"]) for t in open_tasks] == [
        ("1", "failed", "card closed"),
        ("2", "open", ""),
    ]
    walk(complaint_id, "tasks/1/complete")
    assert [t["task_id"] for t in view(complaint_id)["open_tasks"]] == ["2"]


def test_not_resolved_reopens_the_complaint_in_the_confirming_request(
    register: Register, walk: Walk, act: Act, view: Reader
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, *TO_CLOSED[:7])

    result = act(complaint_id, "confirm", {"resolved": False, "satisfaction": 2})

    assert (result.json["status"], result.json["version"]) == ("reopened", 10)
    assert view(complaint_id)["reopen_count"] == 1


def test_a_customer_tried_on_three_days_is_closed_as_unreachable(
    register: Register, walk: Walk, act: Act, view: Reader, clock: FakeClock
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, *TO_CLOSED[:7])
    for _ in range(3):
        walk(complaint_id, "contact-attempts")
        clock.advance(days=1)

    walk(complaint_id, "close")

    complaint = view(complaint_id)
    assert (complaint["status"], complaint["closed_unreachable"]) == ("closed", True)
    assert complaint["contact_attempts"] == 3


def test_a_closed_complaint_reopens_with_a_reason(
    register: Register, walk: Walk, view: Reader
) -> None:
    complaint_id = register()["id"]

    walk(complaint_id, *TO_CLOSED, "reopen")

    complaint = view(complaint_id)
    assert (complaint["status"], complaint["closed_at"], complaint["satisfaction"]) == (
        "reopened",
        None,
        None,
    )


# Refusals


def test_an_action_the_table_does_not_allow_is_409_with_what_is_allowed_now(
    register: Register, act: Act, log_head: Callable[[], int]
) -> None:
    complaint_id = register()["id"]
    before = log_head()

    body = problem(act(complaint_id, "accept"), 409)

    assert body["allowed_now"] == ["acknowledge", "escalate", "major"]
    assert "cannot accept a complaint that is registered" in body["detail"]
    assert log_head() == before


def test_closing_before_the_rules_are_met_is_409_naming_each_missing_step(
    register: Register, walk: Walk, act: Act
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, "acknowledge", "facts", "proposals", "accept", "tasks")

    body = problem(act(complaint_id, "close"), 409)

    assert "responsibility is not attributed" in body["detail"]
    assert "task 1 is open" in body["detail"]
    assert "nor been tried on 3 different days (tried on 0)" in body["detail"]
    assert "close" in body["allowed_now"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("proposals", {"remedies": []}, "remedies"),
        ("proposals", {"remedies": [{"kind": "refund", "amount": "NaN"}]}, "remedies[0]"),
        ("proposals", {"remedies": [{"kind": "cash"}]}, "remedies[0].kind"),
        ("tasks", {**TASK_OF_NOBODY, "due_at": "2030-03-06T09:00:00"}, "due_at"),
        ("confirm", {"resolved": True, "satisfaction": 6}, "satisfaction"),
        ("tasks/1/fail", {}, "note"),
        ("escalate", {"level": "ceo", "to": "x", "reason": "y"}, "level"),
        ("escalate", {"level": "expert", "to": NOBODY, "reason": "y"}, "to"),
        ("tasks", TASK_OF_NOBODY, "owner"),
    ],
    ids=[
        "no-remedy",
        "nan-amount",
        "unknown-remedy",
        "naive-time",
        "satisfaction",
        "no-note",
        "level",
        "unknown-escalation-target",
        "unknown-task-owner",
    ],
)
def test_an_invalid_action_body_is_422_naming_the_field(
    register: Register,
    walk: Walk,
    act: Act,
    log_head: Callable[[], int],
    action: str,
    body: Json,
    field: str,
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, "acknowledge", "facts", "attribute")
    before = log_head()

    assert problem(act(complaint_id, action, body), 422)["errors"][0]["field"] == field
    assert log_head() == before


def test_a_remedy_kind_given_twice_is_409(register: Register, walk: Walk, act: Act) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, "acknowledge", "facts")

    body = problem(act(complaint_id, "proposals", {"remedies": [{"kind": "repair"}] * 2}), 409)

    assert "once" in body["detail"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("tasks/9/complete", 404), ("tasks/1/explode", 404), ("promote", 404)],
)
def test_an_unknown_task_outcome_or_action_is_404(
    register: Register, walk: Walk, act: Act, path: str, status: int
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, *TO_CLOSED[:6])

    problem(act(complaint_id, path, {}), status)


def test_an_action_on_an_unknown_complaint_is_404(act: Act) -> None:
    problem(act(str(uuid.uuid4()), "acknowledge"), 404)
    problem(act(str(uuid.uuid4()), "tasks/1/complete"), 404)


def test_a_complaint_about_a_ticket_that_does_not_exist_is_422_and_writes_nothing(
    client: Client, auth: Callable[..., Headers], services: Any
) -> None:
    head = services.app.recorder.max_notification_id()
    body = {**VALID_COMPLAINT, "ticket_id": str(uuid.uuid4())}

    result = client.simulate_post("/complaints", json=body, headers=auth())

    assert result.status_code == 422
    assert result.json["errors"][0]["field"] == "ticket_id"
    assert services.app.recorder.max_notification_id() == head


def test_a_ticket_id_is_not_a_complaint(client: Client, auth: Callable[..., Headers]) -> None:
    body = {"channel": "phone", "category": "billing", "subject": "Charged twice"}
    ticket_id = client.simulate_post("/tickets", json=body, headers=auth()).json["id"]

    problem(client.simulate_post(f"/complaints/{ticket_id}/acknowledge", headers=auth()), 404)
    problem(client.simulate_get(f"/complaints/{ticket_id}/history", headers=auth()), 404)


def test_a_stale_if_match_is_412_and_the_current_one_is_accepted(
    register: Register, act: Act
) -> None:
    complaint_id = register()["id"]

    stale = act(complaint_id, "acknowledge", headers={"If-Match": '"7"'})
    fresh = act(complaint_id, "acknowledge", headers={"If-Match": '"1"'})

    assert problem(stale, 412)["current_version"] == 1
    assert fresh.status_code == 200


def test_a_retried_task_outcome_returns_the_first_answer_and_writes_nothing(
    register: Register, walk: Walk, act: Act, log_head: Callable[[], int]
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, *TO_CLOSED[:6])
    key = {"Idempotency-Key": "task-1-done"}

    first = act(complaint_id, "tasks/1/complete", headers=key)
    head = log_head()
    again = act(complaint_id, "tasks/1/complete", headers=key)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert log_head() == head


def test_a_reporter_reads_views_but_may_not_act(
    register: Register,
    act: Act,
    client: Client,
    auth: Callable[..., Headers],
    catch_up: Callable[[], int],
) -> None:
    complaint_id = register()["id"]
    catch_up()

    problem(act(complaint_id, "acknowledge", role="reporter"), 403)
    problem(act(complaint_id, "tasks/1/complete", role="reporter"), 403)
    read = client.simulate_get(f"/complaints/{complaint_id}", headers=auth("reporter"))
    audit = client.simulate_get(f"/complaints/{complaint_id}/history", headers=auth("reporter"))

    assert read.status_code == 200
    problem(audit, 403)


# Reading


def test_reading_after_a_position_is_503_until_the_projection_reaches_it(
    register: Register,
    client: Client,
    auth: Callable[..., Headers],
    catch_up: Callable[[], int],
) -> None:
    answer = register()

    def read() -> Result:
        params = {"after": answer["position"]}
        return client.simulate_get(f"/complaints/{answer['id']}", params=params, headers=auth())

    behind = read()
    catch_up()
    caught_up = read()

    problem(behind, 503)
    assert behind.headers["Retry-After"] == "1"
    assert (caught_up.status_code, caught_up.headers["ETag"]) == (200, '"1"')


def test_an_unknown_complaint_view_is_404(client: Client, auth: Callable[..., Headers]) -> None:
    problem(client.simulate_get(f"/complaints/{uuid.uuid4()}", headers=auth()), 404)


def test_the_first_reply_is_overdue_after_24_hours_without_acknowledgement(
    register: Register, view: Reader, clock: FakeClock
) -> None:
    complaint_id = register()["id"]
    clock.advance(hours=25)

    complaint = view(complaint_id)

    assert (complaint["first_reply_overdue"], complaint["final_answer_overdue"]) == (True, False)


# Listing


def test_the_list_filters_by_every_documented_parameter(
    register: Register,
    walk: Walk,
    listing: Listing,
    clock: FakeClock,
    new_customer: Callable[..., str],
) -> None:
    major = register(major=True, type="service_failure", severity="urgent")["id"]
    clock.advance(hours=1)
    other = new_customer(name="韩梅梅")
    attributed = register(customer_id=other)["id"]
    walk(attributed, "acknowledge", "facts", "attribute")

    def ids(**params: Any) -> list[str]:
        result = listing(**params)
        assert result.status_code == 200, result.text
        return [item["id"] for item in result.json["items"]]

    assert ids() == [major, attributed]
    assert ids(major="true") == [major]
    assert ids(major="false") == [attributed]
    assert ids(type="service_failure") == ids(severity="urgent") == [major]
    assert ids(status="investigating") == ids(department="quality") == [attributed]
    assert ids(customer=other) == [attributed]
    assert ids(registered_from="2030-03-04T09:30:00Z") == [attributed]
    assert ids(registered_to="2030-03-04T09:30:00+00:00") == [major]
    assert ids(overdue="any") == []
    clock.advance(hours=25)
    assert ids(overdue="first_reply") == [major]
    assert ids(sort="-registered") == [attributed, major]
    assert ids(sort="severity") == [major, attributed]


def test_the_list_pages_with_a_cursor_and_shows_overdue_flags(
    register: Register, listing: Listing, clock: FakeClock
) -> None:
    ids = []
    for _ in range(3):
        ids.append(register()["id"])
        clock.advance(minutes=1)

    first = listing(limit=2).json
    second = listing(limit=2, cursor=first["next_cursor"]).json

    assert [i["id"] for i in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert first["items"][0]["first_reply_overdue"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"major": "maybe"},
        {"overdue": "soon"},
        {"registered_from": "yesterday"},
        {"registered_to": "2030-03-04T09:30:00"},
        {"colour": "red"},
        {"sort": "colour"},
        {"cursor": "not-a-cursor"},
    ],
    ids=["major", "overdue", "time", "naive-time", "unknown", "sort", "cursor"],
)
def test_a_bad_list_parameter_is_400(listing: Listing, params: Json) -> None:
    problem(listing(**params), 400)


def test_the_openapi_document_describes_the_complaint_routes(client: Client) -> None:
    document = client.simulate_get("/openapi.json").json

    paths = document["paths"]
    assert "post" in paths["/complaints"]
    assert "/complaints/{complaint_id}/tasks/{task_id}/fail" in paths
    assert "/complaints/{complaint_id}/contact-attempts" in paths
    assert "/complaints/{complaint_id}/tasks/complete" not in paths
    assert {"RegisterComplaint", "ComplaintDocument", "TaskFailure"} <= set(
        document["components"]["schemas"]
    )


def test_a_complaint_made_major_later_is_reported_and_listed_as_major(
    register: Register, act: Act, walk: Walk, view: Reader, history: Callable[[str], list[Json]]
) -> None:
    complaint_id = register()["id"]
    walk(complaint_id, "acknowledge")

    made = act(complaint_id, "major", {"reason": "a second customer was hurt"})
    again = act(complaint_id, "major", {"reason": "still"})

    assert made.status_code == 200, made.text
    assert (view(complaint_id)["major"], view(complaint_id)["reported_to"]) == (
        True,
        "duty-manager",
    )
    assert [e["type"] for e in history(complaint_id)][-2:] == ["MadeMajor", "ReportedToManager"]
    assert (again.status_code, problem(again, 409)["allowed_now"][-1]) == (409, "major")
    assert act(complaint_id, "major", {"reason": " "}).status_code == 422
