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
