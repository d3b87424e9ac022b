"""The article aggregate: the review workflow table, its rules, and complaint write-ups."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from kefu.domain.article import EVENT_ACTIONS, Article
from kefu.domain.article_lifecycle import (
    TRANSITIONS,
    ArticleAction,
    ArticleStatus,
    transition_table_markdown,
)
from kefu.domain.article_values import ArticleContent, CaseKind, Visibility
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata

A = ArticleAction
S = ArticleStatus
T0 = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
META = EventMetadata("desk", "service", UUID(int=1), UUID(int=2), None, "api")
CONTENT = ArticleContent(
    title="退款多久到账",
    body="原路退回，一般 3 个工作日。",
    category=" 售后 / 退款 /",
    tags=("退款", " 退款 ", ""),
    language="zh-CN",
    visibility=Visibility.PUBLIC,
)


def draft(content: ArticleContent = CONTENT) -> Article:
    return Article.draft(content=content, author_id="agent-1", meta=META, at=T0)


def published() -> Article:
    article = draft()
    article.submit(reviewers=("lead-1",), note="", meta=META, at=T0)
    article.approve(reviewer_id="lead-1", note="", meta=META, at=T0)
    return article


def test_a_draft_is_tidied_and_starts_at_revision_one() -> None:
    article = draft()
    assert (article.status, article.revision, article.live) == (S.DRAFT, 1, False)
    assert article.content.category == "售后/退款"
    assert article.content.tags == ("退款",)


def test_the_walk_publishes_the_revision_under_review() -> None:
    article = draft()
    article.edit(content=CONTENT, editor_id="agent-1", meta=META, at=T0)
    article.submit(reviewers=("lead-1", "lead-1"), note="", meta=META, at=T0)
    article.approve(reviewer_id="lead-1", note="ok", meta=META, at=T0)
    assert (article.status, article.published_revision, article.reviewers) == (
        S.PUBLISHED,
        2,
        ("lead-1",),
    )


def test_a_revision_keeps_the_article_live_until_it_is_retired() -> None:
    article = published()
    article.revise(by="agent-1", reason="新政策", meta=META, at=T0)
    assert (article.status, article.live) == (S.DRAFT, True)
    article.retire(by="lead-1", reason="", meta=META, at=T0)
    assert article.live is False
    article.restore(by="lead-1", meta=META, at=T0)
    assert (article.status, article.published_revision) == (S.DRAFT, None)


@pytest.mark.parametrize(("reviewers", "approver"), [(("agent-1",), None), (("lead-1",), "lead-2")])
def test_only_a_named_reviewer_other_than_the_author_approves(
    reviewers: tuple[str, ...], approver: str | None
) -> None:
    article = draft()
    with pytest.raises(RuleViolated):
        article.submit(reviewers=reviewers, note="", meta=META, at=T0)
        article.approve(reviewer_id=approver or "agent-1", note="", meta=META, at=T0)


def test_a_personal_note_needs_an_owner_and_is_never_submitted() -> None:
    with pytest.raises(RuleViolated):
        draft(ArticleContent(**{**CONTENT.__dict__, "visibility": Visibility.PERSONAL}))
    note = draft(
        ArticleContent(**{**CONTENT.__dict__, "visibility": Visibility.PERSONAL, "owner_id": "a"})
    )
    with pytest.raises(RuleViolated):
        note.submit(reviewers=("lead-1",), note="", meta=META, at=T0)


def test_an_article_is_used_and_rated_only_while_live() -> None:
    article = draft()
    with pytest.raises(RuleViolated):
        article.use_for(case_kind=CaseKind.TICKET, case_id=uuid4(), agent_id="a", meta=META, at=T0)
    live = published()
    live.use_for(case_kind=CaseKind.TICKET, case_id=uuid4(), agent_id="a", meta=META, at=T0)
    live.give_feedback(helped=True, comment="", case_id=None, meta=META, at=T0)
    assert live.version == 5


def test_an_action_outside_the_table_is_refused_with_what_is_allowed() -> None:
    article = published()
    with pytest.raises(ActionNotAllowed) as refused:
        article.edit(content=CONTENT, editor_id="agent-1", meta=META, at=T0)
    assert refused.value.allowed_now == ("revise", "comments", "retire", "uses", "feedback")


def test_every_event_names_a_table_action_and_the_docs_print_every_row() -> None:
    assert set(EVENT_ACTIONS.values()) == set(A)
    markdown = transition_table_markdown()
    rows = sum(len(row) for row in TRANSITIONS.values())
    assert markdown.count("\n") == rows + 1
    assert "| in_review | approve | published |" in markdown


def test_a_closed_complaint_is_written_up_with_its_accepted_resolution() -> None:
    from kefu.domain.complaint_article import complaint_content
    from kefu.domain.complaint_lifecycle import ComplaintStatus
    from tests.unit.complaint_builders import complaint_in

    content = complaint_content(complaint_in(ComplaintStatus.CLOSED), "漏水处理", "zh-CN")
    assert content.visibility is Visibility.INTERNAL
    assert content.category.startswith("complaints/")
    assert "## 解决方案 Resolution" in content.body
    with pytest.raises(RuleViolated):
        complaint_content(complaint_in(ComplaintStatus.INVESTIGATING), "x", "zh-CN")


def test_phrases_keep_their_scenario_rules_and_forbidden_ones_are_found_in_either_script() -> None:
    from kefu.domain.phrase import Phrase, PhraseKind, Scenario
    from kefu.search.phrases import Listed, find_phrases

    with pytest.raises(RuleViolated):
        Phrase.create(kind=PhraseKind.FORBIDDEN, scenario=Scenario.HOTLINE, title="t",
                      text="不知道", suggestion="", meta=META, at=T0)  # fmt: skip
    listed = [Listed("a", "不知道"), Listed("b", "Not My Job"), Listed("c", "随便")]
    found = find_phrases("我不知道。 NOT MY JOB!", listed)
    assert [(f.phrase_id, f.start, f.end) for f in found] == [("a", 1, 4), ("b", 6, 16)]
