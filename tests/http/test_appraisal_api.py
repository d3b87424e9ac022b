# ruff: noqa: F401, F811  (the fixtures are imported, then requested by name)
"""Monthly appraisal over HTTP: actual vs configured target, with the trend, JSON and CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from kefu.bootstrap import Services
from kefu.http.app import create_app
from tests.http.conftest import TOKENS, FakeClock, desk_services
from tests.http.test_articles_api import get, post
from tests.http.test_quality_api import CRITERIA, closed_ticket, draw, scorecard


def plan(first: str, second: str) -> dict[str, Any]:
    """The KPI plan, naming the two registered agents of the desk team by their ids."""
    return {
        "teams": {"desk": [first, second]},
        "targets": [
            {"scope": "every_agent", "metric": "csat", "target": 80},
            {"scope": f"agent:{first}", "metric": "first_response_minutes", "target": 60},
            {"scope": "team:desk", "metric": "inspection_score", "target": 60},
        ],
    }


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock) -> tuple[str, str]:
    """Two agents registered before the plan is written, as an operator would: their ids."""
    with desk_services(tmp_path, clock) as built:
        client = falcon.testing.TestClient(create_app(built))
        headers = {"Authorization": f"Bearer {TOKENS['service']}"}
        ids = []
        for name, extension in (("王芳", "8001"), ("李娜", "8002")):
            result = client.simulate_post(
                "/agents", json={"name": name, "extension": extension}, headers=headers
            )
            assert result.status_code == 201, result.text
            ids.append(str(result.json["id"]))
    return ids[0], ids[1]


@pytest.fixture
def services(tmp_path: Path, clock: FakeClock, desk: tuple[str, str]) -> Iterator[Services]:
    kpi = tmp_path / "kpi.json"
    kpi.write_text(json.dumps(plan(*desk)))
    with desk_services(tmp_path, clock, kpi_targets_file=str(kpi)) as built:
        yield built


def rated_ticket(open_ticket: Any, act: Any, clock: FakeClock, agent_id: str, score: int) -> None:
    ticket = open_ticket()["id"]
    clock.advance(minutes=30)  # the dispatch is the first response
    steps = [
        ("dispatch", {"department": "customer_service", "agent_id": agent_id}),
        ("resolve", None),
        ("rating", {"score": score}),
        ("close", None),
    ]
    for action, body in steps:
        assert act(ticket, action, body).status_code == 200


def test_actuals_are_set_against_targets_per_agent_and_team_with_the_trend(
    post: Any,
    get: Any,
    open_ticket: Any,
    act: Any,
    clock: FakeClock,
    scorecard: str,
    client: Any,
    auth: Any,
    desk: tuple[str, str],
) -> None:
    first, _ = desk
    rated_ticket(open_ticket, act, clock, first, 5)
    rated_ticket(open_ticket, act, clock, first, 3)
    get("/tickets")
    drawn = draw(post, scorecard, per_agent=1, seed=3)
    inspection = get("/inspections", sampling=drawn["id"])["items"][0]
    points = {"greeting": 10, "apology": 2, "resolution": 7}
    post(f"/inspections/{inspection['id']}/score",
         {"inspector_id": inspection["inspector_id"], "points": points})  # fmt: skip

    report = get("/reports/appraisal", role="reporter", month="2030-03", months=2)
    rows = {(r["scope"], r["metric"]): r for r in report["rows"]}
    csat = rows[(f"agent:{first}", "csat")]
    assert (csat["actual"], csat["met"], csat["trend"]) == (
        50.0,
        False,
        [["2030-02", None], ["2030-03", 50.0]],
    )
    response = rows[(f"agent:{first}", "first_response_minutes")]
    assert (response["actual"], response["met"], response["higher_is_better"]) == (
        30.0,
        True,
        False,
    )
    team = rows[("team:desk", "inspection_score")]
    assert (team["actual"], team["met"]) == (65.0, True)

    result = client.simulate_get(
        "/reports/appraisal", params={"month": "2030-03", "months": "2"},
        headers={**auth("reporter"), "Accept": "text/csv"},
    )  # fmt: skip
    csv = result.text
    assert csv.splitlines()[0] == "scope,metric,month,target,higher_is_better,actual,met"
    assert f"agent:{first},csat,2030-03,80.0,True,50.0,False" in csv.splitlines()


def test_a_bad_appraisal_query_is_400(get: Any) -> None:
    get("/reports/appraisal", 400, role="reporter", month="2030-13")
    get("/reports/appraisal", 400, role="reporter", month="2030-03", format="xml")
    get("/reports/appraisal", 403, role="auditor", month="2030-03")
