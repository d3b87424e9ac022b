"""Knowledge-base article (知识库) commands and their handlers: load, call the verb, save."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, Handler
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.errors import require
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import Names
from kefu.commands.references import Reference as NamedRecord
from kefu.domain.article import Article
from kefu.domain.article_lifecycle import ArticleAction
from kefu.domain.article_values import ArticleContent, CaseKind, MediaKind, MediaLink, Visibility
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_article import complaint_content
from kefu.domain.ticket import Ticket

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Body = Annotated[str, msgspec.Meta(max_length=100_000)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"\S")]
Language = Annotated[str, msgspec.Meta(min_length=2, max_length=16, pattern=r"^[A-Za-z-]+$")]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
CATEGORY_PATTERN = r"[^/\s]"  # at least one segment with something in it


class Media(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An attachment or video, by reference (the file itself is stored elsewhere)."""

    kind: MediaKind
    reference: Reference
    caption: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ArticleFields(Command, frozen=True):
    """What an article says, as drafted or edited (the whole revision every time)."""

    title: Title
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=CATEGORY_PATTERN)]
    body: Body = ""
    tags: Annotated[tuple[Tag, ...], msgspec.Meta(max_length=20)] = ()
    language: Language = "zh-CN"
    visibility: Visibility = Visibility.INTERNAL
    owner_id: Name | None = None
    media: Annotated[tuple[Media, ...], msgspec.Meta(max_length=20)] = ()
    related: Annotated[tuple[UUID, ...], msgspec.Meta(max_length=20)] = ()

    def content(self) -> ArticleContent:
        return ArticleContent(
            title=self.title,
            body=self.body,
            category=self.category,
            tags=self.tags,
            language=self.language,
            visibility=self.visibility,
            owner_id=self.owner_id,
            media=tuple(MediaLink(m.kind, m.reference, m.caption) for m in self.media),
            related=tuple(dict.fromkeys(self.related)),
        )


class DraftArticle(ArticleFields, frozen=True, kw_only=True):
    """Write a new article as a draft."""

    author_id: Name


class DraftFromComplaint(Command, frozen=True):
    """Write a closed complaint up as a draft article (投诉知识库)."""

    complaint_id: UUID
    author_id: Name
    title: Title
    language: Language = "zh-CN"


class EditArticle(ArticleFields, frozen=True, kw_only=True):
    editor_id: Name


class SubmitArticle(Command, frozen=True):
    reviewers: Annotated[tuple[Name, ...], msgspec.Meta(min_length=1, max_length=10)]
    note: Note = ""


class CommentOnArticle(Command, frozen=True):
    by: Name
    text: Text


class ApproveArticle(Command, frozen=True):
    reviewer_id: Name
    note: Note = ""


class RequestChanges(Command, frozen=True):
    reviewer_id: Name
    reason: Text


class ReviseArticle(Command, frozen=True):
    by: Name
    reason: Text


class RetireArticle(Command, frozen=True):
    by: Name
    reason: Text


class RestoreArticle(Command, frozen=True):
    by: Name


class UseArticle(Command, frozen=True):
    """The article was used to answer a case (used to answer)."""

    case_kind: CaseKind
    case_id: UUID
    agent_id: Name

    def references(self) -> Sequence[NamedRecord]:
        kind = Ticket if self.case_kind is CaseKind.TICKET else Complaint
        return (Names("case_id", kind, self.case_id),)


class ArticleFeedback(Command, frozen=True):
    """Did the article help?"""

    helped: bool
    comment: Note = ""
    case_id: UUID | None = None


def edit(a: Article, c: EditArticle, e: Env) -> None:
    a.edit(content=c.content(), editor_id=c.editor_id, meta=e.meta, at=e.at)


def submit(a: Article, c: SubmitArticle, e: Env) -> None:
    a.submit(reviewers=c.reviewers, note=c.note, meta=e.meta, at=e.at)


