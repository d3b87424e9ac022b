"""The article view (知识库): one document per article, folded from its events."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.article import EVENT_ACTIONS, Article
from kefu.domain.article_lifecycle import TRANSITIONS, ArticleStatus
from kefu.domain.article_values import ArticleContent
from kefu.domain.lifecycle import status_after


class MediaView(msgspec.Struct, frozen=True, kw_only=True):
    """An attachment or video link."""

    kind: str
    reference: str
    caption: str = ""


class ContentView(msgspec.Struct, frozen=True, kw_only=True):
    """What one revision of an article says and who may read it."""

    revision: int
    title: str
    body: str
    category: str
    tags: tuple[str, ...]
    language: str
    visibility: str
    owner_id: str | None = None
    media: tuple[MediaView, ...] = ()
    related: tuple[UUID, ...] = ()


class PublishedView(msgspec.Struct, frozen=True, kw_only=True):
    """A published version: its content, when and by whom it was approved."""

    content: ContentView
    published_at: datetime
    approved_by: str


class ReviewNote(msgspec.Struct, frozen=True, kw_only=True):
    """One step of the review conversation: submitted, comment, changes requested, approved."""

    kind: str
    by: str
    text: str
    at: datetime


class ArticleDocument(msgspec.Struct, frozen=True, kw_only=True):
    """An article as the desk sees it: its working copy and its live (published) version."""

    id: UUID
    status: str
    author_id: str
    draft: ContentView
    published: PublishedView | None = None
    reviewers: tuple[str, ...] = ()
    review: tuple[ReviewNote, ...] = ()
    source_case: UUID | None = None
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None = None
    use_count: int = 0
    helped_count: int = 0
    not_helped_count: int = 0
    last_used_at: datetime | None = None
    version: int
    position: int = 0

    @property
    def live(self) -> PublishedView | None:
        """The version readers see: the last published one, unless the article is retired."""
        return None if self.status == ArticleStatus.RETIRED else self.published


def content_view(content: ArticleContent, revision: int) -> ContentView:
    return ContentView(
        revision=revision,
        title=content.title,
        body=content.body,
        category=content.category,
        tags=content.tags,
        language=content.language,
        visibility=str(content.visibility),
        owner_id=content.owner_id,
        media=tuple(
            MediaView(kind=str(m.kind), reference=m.reference, caption=m.caption)
            for m in content.media
        ),
        related=content.related,
    )


def fold(view: ArticleDocument | None, event: Any, position: int) -> ArticleDocument:
    """The view after `event` (an event of the article at `position` in the log)."""
    if view is None:
        return _drafted(event, position)
    status = status_after(TRANSITIONS, EVENT_ACTIONS, ArticleStatus(view.status), event)
    return replace(
        _apply(event, view),
        status=str(status),
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _drafted(event: Article.Drafted, position: int) -> ArticleDocument:
    return ArticleDocument(
        id=event.originator_id,
        status=str(ArticleStatus.DRAFT),
        author_id=event.author_id,
        draft=content_view(event.content, 1),
        source_case=event.source_case,
        created_at=event.timestamp,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _note(view: ArticleDocument, kind: str, by: str, text: str, at: datetime) -> ArticleDocument:
    return replace(view, review=(*view.review, ReviewNote(kind=kind, by=by, text=text, at=at)))


@singledispatch
def _apply(event: Any, view: ArticleDocument) -> ArticleDocument:
    return view


@_apply.register
def _(event: Article.Edited, view: ArticleDocument) -> ArticleDocument:
    return replace(view, draft=content_view(event.content, view.draft.revision + 1))


@_apply.register
def _(event: Article.Submitted, view: ArticleDocument) -> ArticleDocument:
    view = replace(view, reviewers=event.reviewers)
    return _note(view, "submitted", event.meta.actor_id, event.note, event.timestamp)


@_apply.register
def _(event: Article.Commented, view: ArticleDocument) -> ArticleDocument:
    return _note(view, "comment", event.by, event.text, event.timestamp)


@_apply.register
def _(event: Article.ChangesRequested, view: ArticleDocument) -> ArticleDocument:
    return _note(view, "changes_requested", event.reviewer_id, event.reason, event.timestamp)


@_apply.register
def _(event: Article.Approved, view: ArticleDocument) -> ArticleDocument:
    published = PublishedView(
        content=view.draft, published_at=event.timestamp, approved_by=event.reviewer_id
    )
    view = replace(view, published=published, retired_at=None)
    return _note(view, "approved", event.reviewer_id, event.note, event.timestamp)


@_apply.register
def _(event: Article.Revised, view: ArticleDocument) -> ArticleDocument:
    return _note(view, "revised", event.by, event.reason, event.timestamp)


@_apply.register
def _(event: Article.Retired, view: ArticleDocument) -> ArticleDocument:
    return _note(
        replace(view, retired_at=event.timestamp),
        "retired",
        event.by,
        event.reason,
        event.timestamp,
    )


@_apply.register
def _(event: Article.Restored, view: ArticleDocument) -> ArticleDocument:
    return replace(view, published=None, retired_at=None)


@_apply.register
def _(event: Article.UsedForCase, view: ArticleDocument) -> ArticleDocument:
    return replace(view, use_count=view.use_count + 1, last_used_at=event.timestamp)


@_apply.register
def _(event: Article.FeedbackGiven, view: ArticleDocument) -> ArticleDocument:
    if event.helped:
        return replace(view, helped_count=view.helped_count + 1)
    return replace(view, not_helped_count=view.not_helped_count + 1)
