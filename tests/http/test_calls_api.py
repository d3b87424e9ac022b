"""The call-centre API as a PBX adapter and a supervisor use it: agents, calls, routing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import falcon.testing
import pytest

from tests.http.conftest import START, FakeClock, Headers, Result

Client = falcon.testing.TestClient
Auth = Callable[..., Headers]
INBOUND = {"direction": "inbound", "customer_number": "13800000000", "hotline": "4008001234"}


@pytest.fixture
def post(client: Client, auth: Auth) -> Callable[..., Result]:
    def post_(path: str, body: dict[str, Any] | None = None, **headers: str) -> Result:
        extra = {k.replace("_", "-"): v for k, v in headers.items()}
        return client.simulate_post(path, json=body or {}, headers={**auth(), **extra})

    return post_


@pytest.fixture
def get(client: Client, auth: Auth, catch_up: Callable[[], int]) -> Callable[..., Result]:
    def get_(path: str, role: str = "service") -> Result:
        catch_up()
        return client.simulate_get(path, headers=auth(role))

    return get_


@pytest.fixture
def agent(post: Callable[..., Result]) -> Callable[..., str]:
    """Registers an agent of group sales, logs it in and makes it available; returns its id."""

    def agent_(order: int = 0, groups: tuple[str, ...] = ("sales",)) -> str:
        body = {"name": f"agent {order}", "extension": f"80{order}", "skill_groups": list(groups)}
        created = post("/agents", {**body, "order": order})
        assert created.status_code == 201, created.text
        agent_id: str = created.json["id"]
        for action in ("login", "available"):
            assert post(f"/agents/{agent_id}/{action}").status_code == 200
        return agent_id

    return agent_


@pytest.fixture
def queued(post: Callable[..., Result]) -> Callable[..., str]:
    def queued_(group: str = "sales") -> str:
        call_id: str = post("/calls", INBOUND).json["id"]
        assert post(f"/calls/{call_id}/queue", {"group": group}).status_code == 200
        return call_id

    return queued_


# Agents


def test_registering_an_agent_answers_201_and_the_agent_starts_logged_out(
    post: Callable[..., Result], get: Callable[..., Result]
) -> None:
    result = post("/agents", {"name": "Li Na", "extension": "801", "skill_groups": ["sales"]})

    assert result.status_code == 201
    assert result.headers["Location"] == f"/agents/{result.json['id']}"
    assert (result.json["status"], result.headers["ETag"]) == ("logged_out", '"1"')
    view = get(f"/agents/{result.json['id']}").json
    assert (view["name"], view["skill_groups"], view["status"]) == (
        "Li Na",
        ["sales"],
        "logged_out",
    )


def test_a_presence_action_the_table_refuses_is_409_and_says_what_is_allowed_now(
    post: Callable[..., Result],
) -> None:
    agent_id = post("/agents", {"name": "Li Na", "extension": "801"}).json["id"]

    result = post(f"/agents/{agent_id}/break")

    assert result.status_code == 409
    assert result.json["allowed_now"] == ["login", "skills"]


def test_presence_timing_is_readable_on_the_agent_view(
    post: Callable[..., Result], get: Callable[..., Result], clock: FakeClock
) -> None:
    agent_id = post("/agents", {"name": "Li Na", "extension": "801"}).json["id"]
    for action, minutes in (("login", 5), ("available", 2), ("break", 15), ("available", 10)):
        clock.advance(minutes=minutes)
        assert post(f"/agents/{agent_id}/{action}").status_code == 200

    view = get(f"/agents/{agent_id}").json

    assert view["seconds_in"] == {
        "logged_out": 300.0,
        "not_ready": 120.0,
        "available": 900.0,
        "on_break": 600.0,
    }
    assert view["status"] == "available"


def test_agents_are_listed_by_status_and_exact_group(
    agent: Callable[..., str], post: Callable[..., Result], get: Callable[..., Result]
) -> None:
    sales, vip = agent(0, ("sales",)), agent(1, ("v_p", "sales"))
    agent(2, ("vxp",))
    post(f"/agents/{sales}/break")

    by_group = get("/agents?group=v_p").json["items"]
    available_sales = get("/agents?status=available&group=sales").json["items"]

    assert [a["id"] for a in by_group] == [vip]
    assert [a["id"] for a in available_sales] == [vip]


@pytest.mark.parametrize("query", ["status=asleep", "colour=red", "sort=height", "cursor=zz"])
def test_a_bad_agent_list_query_is_400(get: Callable[..., Result], query: str) -> None:
    assert get(f"/agents?{query}").status_code == 400


# Calls


@pytest.mark.parametrize(
    "body",
    [
        {"direction": "outbound", "customer_number": "139", "hotline": "4008"},
        {**INBOUND, "agent_id": "00000000-0000-0000-0000-000000000001"},
        {**INBOUND, "customer_number": "call me"},
        {**INBOUND, "direction": "sideways"},
        {**INBOUND, "colour": "red"},
        {"hotline": "4008"},
    ],
)
def test_a_call_that_cannot_start_is_422_and_writes_nothing(
    post: Callable[..., Result], log_head: Callable[[], int], body: dict[str, Any]
) -> None:
    result = post("/calls", body)

    assert result.status_code == 422, result.text
    assert log_head() == 0


def test_an_inbound_call_is_queued_routed_answered_and_ended_over_http(
    agent: Callable[..., str],
    post: Callable[..., Result],
    get: Callable[..., Result],
    catch_up: Callable[[], int],
    clock: FakeClock,
) -> None:
    agent_id = agent()
    created = post("/calls", INBOUND)
    call = f"/calls/{created.json['id']}"
    assert (created.status_code, created.json["status"]) == (201, "arrived")
    assert post(f"{call}/ivr", {"path": ["1", "3"]}).json["status"] == "in_ivr"
    assert post(f"{call}/queue", {"group": "sales"}).json["status"] == "queued"
    catch_up()

    routed = post(f"{call}/route")
    offered = get(f"{call}?after={routed.json['position']}").json
    clock.advance(seconds=9)
    answered = post(f"{call}/answer", {"agent_id": offered["offered_to"][0]})
    clock.advance(minutes=2)
    ended = post(f"{call}/end", {"hung_up_by": "agent"})

    assert (routed.status_code, offered["offered_to"]) == (200, [agent_id])
    assert [answered.json["status"], ended.json["status"]] == ["connected", "ended"]
    view = get(call).json
    assert (view["wait_seconds"], view["talk_seconds"], view["ivr_path"]) == (
        9.0,
        120.0,
        ["1", "3"],
    )
    listed = get(f"/calls?agent={agent_id}&status=ended&direction=inbound").json["items"]
    assert [c["id"] for c in listed] == [created.json["id"]]
    assert get(f"/agents/{agent_id}").json["status"] == "wrap_up"


def test_routing_with_no_agent_available_is_409_and_the_call_stays_queued(
    queued: Callable[..., str], post: Callable[..., Result], log_head: Callable[[], int]
) -> None:
    call_id = queued()
    before = log_head()

    result = post(f"/calls/{call_id}/route")

    assert result.status_code == 409
    assert "stays queued" in result.json["detail"] and "end" in result.json["allowed_now"]
    assert log_head() == before


def test_answering_with_an_agent_the_call_does_not_ring_is_409(
    agent: Callable[..., str], queued: Callable[..., str], post: Callable[..., Result]
) -> None:
    first, second = agent(0), agent(1)
    call_id = queued()
    post(f"/calls/{call_id}/offer", {"agent_ids": [first]})

    result = post(f"/calls/{call_id}/answer", {"agent_id": second})

    assert result.status_code == 409
    assert "not rung" in result.json["detail"]


def test_an_offer_to_a_busy_agent_is_409_and_nothing_is_written(
    agent: Callable[..., str],
    queued: Callable[..., str],
    post: Callable[..., Result],
    log_head: Callable[[], int],
) -> None:
    agent_id = agent()
    post(f"/calls/{queued()}/offer", {"agent_ids": [agent_id]})
    second = queued()
    before = log_head()

    result = post(f"/calls/{second}/offer", {"agent_ids": [agent_id]})

    assert result.status_code == 409
    assert "not available" in result.json["detail"]
    assert log_head() == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("transfer", {}),
        ("transfer", {"agent_id": "00000000-0000-0000-0000-000000000001", "group": "sales"}),
        ("link", {}),
        ("recording", {"uri": "s3://r/1.wav", "duration_seconds": 3, "sha256": "abc"}),
        ("recording", {"uri": "not a uri", "duration_seconds": 3, "sha256": "a" * 64}),
        ("notes", {"who": "caller"}),
        ("offer", {"agent_ids": []}),
        ("end", {"hung_up_by": "nobody"}),
        ("queue", {"group": "sales team"}),
    ],
)
def test_a_bad_call_action_body_is_422(
    queued: Callable[..., str], post: Callable[..., Result], action: str, body: dict[str, Any]
) -> None:
    result = post(f"/calls/{queued()}/{action}", body)

    assert result.status_code == 422, result.text


def test_an_unknown_call_action_or_call_is_404(
    queued: Callable[..., str], post: Callable[..., Result]
) -> None:
    assert post(f"/calls/{queued()}/teleport").status_code == 404
    missing = "/calls/00000000-0000-0000-0000-000000000001"
    assert post(f"{missing}/end").status_code == 404


def test_dialling_out_as_an_agent_who_does_not_exist_is_422_naming_the_field(
    post: Callable[..., Result],
) -> None:
    unknown = "00000000-0000-0000-0000-000000000001"
    result = post("/calls", {**INBOUND, "direction": "outbound", "agent_id": unknown})

    assert result.status_code == 422
    assert result.json["errors"][0]["field"] == "agent_id"


def test_a_stale_if_match_on_a_call_is_412(
    queued: Callable[..., str], post: Callable[..., Result]
) -> None:
    call_id = queued()

    result = post(f"/calls/{call_id}/end", If_Match='"1"')

    assert result.status_code == 412
    assert result.headers["ETag"] == '"2"'


def test_a_retried_call_arrival_returns_the_first_answer(
    post: Callable[..., Result], log_head: Callable[[], int]
) -> None:
    first = post("/calls", INBOUND, Idempotency_Key="pbx-uuid-1")
    retry = post("/calls", INBOUND, Idempotency_Key="pbx-uuid-1")

    assert retry.json == first.json
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert log_head() == 1


def test_a_transfer_to_an_agent_is_visible_in_the_call_history_with_who_did_it(
    agent: Callable[..., str],
    queued: Callable[..., str],
    post: Callable[..., Result],
    get: Callable[..., Result],
) -> None:
    first, second = agent(0), agent(1)
    call = f"/calls/{queued()}"
    post(f"{call}/offer", {"agent_ids": [first]})
    post(f"{call}/answer", {"agent_id": first})

    moved = post(f"{call}/transfer", {"agent_id": second})
    history = get(f"{call}/history", role="auditor").json["events"]

    assert moved.json["status"] == "offered"
    assert [e["type"] for e in history][-2:] == ["Transferred", "Offered"]
    assert history[-1]["metadata"]["actor_id"] == "desk-app"
    assert get(f"/agents/{first}").json["status"] == "wrap_up"


def test_an_unreached_outbound_call_lists_as_a_callback_due_today(
    agent: Callable[..., str], post: Callable[..., Result], get: Callable[..., Result]
) -> None:
    agent_id = agent()
    dial = {**INBOUND, "direction": "outbound", "agent_id": agent_id, "purpose": "return_visit"}
    call_id = post("/calls", dial).json["id"]
    post(f"/calls/{call_id}/end", {"hung_up_by": "system", "cause": "no_answer"})

    due = get("/calls?callback_due_to=2030-03-05T00:00:00%2B08:00&direction=outbound").json["items"]

    assert [(c["id"], c["status"]) for c in due] == [(call_id, "unreached")]
    end_of_day_in_shanghai = datetime(2030, 3, 4, 15, 59, 59, 999999, tzinfo=UTC)
    assert START.date() == end_of_day_in_shanghai.date()
    assert datetime.fromisoformat(due[0]["callback_due_at"]) == end_of_day_in_shanghai


@pytest.mark.parametrize("query", ["status=ringing", "agent=bob", "from=yesterday", "direction=up"])
def test_a_bad_call_list_query_is_400(get: Callable[..., Result], query: str) -> None:
    assert get(f"/calls?{query}").status_code == 400


def test_only_the_service_role_may_drive_calls_and_auditors_read_their_history(
    client: Client, auth: Auth, queued: Callable[..., str]
) -> None:
    call_id = queued()

    assert client.simulate_post("/calls", json=INBOUND, headers=auth("reporter")).status_code == 403
    assert (
        client.simulate_get(f"/calls/{call_id}/history", headers=auth("auditor")).status_code == 200
    )
    assert (
        client.simulate_get(f"/calls/{call_id}/history", headers=auth("reporter")).status_code
        == 403
    )


def test_the_openapi_document_lists_the_call_centre_routes(client: Client) -> None:
    paths = client.simulate_get("/openapi.json").json["paths"]

    assert {"/agents", "/calls", "/calls/{call_id}/route", "/agents/{agent_id}/break"} <= set(paths)


def test_offering_a_call_to_an_agent_who_does_not_exist_is_422(
    queued: Callable[..., str], post: Callable[..., Result]
) -> None:
    unknown = "00000000-0000-0000-0000-000000000002"
    call = queued()

    offered = post(f"/calls/{call}/offer", {"agent_ids": [unknown]})

    assert offered.status_code == 422
    assert offered.json["errors"][0]["field"] == "agent_ids"


def test_queueing_for_an_owner_agent_who_does_not_exist_is_422(
    post: Callable[..., Result],
) -> None:
    call = post("/calls", INBOUND).json["id"]

    queued = post(
        f"/calls/{call}/queue",
        {"group": "sales", "owner_agent_id": "00000000-0000-0000-0000-000000000003"},
    )

    assert queued.status_code == 422
    assert queued.json["errors"][0]["field"] == "owner_agent_id"


# Caller recognition (熟客识别) and the screen pop (来电弹屏)


def test_a_known_callers_call_is_linked_and_its_screen_shows_the_file_and_recent_history(
    post: Callable[..., Result],
    get: Callable[..., Result],
    agent: Callable[..., str],
    catch_up: Callable[[], int],
    clock: FakeClock,
) -> None:
    owner = agent(0)
    customer = post("/customers", {"name": "韩梅梅", "phones": ["010-12345678"]}).json["id"]
    assert post(f"/customers/{customer}/owner", {"agent_id": owner}).status_code == 200
    ticket = {"channel": "phone", "category": "repair", "subject": "no power"}
    opened = post("/tickets", {**ticket, "customer_id": customer}).json["id"]
    catch_up()
    clock.advance(minutes=5)

    arrival = post("/calls", {**INBOUND, "customer_number": "+8601012345678"})
    call_id = arrival.json["id"]
    queued = post(f"/calls/{call_id}/queue", {"group": "sales"})
    screen = get(f"/calls/{call_id}/screen?after={queued.json['position']}")

    assert screen.status_code == 200, screen.text
    assert screen.json["call"]["customer_id"] == customer
    assert screen.json["call"]["owner_agent_id"] == owner
    assert (screen.json["customer"]["id"], screen.json["customer"]["owner_id"]) == (customer, owner)
    recent = screen.json["recent"]
    assert recent[0]["source_id"] == call_id  # newest first: this call, then the ticket
    assert opened in [entry["source_id"] for entry in recent]


def test_calls_from_unknown_numbers_stay_unlinked_and_are_listed(
    post: Callable[..., Result], get: Callable[..., Result]
) -> None:
    post("/customers", {"name": "韩梅梅", "phones": ["13900139000"]})
    get("/customers")  # the customer view has the number before the calls arrive
    known = post("/calls", {**INBOUND, "customer_number": "13900139000"}).json["id"]
    unknown = post("/calls", {**INBOUND, "customer_number": "13700137000"}).json["id"]

    unrecognised = get("/calls?recognised=false")
    recognised = get("/calls?recognised=true")
    screen = get(f"/calls/{unknown}/screen")

    assert [c["id"] for c in unrecognised.json["items"]] == [unknown]
    assert [c["id"] for c in recognised.json["items"]] == [known]
    assert (screen.json["customer"], screen.json["recent"]) == (None, [])
    assert get("/calls?recognised=maybe").status_code == 400


def test_the_screen_of_a_call_that_does_not_exist_is_404_and_auditors_may_not_read_it(
    get: Callable[..., Result], queued: Callable[..., str]
) -> None:
    missing = get("/calls/00000000-0000-4000-8000-000000000000/screen")
    auditor = get(f"/calls/{queued()}/screen", role="auditor")

    assert (missing.status_code, auditor.status_code) == (404, 403)


# Tiers (FreeSWITCH's tier levels)


def test_a_queue_rings_its_tier_one_agents_before_tier_two_and_a_tier_below_one_is_422(
    post: Callable[..., Result],
    get: Callable[..., Result],
    agent: Callable[..., str],
    queued: Callable[..., str],
) -> None:
    junior, senior = agent(0), agent(1)
    assert post(f"/agents/{junior}/tiers", {"tiers": {"sales": 2}}).status_code == 200
    assert post(f"/agents/{senior}/tiers", {"tiers": {"sales": 0}}).status_code == 422
    assert get(f"/agents/{junior}").json["tiers"] == {"sales": 2}

    call = f"/calls/{queued()}"
    routed = post(f"{call}/route")
    offered = get(f"{call}?after={routed.json['position']}").json

    assert (routed.status_code, offered["offered_to"]) == (200, [senior])


# Callbacks as work (回拨)


def abandoned_call(post: Callable[..., Result], number: str) -> str:
    call_id: str = post("/calls", {**INBOUND, "customer_number": number}).json["id"]
    assert post(f"/calls/{call_id}/queue", {"group": "sales"}).status_code == 200
    assert post(f"/calls/{call_id}/end", {"hung_up_by": "caller"}).status_code == 200
    return call_id


def test_callbacks_are_listed_due_then_done_when_an_outbound_call_answers_one_or_overdue(
    post: Callable[..., Result],
    get: Callable[..., Result],
    agent: Callable[..., str],
    clock: FakeClock,
) -> None:
    agent_id = agent()
    answered, forgotten = abandoned_call(post, "13900139000"), abandoned_call(post, "13700137000")
    assert [c["state"] for c in get("/callbacks?sort=started").json["items"]] == ["due", "due"]

    dial = {
        **INBOUND,
        "direction": "outbound",
        "customer_number": "13900139000",
        "agent_id": agent_id,
        "callback_for": answered,
    }
    callback = post("/calls", dial)
    clock.advance(hours=8)  # past the end of the business day in Shanghai

    assert callback.status_code == 201, callback.text
    done = get("/callbacks?state=done").json["items"]
    assert [(c["id"], c["called_back_by"], c["in_time"]) for c in done] == [
        (answered, callback.json["id"], True)
    ]
    assert [c["id"] for c in get("/callbacks?state=overdue").json["items"]] == [forgotten]
    assert get("/callbacks?state=due").json["items"] == []
    assert get(f"/calls/{callback.json['id']}").json["callback_for"] == answered


def test_calling_back_a_call_owed_nothing_or_twice_or_unknown_is_refused_and_writes_nothing(
    post: Callable[..., Result],
    agent: Callable[..., str],
    queued: Callable[..., str],
    log_head: Callable[[], int],
) -> None:
    agent_id, owed, still_queued = agent(), abandoned_call(post, "13900139000"), queued()
    dial = {**INBOUND, "direction": "outbound", "agent_id": agent_id}
    first = post("/calls", {**dial, "callback_for": owed}).json["id"]
    assert post(f"/calls/{first}/answer").status_code == 200
    assert post(f"/calls/{first}/end", {"hung_up_by": "agent"}).status_code == 200
    assert post(f"/agents/{agent_id}/available").status_code == 200
    head = log_head()

    twice = post("/calls", {**dial, "callback_for": owed})
    nothing_owed = post("/calls", {**dial, "callback_for": still_queued})
    unknown = post("/calls", {**dial, "callback_for": "00000000-0000-4000-8000-000000000000"})
    inbound = post("/calls", {**INBOUND, "callback_for": owed})

    assert (twice.status_code, nothing_owed.status_code) == (409, 409)
    assert "called back already" in twice.json["detail"]
    assert "owed no callback" in nothing_owed.json["detail"]
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "callback_for"
    assert inbound.status_code == 422
    assert log_head() == head


def test_a_bad_callback_state_is_400(get: Callable[..., Result]) -> None:
    assert get("/callbacks?state=late").status_code == 400
