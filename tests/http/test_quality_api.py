# ruff: noqa: F401, F811  (the post/get fixtures are imported, then requested by name)
"""Quality inspection over HTTP: scorecards, the weekly draw, scoring, one appeal, a decision."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.test_articles_api import get, post

CRITERIA = [
    {"key": "greeting", "title": "问候语规范", "weight": 1, "max_points": 10},
    {"key": "apology", "title": "30秒内致歉", "weight": 2, "max_points": 5},
    {"key": "resolution", "title": "问题解决", "weight": 3, "max_points": 10},
]
INBOUND = {"direction": "inbound", "customer_number": "13800000000", "hotline": "4008001234"}
SHA = "a" * 64
WEEK = "2030-W10"  # START (2030-03-04 09:00 UTC) is in it


@pytest.fixture
def scorecard(post: Any) -> str:
    card: str = post("/scorecards", {"name": "热线质检", "criteria": CRITERIA}, 201)["id"]
    return card


@pytest.fixture
def desk(new_agent: Any) -> tuple[str, str]:
    """Two registered agents (their ids), whose closed tickets the draw picks from."""
    return new_agent("王芳", "8001"), new_agent("李娜", "8002")


@pytest.fixture
def closed_ticket(open_ticket: Any, act: Any) -> Any:
    def closed_(agent_id: str) -> str:
        ticket: str = open_ticket()["id"]
        bodies = {"dispatch": {"department": "after_sales", "agent_id": agent_id}}
        for action in ("dispatch", "start", "resolve", "close"):
            result = act(ticket, action, bodies.get(action))
            assert result.status_code == 200, result.text
        return ticket

    return closed_


@pytest.fixture
def recorded_call(post: Any, catch_up: Any) -> Any:
    def recorded_() -> tuple[str, str]:
        agent = post("/agents", {"name": "王", "extension": "801", "skill_groups": ["sales"]}, 201)
        for action in ("login", "available"):
            post(f"/agents/{agent['id']}/{action}", {})
        call = post("/calls", INBOUND, 201)["id"]
        post(f"/calls/{call}/queue", {"group": "sales"})
        catch_up()
        post(f"/calls/{call}/route", {})
        post(f"/calls/{call}/answer", {"agent_id": agent["id"]})
        post(f"/calls/{call}/end", {"hung_up_by": "agent"})
        recording = {"uri": "s3://rec/1.wav", "duration_seconds": 95, "sha256": SHA}
        post(f"/calls/{call}/recording", recording)
        return agent["id"], call

    return recorded_


def draw(post: Any, scorecard: str, status: int = 201, **extra: Any) -> Any:
    body = {"week": WEEK, "scorecard_id": scorecard, "inspectors": ["qa-1", "qa-2"]}
    return post("/samplings", {**body, **extra}, status)


def test_a_week_is_drawn_reproducibly_per_agent_and_recorded_once(
    post: Any,
    get: Any,
    scorecard: str,
    closed_ticket: Any,
    recorded_call: Any,
    desk: tuple[str, str],
) -> None:
    first, second = desk
    tickets = {closed_ticket(first) for _ in range(3)} | {closed_ticket(second)}
    agent, call = recorded_call()
    get("/tickets")  # let the projections catch up before the draw reads them

    drawn = draw(post, scorecard, per_agent=2, seed=42)
    sampling = get(f"/samplings/{drawn['id']}")
    picks = [(p["agent_id"], p["case_kind"], p["case_id"]) for p in sampling["picks"]]
    assert (sampling["seed"], sampling["candidate_count"]) == (42, 5)
    assert [p for p in picks if p[1] == "call"] == [(agent, "call", call)]
    assert len([p for p in picks if p[0] == first]) == 2
    assert {p[2] for p in picks if p[1] == "ticket"} <= tickets
    assert {p["inspector_id"] for p in sampling["picks"]} == {"qa-1", "qa-2"}

    again = draw(post, scorecard, seed=42, status=409)
    assert "already drawn" in again["detail"]
    listed = get("/inspections", agent=first)["items"]
    assert {i["case_id"] for i in listed} == {p[2] for p in picks if p[0] == first}


def test_an_inspection_is_scored_appealed_once_and_decided_by_a_supervisor(
    post: Any, get: Any, scorecard: str, closed_ticket: Any, desk: tuple[str, str]
) -> None:
    first, second = desk
    closed_ticket(first)
    get("/tickets")
    drawn = draw(post, scorecard, per_agent=1, seed=7)
    (inspection,) = get("/inspections", sampling=drawn["id"])["items"]
    path = f"/inspections/{inspection['id']}"
    score = {
        "inspector_id": inspection["inspector_id"],
        "points": {"greeting": 10, "apology": 2, "resolution": 7},
        "comments": {"apology": "道歉晚了"},
        "marks": [{"offset_seconds": 41, "note": "这里应先致歉"}],
    }
    post(f"{path}/score", {**score, "inspector_id": "someone-else"}, 409)
    post(f"{path}/score", {**score, "points": {"greeting": 10}}, 409)  # every criterion
    post(f"{path}/score", score)
    assert get(path)["total"] == "65.00"  # (1*10/10 + 2*2/5 + 3*7/10) / 6 * 100

    post(f"{path}/appeal", {"agent_id": second, "reason": "not mine"}, 409)
    post(f"{path}/appeal", {"agent_id": first, "reason": "客户先挂断"})
    post(f"{path}/decide", {"supervisor_id": inspection["inspector_id"], "outcome": "upheld"}, 409)
    amended = {"greeting": 10, "apology": 5, "resolution": 7}
    decision = {"supervisor_id": "sup-1", "outcome": "amended", "points": amended}
    post(f"{path}/decide", decision)
    refused = post(f"{path}/appeal", {"agent_id": first, "reason": "again"}, 409)

    view = get(path)
    assert (view["status"], view["total"], view["final_total"]) == ("decided", "65.00", "85.00")
    assert view["appeal"]["outcome"] == "amended"
    assert view["marks"] == [{"offset_seconds": 41, "note": "这里应先致歉"}]
    assert refused["allowed_now"] == []


def test_a_revised_scorecard_keeps_the_revision_an_inspection_was_drawn_with(
    post: Any, get: Any, scorecard: str, closed_ticket: Any, desk: tuple[str, str]
) -> None:
    closed_ticket(desk[0])
    get("/tickets")
    drawn = draw(post, scorecard, per_agent=1, seed=1)
    post(f"/scorecards/{scorecard}/revise", {"criteria": CRITERIA[:1], "reason": "简化"})

    (inspection,) = get("/inspections", sampling=drawn["id"])["items"]
    card = get(f"/scorecards/{scorecard}")
    assert (card["revision"], len(card["revisions"])) == (2, 2)
    assert (inspection["scorecard_revision"], len(inspection["criteria"])) == (1, 3)


def test_bad_quality_requests_are_problems(post: Any, scorecard: str) -> None:
    post("/scorecards", {"name": "x", "criteria": []}, 422)
    duplicate = [CRITERIA[0], CRITERIA[0]]
    post("/scorecards", {"name": "x", "criteria": duplicate}, 409)
    draw(post, scorecard, week="2030-W60", status=422)
    draw(post, scorecard, week="2030-W53", status=422)  # 2030 has 52 ISO weeks
    draw(post, "00000000-0000-4000-8000-000000000000", status=422)
    draw(post, scorecard, inspectors=[], status=422)
    post("/samplings", {"week": WEEK, "scorecard_id": scorecard, "inspectors": ["a"]},
         201, role="service")  # fmt: skip
    post("/inspections", {}, 405)
