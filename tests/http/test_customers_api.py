"""The /customers and /visits routes over falcon's TestClient: status codes, filters, pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from tests.http.conftest import FakeClock, Headers

Client = falcon.testing.TestClient
FILE = {"name": "韩梅梅", "phones": ["138 0013 8000"], "tier": "member", "tags": ["sofa"]}
ACTIONS: dict[str, dict[str, Any]] = {
    "contact": {"email": "han@example.cn"},
    "orders": {"number": "A-1", "amount": "3999.00", "ordered_on": "2030-03-02", "items": ["sofa"]},
    "milestones": {"kind": "delivery", "on": "2030-03-03", "note": "2nd floor"},
    "staff": {"role": "designer", "staff_id": "s-9"},
    "surveys": {"answered_on": "2030-03-03", "rating": 5, "staff_ids": ["s-9"]},
    "preferences": {"preferences": {"contact_by": "wechat"}, "quiet_hours": ["12:00-14:00"]},
}

FULL_WIDTH = str.maketrans("0123456789+", "".join(map(chr, range(0xFF10, 0xFF1A))) + "\uff0b")


@pytest.fixture
def new_file(client: Client, auth: Callable[..., Headers]) -> Callable[..., str]:
    def create(**overrides: Any) -> str:
        result = client.simulate_post("/customers", json={**FILE, **overrides}, headers=auth())
        assert result.status_code == 201, result.text
        return str(result.json["id"])

    return create


@pytest.fixture
def get(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> Callable[..., Any]:
    """GETs a path after the projections (and the visit planner) caught up; asserts 200."""

    def get_(path: str, role: str = "service") -> Any:
        catch_up()
        result = client.simulate_get(path, headers=auth(role))
        assert result.status_code == 200, result.text
        return result.json

    return get_


def post(client: Client, headers: Headers, path: str, body: dict[str, Any]) -> Any:
    return client.simulate_post(path, json=body, headers=headers)


def test_a_file_is_created_and_found_by_any_spelling_of_its_phone(
    client: Client, auth: Callable[..., Headers], get: Callable[..., Any]
) -> None:
    result = client.simulate_post("/customers", json=FILE, headers=auth())

    assert result.status_code == 201
    assert result.headers["Location"] == f"/customers/{result.json['id']}"
    found = get("/customers?phone=%2B86%20138-0013-8000")
    assert [c["id"] for c in found["items"]] == [result.json["id"]]
    assert found["items"][0]["phones"] == ["+8613800138000"]


def test_a_landline_and_full_width_digits_are_stored_as_e164_and_found_by_local_spellings(
    new_file: Callable[..., str], get: Callable[..., Any]
) -> None:
    file_id = new_file(phones=["+86 010 12345678", "139 0013 9000".translate(FULL_WIDTH)])

    found = get("/customers?phone=010-12345678")
    assert [c["id"] for c in found["items"]] == [file_id]
    assert found["items"][0]["phones"] == ["+861012345678", "+8613900139000"]
    assert [c["id"] for c in get("/customers?phone=13900139000")["items"]] == [file_id]


def test_a_phone_that_is_not_a_number_is_a_422_and_nothing_is_recorded(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    result = client.simulate_post(
        "/customers", json={**FILE, "phones": ["call me"]}, headers=auth()
    )

    assert result.status_code == 422
    assert "not a phone number" in result.json["detail"]
    assert log_head() == 0


def test_a_lookup_by_something_that_is_not_a_phone_is_a_400(
    client: Client, auth: Callable[..., Headers]
) -> None:
    assert client.simulate_get("/customers?phone=abc", headers=auth()).status_code == 400


def test_every_customer_action_shows_in_the_file(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    new_agent: Callable[..., str],
    get: Callable[..., Any],
) -> None:
    customer, agent = new_file(), new_agent()

    for action, body in {"owner": {"agent_id": agent}, **ACTIONS}.items():
        result = post(client, auth(), f"/customers/{customer}/{action}", body)
        assert result.status_code == 200, (action, result.text)

    view = get(f"/customers/{customer}")
    assert (view["name"], view["email"], view["owner_id"]) == (
        "韩梅梅",
        "han@example.cn",
        agent,
    )
    assert view["orders"][0]["amount"] == "3999.00"
    assert [m["kind"] for m in view["milestones"]] == ["delivery"]
    assert (view["staff"], view["surveys"][0]["rating"]) == ({"designer": "s-9"}, 5)
    assert view["quiet_hours"] == ["12:00-14:00"]
    history = get(f"/customers/{customer}/history", role="auditor")
    assert history["events"][-1]["type"] == "PreferencesMarked"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("orders", {"number": "A-2", "amount": "-1", "ordered_on": "2030-03-02"}),
        ("surveys", {"answered_on": "2030-03-03", "rating": 6}),
        ("preferences", {"quiet_hours": ["noon"]}),
        ("milestones", {"kind": "Wedding Day", "on": "2030-03-03"}),
        ("contact", {"nickname": "梅"}),
    ],
)
def test_invalid_action_bodies_are_422(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    action: str,
    body: dict[str, Any],
) -> None:
    result = post(client, auth(), f"/customers/{new_file()}/{action}", body)

    assert result.status_code == 422, result.text


def test_a_merged_file_refuses_commands_with_409_naming_the_survivor(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    get: Callable[..., Any],
) -> None:
    survivor, duplicate = new_file(phones=["139 1111 2222"]), new_file()
    assert (
        post(client, auth(), f"/customers/{duplicate}/merge", {"into": survivor}).status_code == 200
    )

    refused = post(client, auth(), f"/customers/{duplicate}/contact", {"name": "a"})

    assert refused.status_code == 409
    assert survivor in refused.json["detail"] and refused.json["allowed_now"] == []
    found = get("/customers?phone=13800138000")
    assert [c["id"] for c in found["items"]] == [survivor]
    assert get(f"/customers/{duplicate}")["merged_into"] == survivor


@pytest.mark.parametrize("agent_id", ["ghost", "00000000-0000-4000-8000-000000000000"])
def test_an_owner_who_is_not_an_agent_is_422_naming_agent_id_and_writes_nothing(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    log_head: Callable[[], int],
    agent_id: str,
) -> None:
    customer = new_file()
    before = log_head()

    result = post(client, auth(), f"/customers/{customer}/owner", {"agent_id": agent_id})

    assert result.status_code == 422
    assert result.json["errors"][0]["field"] == "agent_id"
    assert log_head() == before


def test_merging_into_a_file_that_does_not_exist_is_422(
    client: Client, auth: Callable[..., Headers], new_file: Callable[..., str]
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    result = post(client, auth(), f"/customers/{new_file()}/merge", {"into": unknown})

    assert result.status_code == 422
    assert result.json["errors"][0]["field"] == "into"


def test_the_list_filters_by_name_prefix_tier_owner_and_tag(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    new_agent: Callable[..., str],
    get: Callable[..., Any],
) -> None:
    mei, agent = new_file(), new_agent()
    new_file(name="李雷", tier="none", tags=["bed"])
    post(client, auth(), f"/customers/{mei}/owner", {"agent_id": agent})

    for query in ("name=%E9%9F%A9", "tier=member", f"owner={agent}", "tag=sofa"):
        assert [c["id"] for c in get(f"/customers?{query}")["items"]] == [mei], query
    assert client.simulate_get("/customers?colour=red", headers=auth()).status_code == 400


def test_the_timeline_pages_with_a_cursor_and_refuses_a_bad_one(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    get: Callable[..., Any],
    open_ticket: Callable[..., dict[str, Any]],
    clock: FakeClock,
) -> None:
    customer = new_file()
    for n in range(3):
        clock.advance(minutes=1)
        open_ticket(customer_id=customer, subject=f"case {n}")

    first = get(f"/customers/{customer}/timeline?limit=2&sort=-at")
    second = get(f"/customers/{customer}/timeline?limit=2&sort=-at&cursor={first['next_cursor']}")

    titles = [e["title"] for e in first["items"] + second["items"]]
    assert titles == ["case 2", "case 1", "case 0", "customer file opened"]
    assert second["next_cursor"] is None
    bad = client.simulate_get(f"/customers/{customer}/timeline?cursor=nonsense", headers=auth())
    assert bad.status_code == 400
    unknown = "/customers/00000000-0000-4000-8000-000000000000/timeline"
    assert client.simulate_get(unknown, headers=auth()).status_code == 404


def test_visits_are_listed_as_due_today_then_overdue_and_late_for_members(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    get: Callable[..., Any],
    clock: FakeClock,
) -> None:
    customer = new_file()
    post(client, auth(), f"/customers/{customer}/orders", ACTIONS["orders"])  # sold on 3/2

    [today] = get("/visits?due=today")["items"]
    assert (today["rule"], today["due_on"], today["late"]) == ("7dc-sale", "2030-03-04", False)

    clock.advance(days=4)
    assert [v["id"] for v in get("/visits?due=overdue&rule=7dc-sale")["items"]] == [today["id"]]
    [late] = get("/visits?due=late")["items"]
    assert late["late"] is True
    assert client.simulate_get("/visits?due=tomorrow", headers=auth()).status_code == 400


def test_a_visit_is_retried_then_done_and_then_refuses_more(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    new_agent: Callable[..., str],
    get: Callable[..., Any],
) -> None:
    customer = new_file()
    post(client, auth(), f"/customers/{customer}/preferences", ACTIONS["preferences"])
    post(client, auth(), f"/customers/{customer}/orders", ACTIONS["orders"])
    visit = get("/visits?rule=7dc-sale")["items"][0]["id"]
    path = f"/visits/{visit}"

    assert post(client, auth(), f"{path}/not-reached", {"note": "no answer"}).status_code == 200
    assert get(path)["next_attempt_at"] == "2030-03-04T19:00:00+08:00"  # same day, 2 h later
    assert post(client, auth(), f"{path}/done", {"reached": True}).status_code == 409
    assert (
        post(client, auth(), f"{path}/done", {"reached": True, "satisfaction": 9}).status_code
        == 422
    )
    done = post(
        client, auth(), f"{path}/done", {"reached": True, "satisfaction": 5, "comment": "ok"}
    )
    assert (done.status_code, done.json["status"]) == (200, "done")
    nobody = post(client, auth(), f"{path}/assign", {"agent_id": str(uuid.UUID(int=8))})
    assert (nobody.status_code, nobody.json["errors"][0]["field"]) == (422, "agent_id")
    again = post(client, auth(), f"{path}/assign", {"agent_id": new_agent()})
    assert (again.status_code, again.json["allowed_now"]) == (409, [])
    assert post(client, auth(), f"{path}/call-back", {}).status_code == 404


def test_a_visit_scheduled_by_hand_goes_to_the_owner_and_needs_a_real_customer(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    new_agent: Callable[..., str],
    get: Callable[..., Any],
) -> None:
    customer, agent = new_file(), new_agent()
    post(client, auth(), f"/customers/{customer}/owner", {"agent_id": agent})
    body = {"customer_id": customer, "purpose": "birthday wishes", "due_on": "2030-03-10"}

    created = post(client, auth(), "/visits", body)

    assert created.status_code == 201
    assert get(created.headers["Location"])["assignee_id"] == agent
    nobody = post(client, auth(), "/visits", {**body, "assignee_id": str(uuid.UUID(int=8))})
    assert (nobody.status_code, nobody.json["errors"][0]["field"]) == (422, "assignee_id")
    body["customer_id"] = "00000000-0000-4000-8000-000000000000"
    assert post(client, auth(), "/visits", body).status_code == 422


def test_the_openapi_document_describes_customers_and_visits(client: Client) -> None:
    paths = client.simulate_get("/openapi.json").json["paths"]

    assert {"/customers", "/customers/{customer_id}/merge", "/visits/{visit_id}/done"} <= set(paths)


def test_likely_duplicates_are_suggested_with_the_reasons_and_unknown_files_are_404(
    new_file: Callable[..., str],
    get: Callable[..., Any],
    client: Client,
    auth: Callable[..., Headers],
) -> None:
    mei = new_file(birthday="1990-05-01")
    same_phone = new_file(name="梅梅", phones=["+86 138-0013-8000"])
    same_person = new_file(phones=["13900139000"], birthday="1990-05-01")
    new_file(name="李雷", phones=["13700137000"], birthday="1990-05-01")  # another person

    found = get(f"/customers/{mei}/duplicates")

    reasons = {item["customer"]["id"]: item["reasons"] for item in found["items"]}
    assert reasons == {same_phone: ["phone"], same_person: ["name_birthday"]}
    unknown = "/customers/00000000-0000-4000-8000-000000000000/duplicates"
    assert client.simulate_get(unknown, headers=auth()).status_code == 404


def test_after_a_merge_the_survivors_lists_include_the_duplicates_cases(
    client: Client,
    auth: Callable[..., Headers],
    new_file: Callable[..., str],
    get: Callable[..., Any],
    open_ticket: Callable[..., dict[str, Any]],
    clock: FakeClock,
) -> None:
    survivor, duplicate = new_file(phones=["139 1111 2222"]), new_file()
    old_ticket = open_ticket(customer_id=duplicate)["id"]
    clock.advance(minutes=1)
    own_ticket = open_ticket(customer_id=survivor)["id"]
    complaint = {
        "channel": "phone", "customer_id": duplicate, "type": "product_defect",
        "description": "leaks", "contact": "138",
    }  # fmt: skip
    complaint_id = post(client, auth(), "/complaints", complaint).json["id"]
    post(client, auth(), f"/customers/{duplicate}/orders", ACTIONS["orders"])
    assert (
        post(client, auth(), f"/customers/{duplicate}/merge", {"into": survivor}).status_code == 200
    )

    tickets = get(f"/tickets?customer={survivor}&sort=opened")["items"]
    complaints = get(f"/complaints?customer={survivor}")["items"]
    file = get(f"/customers/{survivor}")

    assert [t["id"] for t in tickets] == [old_ticket, own_ticket]
    assert [c["id"] for c in complaints] == [complaint_id]
    assert [o["number"] for o in file["orders"]] == ["A-1"]
    assert [t["id"] for t in get(f"/tickets?customer={duplicate}")["items"]] == [old_ticket]
