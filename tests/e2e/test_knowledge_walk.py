"""End to end over real gunicorn: draft → review → publish → found by the public → used."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import Server, serve_env, start  # noqa: F401 (serve_env is a fixture)

pytestmark = pytest.mark.e2e

ARTICLE = {
    "title": "宽带无法上网怎么办",
    "body": "请先重启光猫和路由器，等待两分钟后再试。",
    "category": "宽带/故障",
    "visibility": "public",
    "author_id": "agent-1",
}


def public_get(server: Server, path: str) -> tuple[int, Any]:
    """A customer's request: no token at all."""
    try:
        with urllib.request.urlopen(server.base + path, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def found_by_public(server: Server, query: str) -> list[str]:
    """Polls the public search until it finds something (projections run in the background)."""
    path = "/public/articles/search?" + urllib.parse.urlencode({"q": query})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = public_get(server, path)
        assert status == 200, body
        if body["items"]:
            return [item["id"] for item in body["items"]]
        time.sleep(0.2)
    return []


def test_a_published_article_is_found_by_a_customer_and_linked_to_a_ticket(
    serve_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    server = start(tmp_path, serve_env)
    try:
        status, drafted = server.call("POST", "/articles", ARTICLE)
        assert status == 201, drafted
        article = f"/articles/{drafted['id']}"
        status, _ = server.call("POST", f"{article}/submit", {"reviewers": ["lead-1"]})
        assert status == 200
        assert public_get(server, f"/public{article}")[0] == 404  # not before publication
        status, approved = server.call("POST", f"{article}/approve", {"reviewer_id": "lead-1"})
        assert (status, approved["status"]) == (200, "published")

        assert found_by_public(server, "寬帶無法上網") == [drafted["id"]]
        status, read = public_get(server, f"/public{article}")
        assert (status, read["title"]) == (200, ARTICLE["title"])

        ticket = {"channel": "phone", "category": "broadband", "subject": "宽带上不了网"}
        status, opened = server.call("POST", "/tickets", ticket)
        assert status == 201
        use = {"case_kind": "ticket", "case_id": opened["id"], "agent_id": "agent-7"}
        status, used = server.call("POST", f"{article}/uses", use)
        assert status == 200, used
        status, view = server.call("GET", f"{article}?after={used['position']}")
        assert (status, view["use_count"]) == (200, 1)
        status, uses = server.call("GET", f"/articles/uses?case={opened['id']}")
        assert (status, [u["article_id"] for u in uses["items"]]) == (200, [drafted["id"]])
    finally:
        server.stop_with_ctrl_c()
