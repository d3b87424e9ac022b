"""GET /reports/*: JSON and CSV, reporter and admin only, and a 400 for every bad parameter."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from tests.http.conftest import START, FakeClock, Headers

Client = falcon.testing.TestClient
REPORT_NAMES = (
    "satisfaction", "tickets", "calls", "agents", "complaints", "visits", "ledger", "sla",
)  # fmt: skip
RANGE = "from=2030-03-04T00:00:00%2B08:00&to=2030-03-11T00:00:00%2B08:00"


@pytest.fixture
def report(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> Callable[..., falcon.testing.Result]:
    def get(name: str, query: str = "", role: str = "reporter", **headers: str) -> Any:
        catch_up()
        path = f"/reports/{name}?{RANGE}" + (f"&{query}" if query else "")
        return client.simulate_get(path, headers={**auth(role), **headers})

    return get


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_report_answers_json_with_its_columns(report: Any, name: str) -> None:
    result = report(name)
    assert result.status_code == 200, result.text
    body = result.json
    assert body["report"] == name
    assert body["timezone"] == "Asia/Shanghai"
    assert body["columns"][0] == "period"
    assert isinstance(body["rows"], list)


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_report_answers_csv_with_a_header_row(report: Any, name: str) -> None:
    by_accept = report(name, Accept="text/csv")
    by_param = report(name, "format=csv")
    assert by_accept.status_code == by_param.status_code == 200
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_param.text
    header = next(csv.reader(io.StringIO(by_accept.text)))
    assert header == report(name).json["columns"]


def test_csv_starts_with_a_bom_for_browsers_and_on_request_only(report: Any) -> None:
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0"
    bom = b"\xef\xbb\xbf"
    assert report("tickets", "format=csv", **{"User-Agent": browser}).content.startswith(bom)
    assert report("tickets", "format=csv&bom=1").content.startswith(bom)
    assert not report("tickets", "format=csv", **{"User-Agent": "curl/8.5"}).content.startswith(bom)
    no = report("tickets", "format=csv&bom=0", **{"User-Agent": browser})
    assert not no.content.startswith(bom)
    assert report("tickets", "format=csv&bom=yes").status_code == 400


def test_the_ticket_report_counts_created_resolved_and_the_backlog(
    report: Any, open_ticket: Any, walk: Any, clock: FakeClock
) -> None:
    first, second = open_ticket()["id"], open_ticket(category="delivery")["id"]
    clock.advance(minutes=30)
    walk(first, "dispatch", "resolve")
    rows = report("tickets", "period=week").json["rows"]
    assert [(r["period"], r["created"], r["resolved"], r["backlog"]) for r in rows] == [
        ("2030-03-04", 2, 1, 1)
    ]
    assert rows[0]["first_response_avg_seconds"] == 1800.0
    assert rows[0]["resolution_avg_seconds"] == 1800.0
    by_category = report("tickets", "period=week&group_by=category").json["rows"]
    assert {r["category"]: r["backlog"] for r in by_category} == {"billing": 0, "delivery": 1}
    assert second


def test_satisfaction_gives_the_distribution_and_csat_per_agent(
    report: Any, open_ticket: Any, walk: Any, act: Any, new_agent: Any
) -> None:
    agent = new_agent()
    for score in (5, 4, 2):
        ticket = open_ticket()["id"]
        assert (
            act(ticket, "dispatch", {"department": "billing", "agent_id": agent}).status_code == 200
        )
        walk(ticket, "resolve")
        assert act(ticket, "rating", {"score": score}).status_code == 200
    (row,) = report("satisfaction", "group_by=agent").json["rows"]
    assert row["agent"] == agent
    assert (row["ratings"], row["average"], row["csat_pct"]) == (3, 3.67, 66.7)
    assert [row[f"score_{n}"] for n in range(1, 6)] == [0, 1, 0, 1, 1]


def test_without_a_grouping_every_period_of_the_range_has_a_row(report: Any) -> None:
    rows = report("tickets").json["rows"]
    assert [r["period"] for r in rows] == [f"2030-03-{day:02d}" for day in range(4, 11)]
    assert all(r["created"] == 0 for r in rows)


def test_the_ledger_lists_each_case_with_its_key_facts(report: Any, open_ticket: Any) -> None:
    ticket = open_ticket()
    text = report("ledger", "format=csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["kind"], r["id"], r["status"], r["major"]) for r in rows] == [
        ("ticket", ticket["id"], "open", "")
    ]
    assert rows[0]["opened_at"].startswith(START.strftime("%Y-%m-%dT%H:%M"))


@pytest.mark.parametrize("role", ["reporter", "admin"])
def test_reporters_and_admins_may_read_reports(report: Any, role: str) -> None:
    assert report("calls", role=role).status_code == 200


@pytest.mark.parametrize("role", ["service", "auditor"])
def test_other_roles_may_not(report: Any, role: str) -> None:
    result = report("calls", role=role)
    assert result.status_code == 403
    assert result.headers["content-type"] == "application/problem+json"


def test_without_a_token_it_is_401(client: Client) -> None:
    assert client.simulate_get(f"/reports/tickets?{RANGE}").status_code == 401


@pytest.mark.parametrize(
    ("name", "query", "says"),
    [
        ("tickets", "period=year", "period is one of: day, week, month"),
        ("tickets", "group_by=agent", "category, department, priority, channel"),
        ("agents", "group_by=queue", "one of: agent"),
        ("ledger", "group_by=kind", "not grouped"),
        ("calls", "format=xml", "format is json or csv"),
        ("calls", "limit=5", "unknown: limit"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_what_is_allowed(
    report: Any, name: str, query: str, says: str
) -> None:
    result = report(name, query)
    assert result.status_code == 400
    assert result.headers["content-type"] == "application/problem+json"
    assert says in result.json["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=2030-03-04T00:00:00%2B08:00",
        "from=yesterday&to=2030-03-04T00:00:00Z",
        "from=2030-03-04T00:00:00&to=2030-03-05T00:00:00",
        "from=2030-03-05T00:00:00Z&to=2030-03-04T00:00:00Z",
        "from=2030-03-04T00:00:00Z&to=2030-03-04T00:00:00Z",
        "from=2020-01-01T00:00:00Z&to=2030-03-04T00:00:00Z",
        "from=0001-01-01T00:00:00%2B08:00&to=2030-03-04T00:00:00Z",
        "from=2030-03-04T00:00:00Z&to=9999-12-31T23:59:59-08:00",
    ],
)
def test_a_missing_or_impossible_range_is_a_400_not_a_500(
    client: Client, auth: Callable[..., Headers], query: str
) -> None:
    result = client.simulate_get(f"/reports/calls?{query}", headers=auth("reporter"))
    assert result.status_code == 400, result.text
    assert result.json["type"] == "/problems/bad-query-parameter"


def test_the_call_report_measures_service_level_and_handle_time(
    client: Client, auth: Callable[..., Headers], report: Any, clock: FakeClock
) -> None:
    def post(path: str, body: dict[str, Any] | None = None) -> Any:
        result = client.simulate_post(path, json=body or {}, headers=auth())
        assert result.status_code in (200, 201), result.text
        return result.json

    agent = post("/agents", {"name": "Li", "extension": "801", "skill_groups": ["sales"]})["id"]
    post(f"/agents/{agent}/login")
    post(f"/agents/{agent}/available")
    waits = (10, 45)  # one answered within T = 20 s, one after
    for wait in waits:
        call = post("/calls", {"direction": "inbound", "customer_number": "138", "hotline": "95"})
        post(f"/calls/{call['id']}/queue", {"group": "sales"})
        clock.advance(seconds=wait)
        post(f"/calls/{call['id']}/offer", {"agent_ids": [agent]})
        post(f"/calls/{call['id']}/answer", {"agent_id": agent})
        clock.advance(seconds=100)
        post(f"/calls/{call['id']}/end")
        clock.advance(seconds=20)
        post(f"/agents/{agent}/available")
    body = report("calls", "period=week&group_by=queue").json
    assert body["service_level_seconds"] == 20
    (row,) = body["rows"]
    assert (row["queue"], row["offered"], row["answered"], row["abandoned"]) == ("sales", 2, 2, 0)
    assert (row["service_level_pct"], row["asa_seconds"]) == (50.0, 27.5)
    assert (row["handled"], row["aht_seconds"]) == (2, 120.0)
    (agent_row,) = report("agents", "period=week").json["rows"]
    assert (agent_row["calls_handled"], agent_row["talk_seconds"]) == (2, 200.0)
    assert agent_row["wrap_up_seconds"] == 40.0


def test_the_call_report_counts_the_call_standards_and_the_callbacks_made_in_time(
    client: Client, auth: Callable[..., Headers], report: Any, clock: FakeClock
) -> None:
    def post(path: str, body: dict[str, Any] | None = None) -> Any:
        result = client.simulate_post(path, json=body or {}, headers=auth())
        assert result.status_code in (200, 201), result.text
        return result.json

    inbound = {"direction": "inbound", "customer_number": "13900139000", "hotline": "95"}
    agent = post("/agents", {"name": "Li", "extension": "801", "skill_groups": ["sales"]})["id"]
    post(f"/agents/{agent}/login")
    post(f"/agents/{agent}/available")
    for ring, talk in ((10, 200), (20, 400)):  # rings then talk, in seconds
        call = post("/calls", inbound)
        post(f"/calls/{call['id']}/queue", {"group": "sales"})
        post(f"/calls/{call['id']}/offer", {"agent_ids": [agent]})
        clock.advance(seconds=ring)
        post(f"/calls/{call['id']}/answer", {"agent_id": agent})
        clock.advance(seconds=talk)
        post(f"/calls/{call['id']}/end")
        post(f"/agents/{agent}/available")
    abandoned = [post("/calls", inbound) for _ in range(2)]
    for call in abandoned:
        post(f"/calls/{call['id']}/queue", {"group": "sales"})
        post(f"/calls/{call['id']}/end", {"hung_up_by": "caller"})
    dial = {**inbound, "direction": "outbound", "agent_id": agent}
    post("/calls", {**dial, "callback_for": abandoned[0]["id"]})

    (row,) = report("calls", "period=week&group_by=queue").json["rows"]

    assert (row["answered_in_3_rings"], row["answered_in_3_rings_pct"]) == (1, 50.0)
    assert (row["talk_over_3_min"], row["talk_over_5_min"]) == (2, 1)
    assert (row["callbacks_owed"], row["callbacks_in_time"], row["callbacks_in_time_pct"]) == (
        2,
        1,
        50.0,
    )
