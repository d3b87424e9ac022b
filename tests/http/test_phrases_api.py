# ruff: noqa: F401, F811  (the post/get fixtures are imported, then requested by name)
"""Canned responses, scripts and the forbidden list over HTTP; flags on agent texts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.test_articles_api import get, post

FORBIDDEN = {
    "kind": "forbidden",
    "scenario": "any",
    "title": "推诿",
    "text": "这不归我管",
    "suggestion": "我帮您转给负责的同事",
}


@pytest.fixture
def forbid(post: Any) -> Any:
    def forbid_(**overrides: Any) -> str:
        phrase_id: str = post("/phrases", {**FORBIDDEN, **overrides}, 201)["id"]
        return phrase_id

    return forbid_


def test_canned_responses_and_scripts_are_listed_per_scenario(post: Any, get: Any) -> None:
    greet = {
        "kind": "canned",
        "scenario": "hotline",
        "title": "问候",
        "text": "您好，很高兴为您服务",
    }
    hotline = post("/phrases", greet, 201)["id"]
    post("/phrases", {**greet, "scenario": "online"}, 201)
    script = {"kind": "script", "scenario": "return_visit", "title": "回访开场", "text": "您好"}
    post("/phrases", script, 201)

    listed = get("/phrases", kind="canned", scenario="hotline")["items"]
    assert [p["id"] for p in listed] == [hotline]
    post("/phrases", {**greet, "scenario": "any"}, 409)  # a canned answer has a scenario
    post("/phrases", {**FORBIDDEN, "scenario": "hotline"}, 409)


def test_a_text_is_checked_against_the_forbidden_list_in_either_script(
    post: Any,
    get: Any,
    forbid: Any,
    catch_up: Any,
) -> None:
    phrase_id = forbid()
    catch_up()

    checked = post("/phrases/check", {"text": "抱歉，這不歸我管，您找別人"})
    assert checked["flagged"] is True
    assert [(m["phrase_id"], m["suggestion"]) for m in checked["matches"]] == [
        (phrase_id, FORBIDDEN["suggestion"])
    ]
    assert post("/phrases/check", {"text": "我马上为您处理"}) == {"flagged": False, "matches": []}


def test_agent_texts_are_flagged_against_the_list_as_it_stood_then(
    post: Any,
    get: Any,
    forbid: Any,
    open_ticket: Any,
    act: Any,
) -> None:
    ticket = open_ticket()["id"]
    act(ticket, "follow-ups", {"note": "这不归我管"})  # before the phrase was listed
    phrase_id = forbid()
    act(ticket, "follow-ups", {"note": "客户说这不归我管的态度很差"})
    post(f"/phrases/{phrase_id}/retire", {"reason": "改用新规范"})
    act(ticket, "follow-ups", {"note": "这不归我管"})  # after it was retired

    flags = get("/phrases/flags", case=ticket)["items"]
    assert [(f["event"], f["field"], f["phrase_id"]) for f in flags] == [
        ("FollowedUp", "note", phrase_id)
    ]
    assert get("/phrases/flags", actor="nobody")["items"] == []
    get("/phrases/flags", 400, case="not-a-uuid")