def comment(a: Article, c: CommentOnArticle, e: Env) -> None:
    a.comment(by=c.by, text=c.text, meta=e.meta, at=e.at)


def approve(a: Article, c: ApproveArticle, e: Env) -> None:
    a.approve(reviewer_id=c.reviewer_id, note=c.note, meta=e.meta, at=e.at)


def request_changes(a: Article, c: RequestChanges, e: Env) -> None:
    a.request_changes(reviewer_id=c.reviewer_id, reason=c.reason, meta=e.meta, at=e.at)


def revise(a: Article, c: ReviseArticle, e: Env) -> None:
    a.revise(by=c.by, reason=c.reason, meta=e.meta, at=e.at)


def retire(a: Article, c: RetireArticle, e: Env) -> None:
    a.retire(by=c.by, reason=c.reason, meta=e.meta, at=e.at)


def restore(a: Article, c: RestoreArticle, e: Env) -> None:
    a.restore(by=c.by, meta=e.meta, at=e.at)


def feedback(a: Article, c: ArticleFeedback, e: Env) -> None:
    a.give_feedback(helped=c.helped, comment=c.comment, case_id=c.case_id, meta=e.meta, at=e.at)


A = ArticleAction

ACTION_BODIES: dict[str, type[Command]] = {
    A.EDIT.value: EditArticle,
    A.SUBMIT.value: SubmitArticle,
    A.COMMENT.value: CommentOnArticle,
    A.APPROVE.value: ApproveArticle,
    A.REQUEST_CHANGES.value: RequestChanges,
    A.REVISE.value: ReviseArticle,
    A.RETIRE.value: RetireArticle,
    A.RESTORE.value: RestoreArticle,
    A.USE.value: UseArticle,
    A.FEEDBACK.value: ArticleFeedback,
}


class ArticleCommands(AggregateCommands[Article]):
    """The article write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        handlers: dict[str, Handler[Article]] = {
            A.EDIT.value: self._checked_edit,
            A.SUBMIT.value: submit,
            A.COMMENT.value: comment,
            A.APPROVE.value: approve,
            A.REQUEST_CHANGES.value: request_changes,
            A.REVISE.value: revise,
            A.RETIRE.value: retire,
            A.RESTORE.value: restore,
            A.USE.value: self._use,
            A.FEEDBACK.value: feedback,
        }
        table: ActionTable[Article] = {a: (ACTION_BODIES[a], h) for a, h in handlers.items()}
        super().__init__(app, runner, policies, Article, table)

    @staticmethod
    def action_bodies() -> dict[str, type[Command]]:
        """Each action's body Struct (for the OpenAPI document)."""
        return dict(ACTION_BODIES)

    def draft(self, cmd: DraftArticle, ctx: Context) -> Outcome:
        self._require_related(cmd.related)

        def make(e: Env) -> Article:
            return Article.draft(
                content=cmd.content(), author_id=cmd.author_id, meta=e.meta, at=e.at
            )

        return self.create(ctx, make)

    def draft_from_complaint(self, cmd: DraftFromComplaint, ctx: Context) -> Outcome:
        require(self.app, Complaint, cmd.complaint_id, "complaint_id")
        complaint = self.app.load(Complaint, cmd.complaint_id)
        content = complaint_content(complaint, cmd.title, cmd.language)

        def make(e: Env) -> Article:
            return Article.draft(
                content=content,
                author_id=cmd.author_id,
                meta=e.meta,
                at=e.at,
                source_case=cmd.complaint_id,
            )

        return self.create(ctx, make)

    def _checked_edit(self, a: Article, c: EditArticle, e: Env) -> None:
        self._require_related(c.related)
        edit(a, c, e)

    def _use(self, a: Article, c: UseArticle, e: Env) -> None:
        a.use_for(
            case_kind=c.case_kind, case_id=c.case_id, agent_id=c.agent_id, meta=e.meta, at=e.at
        )

    def _require_related(self, related: tuple[UUID, ...]) -> None:
        for article_id in related:
            require(self.app, Article, article_id, "related")
