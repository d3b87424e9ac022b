"""Articles on both backends: the view, published versions, search, replay and rebuild."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from kefu.audit.replay import replay
from kefu.bootstrap import Services
from kefu.commands.articles import ApproveArticle, DraftArticle, RetireArticle, SubmitArticle
from kefu.domain.article_values import Visibility
from kefu.projections.article_projection import ArticleSearch, Audience
from kefu.projections.rebuild import rebuild
from tests.integration.conftest import context

DESK = Audience(public=False, agent_id="agent-1")
PUBLIC = Audience(public=True)

ARTICLES = [
    ("路由器无法连接网络", "先重启路由器，再检查网线。", "产品/路由器", Visibility.PUBLIC),
    ("無線網絡經常斷開", "請把路由器放在開闊的位置。", "产品/路由器", Visibility.PUBLIC),
    ("打印机卡纸", "打开后盖取出纸张。Printer paper jam: open the rear cover.", "产品/打印机",
     Visibility.PUBLIC),
    ("路由器返修内部流程", "登记序列号后寄回维修中心。", "内部/返修", Visibility.INTERNAL),
]  # fmt: skip


def quiet(_: str) -> None:
    return None


def publish(services: Services, title: str, body: str, category: str, vis: Visibility) -> UUID:
    draft = DraftArticle(
        title=title, body=body, category=category, visibility=vis, author_id="agent-1"
    )
    article_id = services.articles.draft(draft, context()).answer.id
    act(services, article_id, "submit", SubmitArticle(reviewers=("lead-1",)))
    act(services, article_id, "approve", ApproveArticle(reviewer_id="lead-1"))
    return article_id


def act(services: Services, article_id: UUID, action: str, command: Any) -> None:
    services.articles.act(article_id, action, command, context())


def search(services: Services, text: str, **options: Any) -> list[UUID]:
    request = ArticleSearch(text=text, audience=options.pop("audience", DESK), **options)
    return [hit.id for hit in services.read_models.articles.search(request)]


def test_search_ranks_chinese_and_english_text_on_both_backends(services: Services) -> None:
    ids = [publish(services, *a) for a in ARTICLES]
    services.projection_runner().catch_up()

    assert search(services, "路由器")[:2] == [ids[0], ids[3]]  # in the title of both
    assert set(search(services, "路由器", audience=PUBLIC)) == {ids[0], ids[1]}
    assert search(services, "无线网络断开")[0] == ids[1]  # simplified finds traditional
    assert search(services, "paper jma")[0] == ids[2]  # a typo in a word
    assert search(services, "Printer Paper", exact=True) == [ids[2]]
    assert search(services, "路由器", category="产品") != []
    assert search(services, "路由器", category="内部") == [ids[3]]
    assert search(services, "路由器", category="产品/路由") == []  # a path, not a prefix


def test_a_retired_article_leaves_the_index_and_replay_agrees(services: Services) -> None:
    ids = [publish(services, *a) for a in ARTICLES]
    act(services, ids[0], "retire", RetireArticle(by="lead-1", reason="停产"))
    services.projection_runner().catch_up()

    assert ids[0] not in search(services, "路由器")
    assert services.read_models.articles.versions(ids[0])[0].content.title == ARTICLES[0][0]
    result = replay(services.app, services.read_models, quiet)
    assert result.ok, [str(d) for d in result.differences]


def test_a_rebuilt_article_view_searches_the_same(services: Services) -> None:
    [publish(services, *a) for a in ARTICLES]
    services.projection_runner().catch_up()
    before = search(services, "路由器")

    rebuild(services.app, services.read_models, "article_views", quiet)

    assert search(services, "路由器") == before


def test_forbidden_phrase_flags_replay_the_same_on_both_backends(services: Services) -> None:
    from kefu.commands.phrases import CreatePhrase, RetirePhrase
    from kefu.commands.tickets import FollowUpTicket, OpenTicket
    from kefu.domain.channels import Channel
    from kefu.domain.phrase import PhraseKind, Scenario

    opened = OpenTicket(channel=Channel.PHONE, category="repair", subject="漏水")
    ticket_id = services.tickets.open(opened, context()).answer.id
    phrase = CreatePhrase(
        kind=PhraseKind.FORBIDDEN, scenario=Scenario.ANY, title="t", text="没办法"
    )
    phrase_id = services.phrases.add(phrase, context()).answer.id
    for note in ("没辦法，等着吧", "已联系师傅"):
        services.tickets.act(ticket_id, "follow-ups", FollowUpTicket(note=note), context())
    services.phrases.act(phrase_id, "retire", RetirePhrase(), context())
    services.tickets.act(ticket_id, "follow-ups", FollowUpTicket(note="没办法"), context())
    services.projection_runner().catch_up()

    flags = services.read_models.phrases.flags(ticket_id, None, None, None, 10)
    assert [(f.phrase_id, f.field) for f in flags] == [(phrase_id, "note")]
    result = replay(services.app, services.read_models, quiet)
    assert result.ok, [str(d) for d in result.differences]
