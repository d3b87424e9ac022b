"""The knowledge-base article (知识库文章) as an event-sourced aggregate."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.article_lifecycle import (
    TRANSITIONS,
    ArticleAction,
    ArticleStatus,
    allowed_actions,
    next_status,
)
from kefu.domain.article_values import ArticleContent, CaseKind, Visibility, category_path
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata

A = ArticleAction


class Article(Aggregate):
    """An article agents and customers read, published only after review (权限审核).

    The working copy (`content`, `revision`) is edited as a draft, submitted to named
    reviewers, and published by one of them who is not its author. Each publication keeps
    its revision; a published article stays live while its next revision is reviewed.
    """

    content: ArticleContent
    revision: int
    author_id: str
    status: ArticleStatus
    reviewers: tuple[str, ...]
    published_revision: int | None
    source_case: UUID | None

    class Drafted(Aggregate.Created):
        """A new article, as a draft by its author (possibly from a closed complaint)."""

        content: ArticleContent
        author_id: str
        source_case: UUID | None
        meta: EventMetadata

    class Edited(Aggregate.Event):
        """A new revision of the working copy replaced the previous one."""

        content: ArticleContent
        editor_id: str
        meta: EventMetadata

    class Submitted(Aggregate.Event):
        reviewers: tuple[str, ...]
        note: str
        meta: EventMetadata

    class Commented(Aggregate.Event):
        by: str
        text: str
        meta: EventMetadata

    class Approved(Aggregate.Event):
        """A reviewer approved the revision under review: it is now the live version."""

        reviewer_id: str
        revision: int
        note: str
        meta: EventMetadata

    class ChangesRequested(Aggregate.Event):
        reviewer_id: str
        reason: str
        meta: EventMetadata

    class Revised(Aggregate.Event):
        """A new revision was started; the published one stays live until it is replaced."""

        by: str
        reason: str
        meta: EventMetadata

    class Retired(Aggregate.Event):
        by: str
        reason: str
        meta: EventMetadata

    class Restored(Aggregate.Event):
        by: str
        meta: EventMetadata

    class UsedForCase(Aggregate.Event):
        """An agent used the article to answer a case (ticket or complaint)."""

        case_kind: CaseKind
        case_id: UUID
        agent_id: str
        meta: EventMetadata

    class FeedbackGiven(Aggregate.Event):
        """Did it help? From the customer or the agent who used it."""

        helped: bool
        comment: str
        case_id: UUID | None
        meta: EventMetadata

    @event(Drafted)
    def __init__(
        self,
        content: ArticleContent,
        author_id: str,
        source_case: UUID | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.content = content
        self.revision = 1
        self.author_id = author_id
        self.status = ArticleStatus.DRAFT
        self.reviewers = ()
        self.published_revision = None
        self.source_case = source_case

    @classmethod
    def draft(
        cls,
        *,
        content: ArticleContent,
        author_id: str,
        meta: EventMetadata,
        at: datetime,
        source_case: UUID | None = None,
    ) -> Article:
        """Write a new article as a draft."""
        return cls(
            content=checked(content, None),
            author_id=author_id,
            source_case=source_case,
            meta=meta,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    @property
    def live(self) -> bool:
        """Readers can see a published version (it was published and is not retired)."""
        return self.published_revision is not None and self.status is not ArticleStatus.RETIRED

    def edit(
        self, *, content: ArticleContent, editor_id: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Replace the working copy with a new revision."""
        self._check_allowed(A.EDIT)
        self._edited(
            content=checked(content, self.id), editor_id=editor_id, meta=meta, timestamp=at
        )

    def submit(
        self, *, reviewers: tuple[str, ...], note: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Send the working copy to review by the named reviewers (never only its author)."""
        self._check_allowed(A.SUBMIT)
        if self.content.visibility is Visibility.PERSONAL:
            raise RuleViolated("a personal note is not published; edit its visibility first")
        if not set(reviewers) - {self.author_id}:
            raise RuleViolated("name at least one reviewer other than the author")
        self._submitted(
            reviewers=tuple(dict.fromkeys(reviewers)), note=note, meta=meta, timestamp=at
        )

    def comment(self, *, by: str, text: str, meta: EventMetadata, at: datetime) -> None:
        """A review comment by the author or a reviewer."""
        self._check_allowed(A.COMMENT)
        self._commented(by=by, text=text, meta=meta, timestamp=at)

    def approve(self, *, reviewer_id: str, note: str, meta: EventMetadata, at: datetime) -> None:
        """Publish the revision under review; only a named reviewer who is not the author."""
        self._check_allowed(A.APPROVE)
        self._check_reviewer(reviewer_id)
        self._approved(
            reviewer_id=reviewer_id, revision=self.revision, note=note, meta=meta, timestamp=at
        )

    def request_changes(
        self, *, reviewer_id: str, reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Send the revision back to its author as a draft, saying what to change."""
        self._check_allowed(A.REQUEST_CHANGES)
        self._check_reviewer(reviewer_id)
        self._changes_requested(reviewer_id=reviewer_id, reason=reason, meta=meta, timestamp=at)

    def revise(self, *, by: str, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Start a new revision of a published article; the published one stays live."""
        self._check_allowed(A.REVISE)
        self._revised(by=by, reason=reason, meta=meta, timestamp=at)

    def retire(self, *, by: str, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Withdraw the article: nobody finds or reads it any more (it stays in the log)."""
        self._check_allowed(A.RETIRE)
        self._retired(by=by, reason=reason, meta=meta, timestamp=at)

    def restore(self, *, by: str, meta: EventMetadata, at: datetime) -> None:
        """Bring a retired article back as a draft, to be reviewed again."""
        self._check_allowed(A.RESTORE)
        self._restored(by=by, meta=meta, timestamp=at)

    def use_for(
        self,
        *,
        case_kind: CaseKind,
        case_id: UUID,
        agent_id: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Record that the article was used to answer a case (用于解答)."""
        self._check_allowed(A.USE)
        self._check_live()
        self._used_for_case(
            case_kind=case_kind, case_id=case_id, agent_id=agent_id, meta=meta, timestamp=at
        )

    def give_feedback(
        self, *, helped: bool, comment: str, case_id: UUID | None, meta: EventMetadata, at: datetime
    ) -> None:
        """Record whether the article helped."""
        self._check_allowed(A.FEEDBACK)
        self._check_live()
        self._feedback_given(
            helped=helped, comment=comment, case_id=case_id, meta=meta, timestamp=at
        )

    def _check_allowed(self, action: ArticleAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} an article that is {self.status}", self.allowed_now
            )

    def _check_reviewer(self, reviewer_id: str) -> None:
        if reviewer_id not in self.reviewers:
            raise RuleViolated(
                f"{reviewer_id} is not a reviewer of this revision", self.allowed_now
            )
        if reviewer_id == self.author_id:
            raise RuleViolated("an author may not review their own article", self.allowed_now)

    def _check_live(self) -> None:
        if not self.live:
            raise RuleViolated("the article has never been published", self.allowed_now)

    def _advance(self, action: ArticleAction) -> None:
        self.status = next_status(self.status, action)

    @event(Edited)
    def _edited(
        self, content: ArticleContent, editor_id: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.content = content
        self.revision += 1

    @event(Submitted)
    def _submitted(
        self, reviewers: tuple[str, ...], note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.reviewers = reviewers
        self._advance(A.SUBMIT)

    @event(Commented)
    def _commented(self, by: str, text: str, meta: EventMetadata, timestamp: datetime) -> None:
        pass

    @event(Approved)
    def _approved(
        self, reviewer_id: str, revision: int, note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.published_revision = revision
        self._advance(A.APPROVE)

    @event(ChangesRequested)
    def _changes_requested(
        self, reviewer_id: str, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._advance(A.REQUEST_CHANGES)

    @event(Revised)
    def _revised(self, by: str, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.REVISE)

    @event(Retired)
    def _retired(self, by: str, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.RETIRE)

    @event(Restored)
    def _restored(self, by: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.published_revision = None  # it must pass review again before anyone reads it
        self._advance(A.RESTORE)

    @event(UsedForCase)
    def _used_for_case(
        self,
        case_kind: CaseKind,
        case_id: UUID,
        agent_id: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        pass

    @event(FeedbackGiven)
    def _feedback_given(
        self,
        helped: bool,
        comment: str,
        case_id: UUID | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        pass


def checked(content: ArticleContent, article_id: UUID | None) -> ArticleContent:
    """The content with its category path tidied; refuses an owner that does not fit the
    visibility and an article related to itself."""
    personal = content.visibility is Visibility.PERSONAL
    if personal and not content.owner_id:
        raise RuleViolated("a personal article names its owner agent (owner_id)")
    if not personal and content.owner_id:
        raise RuleViolated("only a personal article has an owner (owner_id)")
    if article_id is not None and article_id in content.related:
        raise RuleViolated("an article cannot be related to itself")
    tags = tuple(dict.fromkeys(t.strip() for t in content.tags if t.strip()))
    return replace(content, category=category_path(content.category), tags=tags)


# Which lifecycle action each event records: read models replay the table with it.
EVENT_ACTIONS: dict[type[object], ArticleAction] = {
    Article.Edited: A.EDIT,
    Article.Submitted: A.SUBMIT,
    Article.Commented: A.COMMENT,
    Article.Approved: A.APPROVE,
    Article.ChangesRequested: A.REQUEST_CHANGES,
    Article.Revised: A.REVISE,
    Article.Retired: A.RETIRE,
    Article.Restored: A.RESTORE,
    Article.UsedForCase: A.USE,
    Article.FeedbackGiven: A.FEEDBACK,
}
