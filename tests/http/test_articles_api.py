"""The knowledge base over HTTP: the review walk, who sees what, search, use and feedback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

Client = falcon.testing.TestClient

ROUTER = {
    "title": "路由器无法连接网络怎么办",
    "category": "产品/路由器",
    "body": "先重启路由器，再检查网线是否插好。如果指示灯不亮，请联系售后更换电源适配器。",
    "tags": ["路由器", "网络"],
    "visibility": "public",
}


def fields(**overrides: Any) -> dict[str, Any]:
    return {**ROUTER, **overrides}


@pytest.fixture
def post(client: Client, auth: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    def post_(path: str, body: dict[str, Any], status: int = 200, role: str = "service") -> Any:
        result = client.simulate_post(path, json=body, headers=auth(role))
        assert result.status_code == status, result.text
        return result.json

    return post_


@pytest.fixture
def get(client: Client, auth: Callable[..., dict[str, str]], catch_up: Any) -> Callable[..., Any]:
    def get_(path: str, status: int = 200, role: str | None = "service", **params: Any) -> Any:
        catch_up()
        headers = auth(role) if role else {}
        result = client.simulate_get(path, params=params, headers=headers)
        assert result.status_code == status, result.text
        return result.json

    return get_


@pytest.fixture
def publish(post: Callable[..., Any]) -> Callable[..., str]:
    """Drafts an article (fields overridden) and walks it through review to published."""

    def publish_(**overrides: Any) -> str:
        article_id: str = post("/articles", fields(author_id="agent-1", **overrides), 201)["id"]
        post(f"/articles/{article_id}/submit", {"reviewers": ["lead-1"]})
        post(f"/articles/{article_id}/approve", {"reviewer_id": "lead-1", "note": "准确"})
        return article_id

    return publish_


def test_an_article_is_reviewed_changed_and_published_with_its_conversation(
    post: Any, get: Any
) -> None:
    article_id = post("/articles", fields(author_id="agent-1"), 201)["id"]
    post(f"/articles/{article_id}/submit", {"reviewers": ["lead-1"], "note": "请审核"})
    post(f"/articles/{article_id}/comments", {"by": "lead-1", "text": "补充电源说明"})
    post(f"/articles/{article_id}/request-changes", {"reviewer_id": "lead-1", "reason": "补充"})
    post(f"/articles/{article_id}/edit", fields(body="补充：电源适配器 12V。", editor_id="agent-1"))
    post(f"/articles/{article_id}/submit", {"reviewers": ["lead-1"]})
    answer = post(f"/articles/{article_id}/approve", {"reviewer_id": "lead-1"})

    view = get(f"/articles/{article_id}")
    assert answer["status"] == view["status"] == "published"
    assert view["published"]["content"]["revision"] == 2
    assert view["published"]["content"]["body"] == "补充：电源适配器 12V。"
    assert [n["kind"] for n in view["review"]] == [
        "submitted",
        "comment",
        "changes_requested",
        "submitted",
        "approved",
    ]


def test_an_author_cannot_approve_their_own_article_nor_can_a_stranger(post: Any) -> None:
    article_id = post("/articles", fields(author_id="agent-1"), 201)["id"]
    post(f"/articles/{article_id}/submit", {"reviewers": ["agent-1"]}, 409)
    post(f"/articles/{article_id}/submit", {"reviewers": ["agent-1", "lead-1"]})
    post(f"/articles/{article_id}/approve", {"reviewer_id": "agent-1"}, 409)
    refused = post(f"/articles/{article_id}/approve", {"reviewer_id": "someone"}, 409)
    assert "approve" in refused["allowed_now"]


def test_a_published_article_stays_live_while_its_next_revision_is_drafted(
    publish: Any, post: Any, get: Any
) -> None:
    article_id = publish()
    post(f"/articles/{article_id}/revise", {"by": "agent-1", "reason": "新型号"})
    post(f"/articles/{article_id}/edit", fields(title="草稿标题", editor_id="agent-1"))

    assert get(f"/public/articles/{article_id}", role=None)["title"] == ROUTER["title"]
    assert get(f"/articles/{article_id}")["draft"]["title"] == "草稿标题"


def test_every_published_version_is_kept(publish: Any, post: Any, get: Any) -> None:
    article_id = publish()
    post(f"/articles/{article_id}/revise", {"by": "agent-1", "reason": "更新"})
    post(f"/articles/{article_id}/edit", fields(title="路由器连不上网", editor_id="agent-1"))
    post(f"/articles/{article_id}/submit", {"reviewers": ["lead-2"]})
    post(f"/articles/{article_id}/approve", {"reviewer_id": "lead-2"})

    versions = get(f"/articles/{article_id}/versions")["versions"]
    assert [
        (v["content"]["revision"], v["content"]["title"], v["approved_by"]) for v in versions
    ] == [
        (1, ROUTER["title"], "lead-1"),
        (2, "路由器连不上网", "lead-2"),
    ]


def test_an_article_at_a_past_time_comes_from_the_audit_api(
    publish: Any, post: Any, get: Any, clock: Any
) -> None:
    article_id = publish()
    before_revision = clock.now
    clock.advance(hours=1)
    post(f"/articles/{article_id}/revise", {"by": "agent-1", "reason": "更新"})
    post(f"/articles/{article_id}/edit", fields(title="新标题", editor_id="agent-1"))

    state = get(
        f"/audit/streams/{article_id}/state", role="auditor", at=before_revision.isoformat()
    )
    assert state["kind"] == "Article"
    assert state["state"]["content"]["title"] == ROUTER["title"]
    assert state["state"]["status"] == "published"


def test_reporters_and_the_public_never_see_internal_or_personal_articles(
    publish: Any, post: Any, get: Any
) -> None:
    public_id = publish()
    internal_id = publish(visibility="internal", title="内部：路由器返修流程")
    note_id = post(
        "/articles",
        fields(
            visibility="personal", owner_id="agent-1", title="我的路由器笔记", author_id="agent-1"
        ),
        201,
    )["id"]

    for hidden in (internal_id, note_id):
        get(f"/articles/{hidden}", 404, role="reporter")
        get(f"/public/articles/{hidden}", 404, role=None)
    get(f"/articles/{note_id}", 404)  # the desk without saying which agent asks
    assert get(f"/articles/{note_id}", agent="agent-1")["draft"]["owner_id"] == "agent-1"
    get(f"/articles/{note_id}", 404, agent="agent-2")

    listed = {a["id"] for a in get("/articles", role="reporter")["items"]}
    assert listed == {public_id}
    found = {h["id"] for h in get("/articles/search", role="reporter", q="路由器")["items"]}
    assert found == {public_id}
    found = {h["id"] for h in get("/public/articles/search", role=None, q="路由器")["items"]}
    assert found == {public_id}
    desk = {h["id"] for h in get("/articles/search", q="路由器", agent="agent-1")["items"]}
    assert desk == {public_id, internal_id, note_id}
    other = {h["id"] for h in get("/articles/search", q="路由器", agent="agent-2")["items"]}
    assert other == {public_id, internal_id}


def test_a_draft_or_retired_article_is_not_public(publish: Any, post: Any, get: Any) -> None:
    draft_id = post("/articles", fields(author_id="agent-1"), 201)["id"]
    retired_id = publish()
    post(f"/articles/{retired_id}/retire", {"by": "lead-1", "reason": "停产"})

    for hidden in (draft_id, retired_id):
        get(f"/public/articles/{hidden}", 404, role=None)
    assert get("/public/articles/search", role=None, q="路由器")["items"] == []
    assert get("/public/categories", role=None)["categories"] == {}


def test_search_finds_traditional_text_typos_and_exact_phrases_ranked_with_snippets(
    publish: Any, get: Any
) -> None:
    router = publish()
    printer = publish(
        title="打印机卡纸处理", body="打开后盖，取出卡住的纸张。", category="产品/打印机"
    )

    traditional = get("/public/articles/search", role=None, q="路由器無法連接")["items"]
    assert traditional[0]["id"] == router
    typo = get("/public/articles/search", role=None, q="路游器无法连接")["items"]
    assert [h["id"] for h in typo] == [router]
    assert "路由器" in typo[0]["snippet"]
    exact = get("/public/articles/search", role=None, q="检查网线", match="exact")["items"]
    assert [h["id"] for h in exact] == [router]
    assert get("/public/articles/search", role=None, q="检查网络", match="exact")["items"] == []
    by_category = get("/articles/search", q="处理", category="产品/打印机")["items"]
    assert [h["id"] for h in by_category] == [printer]


def test_the_public_faq_lists_public_articles_by_category(publish: Any, get: Any) -> None:
    router = publish()
    publish(title="打印机卡纸", category="产品/打印机")
    publish(title="内部", visibility="internal", category="产品/路由器")

    assert get("/public/categories", role=None)["categories"] == {
        "产品/打印机": 1,
        "产品/路由器": 1,
    }
    faq = get("/public/articles", role=None, category="产品/路由器")["items"]
    assert [a["id"] for a in faq] == [router]


def test_an_article_used_for_a_ticket_is_counted_and_rated(
    publish: Any, post: Any, get: Any, open_ticket: Any
) -> None:
    article_id = publish()
    ticket = open_ticket(subject="路由器连接不上", description="客户说路由器无法连接网络")

    suggested = get("/articles/suggestions", ticket=ticket["id"])["items"]
    assert suggested[0]["id"] == article_id
    use = {"case_kind": "ticket", "case_id": ticket["id"], "agent_id": "agent-7"}
    post(f"/articles/{article_id}/uses", use)
    post(f"/articles/{article_id}/feedback", {"helped": False, "case_id": ticket["id"]})

    uses = get("/articles/uses", case=ticket["id"])["items"]
    assert [(u["article_id"], u["agent_id"]) for u in uses] == [(article_id, "agent-7")]
    report = get("/articles/report", min_feedback=1)
    assert report["most_used"][0]["use_count"] == 1
    assert report["least_helpful"][0]["helped_share"] == 0.0


def test_an_article_cannot_be_used_for_a_case_that_does_not_exist_or_before_publication(
    publish: Any, post: Any, open_ticket: Any
) -> None:
    article_id = publish()
    missing = {"case_kind": "ticket", "case_id": article_id, "agent_id": "agent-7"}
    assert post(f"/articles/{article_id}/uses", missing, 422)
    draft_id = post("/articles", fields(author_id="agent-1"), 201)["id"]
    ticket = open_ticket()
    use = {"case_kind": "ticket", "case_id": ticket["id"], "agent_id": "agent-7"}
    post(f"/articles/{draft_id}/uses", use, 409)


def test_bad_article_bodies_and_queries_are_problems(post: Any, get: Any) -> None:
    post("/articles", fields(author_id="agent-1", visibility="personal"), 409)  # no owner
    post("/articles", fields(author_id="agent-1", title=""), 422)
    post("/articles", fields(author_id="agent-1", colour="red"), 422)
    get("/articles/search", 400, q="!!!")
    get("/articles/search", 400, q="路由器", match="regex")
    get("/public/articles/search", 400, role=None, q="x", page="2")


def test_the_public_api_is_rate_limited_per_client_address(client: Client, services: Any) -> None:
    limit = services.settings.public_burst
    statuses = [client.simulate_get("/public/categories").status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [200] * limit
    limited = client.simulate_get("/public/categories")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    other = client.simulate_get("/public/categories", remote_addr="10.0.0.9")
    assert other.status_code == 200


def test_a_closed_complaint_becomes_a_draft_article_and_an_open_one_does_not(
    post: Any, get: Any, new_customer: Callable[..., str], new_agent: Callable[..., str]
) -> None:
    from tests.http.test_complaints_api import BODIES, TO_CLOSED, VALID_COMPLAINT

    bodies = {**BODIES, "tasks": {**BODIES["tasks"], "owner": new_agent()}}  # a real agent

    complaint = {**VALID_COMPLAINT, "customer_id": new_customer()}  # a real customer file
    complaint_id = post("/complaints", complaint, 201)["id"]
    body = {"complaint_id": complaint_id, "author_id": "agent-1", "title": "水壶漏水怎么处理"}
    refused = post("/articles/from-complaint", body, 409)
    assert "closed" in refused["detail"]
    for action in TO_CLOSED:
        post(f"/complaints/{complaint_id}/{action}", bodies[action])

    article_id = post("/articles/from-complaint", body, 201)["id"]
    article = get(f"/articles/{article_id}")
    assert (article["status"], article["source_case"]) == ("draft", complaint_id)
    assert VALID_COMPLAINT["description"] in article["draft"]["body"]
    missing = post("/articles/from-complaint", {**body, "complaint_id": article_id}, 422)
    assert missing["status"] == 422


def test_search_narrows_by_publication_time_and_the_faq_by_category_path(
    publish: Any, get: Any, clock: Any
) -> None:
    early = publish()
    clock.advance(days=3)
    later = publish(title="路由器指示灯不亮", category="产品/路由器说明")

    since = {"from": (clock.now).isoformat()}
    found = [
        h["id"] for h in get("/public/articles/search", role=None, q="路由器", **since)["items"]
    ]
    assert found == [later]
    until = {"to": (clock.now).isoformat()}
    found = [
        h["id"] for h in get("/public/articles/search", role=None, q="路由器", **until)["items"]
    ]
    assert found == [early]
    faq = get("/public/articles", role=None, category="产品/路由器")["items"]
    assert [a["id"] for a in faq] == [early]  # a category path, not a text prefix


def test_a_reporter_is_not_told_which_internal_articles_answered_a_case(
    publish: Any, post: Any, get: Any, open_ticket: Any
) -> None:
    public_id = publish()
    internal_id = publish(visibility="internal")
    ticket = open_ticket()["id"]
    for article_id in (public_id, internal_id):
        post(f"/articles/{article_id}/uses",
             {"case_kind": "ticket", "case_id": ticket, "agent_id": "agent-7"})  # fmt: skip

    desk = [u["article_id"] for u in get("/articles/uses", case=ticket)["items"]]
    reporter = [
        u["article_id"] for u in get("/articles/uses", role="reporter", case=ticket)["items"]
    ]
    assert (desk, reporter) == ([public_id, internal_id], [public_id])


def test_article_lists_page_with_cursors_and_refuse_a_forged_one(publish: Any, get: Any) -> None:
    ids = {publish(title=f"路由器问题{n}") for n in range(3)}
    first = get("/articles", limit=2)
    second = get("/articles", limit=2, cursor=first["next_cursor"])
    assert {a["id"] for a in first["items"] + second["items"]} == ids
    get("/articles", 400, cursor="bm90LWEtY3Vyc29y")
    get("/public/articles", 400, role=None, cursor="bm90LWEtY3Vyc29y")
