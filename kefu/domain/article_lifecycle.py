"""The knowledge-base article lifecycle (知识库审核) as ONE declarative table.

draft → in review → published → retired. A published article keeps its live version while a
new revision is drafted and reviewed (`revise` leads back to draft), so readers never lose it.
Rows are only ever added, never edited: stored events replay through this table.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import allowed_in, follow, table_markdown


class ArticleStatus(StrEnum):
    """Where an article's working copy stands."""

    DRAFT = "draft"  # 草稿
    IN_REVIEW = "in_review"  # 审核中
    PUBLISHED = "published"  # 已发布
    RETIRED = "retired"  # 已下线


class ArticleAction(StrEnum):
    """What may be done to an article; the values are the HTTP action names."""

    EDIT = "edit"
    SUBMIT = "submit"
    COMMENT = "comments"
    APPROVE = "approve"
    REQUEST_CHANGES = "request-changes"
    REVISE = "revise"
    RETIRE = "retire"
    RESTORE = "restore"
    USE = "uses"
    FEEDBACK = "feedback"


S = ArticleStatus
A = ArticleAction

# A live (once published, not retired) article may be used and rated whatever its working copy.
_LIVE = {A.USE: None, A.FEEDBACK: None}

# None as the next state means "stays where it is".
TRANSITIONS: dict[ArticleStatus, dict[ArticleAction, ArticleStatus | None]] = {
    S.DRAFT: {A.EDIT: None, A.SUBMIT: S.IN_REVIEW, A.COMMENT: None, A.RETIRE: S.RETIRED, **_LIVE},
    S.IN_REVIEW: {
        A.COMMENT: None,
        A.APPROVE: S.PUBLISHED,
        A.REQUEST_CHANGES: S.DRAFT,
        **_LIVE,
    },
    S.PUBLISHED: {A.REVISE: S.DRAFT, A.COMMENT: None, A.RETIRE: S.RETIRED, **_LIVE},
    S.RETIRED: {A.RESTORE: S.DRAFT},
}


def allowed_actions(status: ArticleStatus) -> tuple[str, ...]:
    """The actions the table allows in `status`, in the table's order."""
    return allowed_in(TRANSITIONS, status)


def next_status(status: ArticleStatus, action: ArticleAction) -> ArticleStatus:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for the docs and `kefu docs transitions`."""
    return table_markdown(TRANSITIONS)
