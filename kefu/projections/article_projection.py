"""The article view's tables, its search index and its projection.

Besides one row per article it keeps every published version (`article_versions`), every
use of an article for a case (`article_uses`) and a search index over what each reader may
find: the live version of a published article, or the working copy of a personal note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import Tracking

from kefu.domain.article import Article
from kefu.domain.article_lifecycle import ArticleStatus
from kefu.projections.article_document import ArticleDocument, ContentView, PublishedView, fold
from kefu.projections.batch import Positioned
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.listing import ListQuery
from kefu.projections.sql import Tx, db_time
from kefu.search.index import SearchIndex, SearchQuery
from kefu.search.ranking import Hit

PERSONAL = "personal"


def indexed(view: ArticleDocument) -> ContentView | None:
    """What search finds of an article: its live version, or a personal note's working copy."""
    live = view.live
    if live is not None:
        return live.content
    personal = view.draft.visibility == PERSONAL
    return view.draft if personal and view.status != ArticleStatus.RETIRED else None


def _searched(view: ArticleDocument, pick: str) -> object:
    content = indexed(view)
    return None if content is None else getattr(content, pick)


def _search_time(view: ArticleDocument) -> str | None:
    live = view.live
    return db_time(live.published_at if live is not None else view.updated_at)


@dataclass(frozen=True)
class Audience:
    """Who is searching: the public sees public articles; an agent at the desk sees internal
    ones too, and their own personal notes when they say who they are."""

    public: bool
    agent_id: str | None = None

    def condition(self) -> tuple[str, dict[str, object]]:
        """Which indexed articles it may find (the owner's table is aliased `b`)."""
        if self.public:
            return "b.search_scope = 'public'", {}
        return (
            "(b.search_scope IN ('public', 'internal') OR "
            "(b.search_scope = 'personal' AND b.search_owner = :audience_agent))",
            {"audience_agent": self.agent_id or ""},
        )

    def rows(self) -> tuple[str, dict[str, object]]:
        """Which rows of the article list it may see (by the working copy's visibility)."""
        if self.public:
            return "visibility = 'public'", {}
        return (
            "(visibility != 'personal' OR owner_id = :audience_agent)",
            {"audience_agent": self.agent_id or ""},
        )

    def may_read(self, view: ArticleDocument) -> bool:
        if self.public:
            return view.draft.visibility == "public"
        return view.draft.visibility != PERSONAL or view.draft.owner_id == self.agent_id

    def shown(self, view: ArticleDocument) -> ArticleDocument:
        """The view without a published version this audience may not read."""
        live = view.published
        if self.public and live is not None and live.content.visibility != "public":
            return msgspec.structs.replace(view, published=None)
        return view


@dataclass(frozen=True)
class ArticleSearch:
    """A search request: text, exactness, who searches, and optional narrowing."""

    text: str
    audience: Audience
    exact: bool = False
    category: str | None = None  # a category path and everything under it
    language: str | None = None
    since: datetime | None = None  # published (or, for notes, changed) at or after
    until: datetime | None = None  # ... and before
    limit: int = 20
    min_share: float | None = None  # see SearchQuery


class ArticleHit(msgspec.Struct, frozen=True, kw_only=True):
    """One search result: the content found, its score and a snippet."""

    id: UUID
    score: float
    snippet: str
    content: ContentView
    published_at: datetime | None


class ArticleUse(msgspec.Struct, frozen=True, kw_only=True):
    """An article used to answer a case."""

    article_id: UUID
    case_kind: str
    case_id: UUID
    agent_id: str
    used_at: datetime


class ArticleView(DocumentView[ArticleDocument]):
    """One row per article, its published versions, its uses and its search index."""

    table = "article_views"
    document = ArticleDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "author_id": ("TEXT NOT NULL", lambda v: v.author_id),
        "visibility": ("TEXT NOT NULL", lambda v: v.draft.visibility),
        "owner_id": ("TEXT", lambda v: v.draft.owner_id),
        "category": ("TEXT NOT NULL", lambda v: v.draft.category),
        "language": ("TEXT NOT NULL", lambda v: v.draft.language),
        "created_at": ("TEXT NOT NULL", lambda v: db_time(v.created_at)),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
        "search_scope": ("TEXT", lambda v: _searched(v, "visibility")),
        "search_owner": ("TEXT", lambda v: _searched(v, "owner_id")),
        "search_category": ("TEXT", lambda v: _searched(v, "category")),
        "search_language": ("TEXT", lambda v: _searched(v, "language")),
        "search_time": ("TEXT", _search_time),
        "published_at": ("TEXT", lambda v: db_time(v.live.published_at) if v.live else None),
        "use_count": ("INTEGER NOT NULL", lambda v: v.use_count),
        "helped_count": ("INTEGER NOT NULL", lambda v: v.helped_count),
        "not_helped_count": ("INTEGER NOT NULL", lambda v: v.not_helped_count),
    }
    indexes = ("status, updated_at", "search_scope, search_category", "owner_id")
    index = SearchIndex("article", "article_views")

    def create_statements(self) -> tuple[str, ...]:
        return (
            *super().create_statements(),
            "CREATE TABLE IF NOT EXISTS article_versions (article_id TEXT NOT NULL, revision "
            "INTEGER NOT NULL, published_at TEXT NOT NULL, doc TEXT NOT NULL, "
            "PRIMARY KEY (article_id, revision))",
            "CREATE TABLE IF NOT EXISTS article_uses (article_id TEXT NOT NULL, case_kind TEXT "
            "NOT NULL, case_id TEXT NOT NULL, agent_id TEXT NOT NULL, used_at TEXT NOT NULL, "
            "position BIGINT PRIMARY KEY)",
            "CREATE INDEX IF NOT EXISTS article_uses_case ON article_uses (case_id)",
            *self.index.create_statements(self.is_postgres),
        )

    def write_extras(
        self,
        tx: Tx,
        versions: list[PublishedView],
        ids: list[UUID],
        uses: list[ArticleUse],
        positions: list[int],
    ) -> None:
        """The published versions and the uses a batch added, in the batch's transaction."""
        tx.executemany(
            "INSERT INTO article_versions (article_id, revision, published_at, doc) VALUES "
            "(:article_id, :revision, :published_at, :doc) ON CONFLICT DO NOTHING",
            [
                {
                    "article_id": str(i),
                    "revision": v.content.revision,
                    "published_at": db_time(v.published_at),
                    "doc": msgspec.json.encode(v).decode(),
                }
                for i, v in zip(ids, versions, strict=True)
            ],
        )
        tx.executemany(
            "INSERT INTO article_uses (article_id, case_kind, case_id, agent_id, used_at, "
            "position) VALUES (:article_id, :case_kind, :case_id, :agent_id, :used_at, "
            ":position) ON CONFLICT DO NOTHING",
            [
                {
                    "article_id": str(u.article_id),
                    "case_kind": u.case_kind,
                    "case_id": str(u.case_id),
                    "agent_id": u.agent_id,
                    "used_at": db_time(u.used_at),
                    "position": p,
                }
                for u, p in zip(uses, positions, strict=True)
            ],
        )

    def reindex(self, tx: Tx, view: ArticleDocument) -> None:
        content = indexed(view)
        if content is None:
            self.index.drop(tx, str(view.id))
        else:
            self.index.put(tx, str(view.id), content.title, content.body)

    def search(self, request: ArticleSearch) -> list[ArticleHit]:
        """The best articles this audience may read, best first."""
        where, params = request.audience.condition()
        conditions = [where, *_narrowing(request, params)]
        query = SearchQuery(
            request.text, request.exact, conditions, params, request.limit, request.min_share
        )
        with self.read() as tx:
            hits = self.index.search(tx, query)
            docs = self.get_many(tx, [UUID(h.doc_id) for h in hits])
        return [_hit(h, docs[UUID(h.doc_id)]) for h in hits if UUID(h.doc_id) in docs]

    def page_for(
        self, audience: Audience, query: ListQuery
    ) -> tuple[list[ArticleDocument], str | None]:
        """One page of the articles this audience may see."""
        where, params = audience.rows()
        narrowed = replace(
            query,
            extra_where=[*query.extra_where, where],
            extra_params={**query.extra_params, **params},
        )
        docs, cursor = self.page(narrowed)
        return [audience.shown(d) for d in docs], cursor

    def public_page(
        self, category: str | None, limit: int, cursor: str | None
    ) -> tuple[list[ArticleDocument], str | None]:
        """One page of the live public articles, in a category path and under it, by category."""
        where = ["search_scope = 'public'"]
        params: dict[str, object] = {}
        if category:
            params = {"cat": category, "cat_under": _like_under(category)}
            where.append("(search_category = :cat OR search_category LIKE :cat_under ESCAPE '!')")
        query = ListQuery(order_by="search_category", limit=limit, cursor=cursor,
                          extra_where=where, extra_params=params)  # fmt: skip
        return self.page(query)

    def public_categories(self) -> dict[str, int]:
        """How many live public articles each category holds (the FAQ's table of contents)."""
        rows = self.query(
            "SELECT search_category AS category, COUNT(*) AS n FROM article_views "
            "WHERE search_scope = 'public' GROUP BY search_category ORDER BY search_category"
        )
        return {str(r["category"]): int(r["n"]) for r in rows}

    def versions(self, article_id: UUID) -> list[PublishedView]:
        """Every version ever published, oldest first."""
        rows = self.query(
            "SELECT doc FROM article_versions WHERE article_id = :id ORDER BY revision",
            {"id": str(article_id)},
        )
        return [msgspec.json.decode(r["doc"], type=PublishedView) for r in rows]

    def uses_for_case(self, case_id: UUID) -> list[ArticleUse]:
        """The articles used to answer one case, in the order they were used."""
        rows = self.query(
            "SELECT article_id, case_kind, case_id, agent_id, used_at FROM article_uses "
            "WHERE case_id = :id ORDER BY position",
            {"id": str(case_id)},
        )
        return [msgspec.convert(_used(r), ArticleUse) for r in rows]

    def most_used(self, limit: int) -> list[ArticleDocument]:
        """Live articles by uses, most first."""
        return self._docs(
            "SELECT doc FROM article_views WHERE published_at IS NOT NULL AND use_count > 0 "
            "ORDER BY use_count DESC, id LIMIT :limit",
            {"limit": limit},
        )

    def least_helpful(self, limit: int, min_feedback: int) -> list[ArticleDocument]:
        """Live articles with at least `min_feedback` answers, by share of "it helped", lowest
        first (then by the number who said it did not)."""
        return self._docs(
            "SELECT doc FROM article_views WHERE published_at IS NOT NULL "
            "AND helped_count + not_helped_count >= :least "
            "ORDER BY helped_count * 1.0 / (helped_count + not_helped_count), "
            "not_helped_count DESC, id LIMIT :limit",
            {"limit": limit, "least": max(min_feedback, 1)},
        )

    def _docs(self, statement: str, params: dict[str, object]) -> list[ArticleDocument]:
        return [
            msgspec.json.decode(r["doc"], type=ArticleDocument)
            for r in self.query(statement, params)
        ]


def _used(row: Any) -> dict[str, Any]:
    return {**row, "used_at": row["used_at"].replace("Z", "+00:00")}


def _narrowing(request: ArticleSearch, params: dict[str, object]) -> list[str]:
    conditions = []
    if request.category:
        params["cat"], params["cat_under"] = request.category, _like_under(request.category)
        conditions.append(
            "(b.search_category = :cat OR b.search_category LIKE :cat_under ESCAPE '!')"
        )
    if request.language:
        params["lang"] = request.language
        conditions.append("b.search_language = :lang")
    if request.since:
        params["since"] = db_time(request.since)
        conditions.append("b.search_time >= :since")
    if request.until:
        params["until"] = db_time(request.until)
        conditions.append("b.search_time < :until")
    return conditions


def _like_under(category: str) -> str:
    escaped = category.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return escaped + "/%"


def _hit(hit: Hit, view: ArticleDocument) -> ArticleHit:
    content = indexed(view)
    assert content is not None  # the index holds only what `indexed` gives
    live = view.live
    return ArticleHit(
        id=view.id,
        score=hit.score,
        snippet=hit.snippet,
        content=content,
        published_at=live.published_at if live else None,
    )


class ArticleProjection(FoldProjection[ArticleView]):
    """Keeps the article rows, versions, uses and search index, a batch per transaction."""

    name = "article_views"
    event_classes = (
        Article.Drafted, Article.Edited, Article.Submitted, Article.Commented, Article.Approved,
        Article.ChangesRequested, Article.Revised, Article.Retired, Article.Restored,
        Article.UsedForCase, Article.FeedbackGiven,
    )  # fmt: skip

    fold = staticmethod(fold)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            ids = list(dict.fromkeys(p.event.originator_id for p in events))
            docs = self.view.get_many(tx, ids)
            before = {i: indexed(d) for i, d in docs.items()}
            published: tuple[list[PublishedView], list[UUID]] = ([], [])
            uses: tuple[list[ArticleUse], list[int]] = ([], [])
            for p in events:
                key = p.event.originator_id
                docs[key] = self.fold(docs.get(key), p.event, p.position)
                self._collect(p, docs[key], published, uses)
            self.view.save(tx, docs, tracking)
            self.view.write_extras(tx, published[0], published[1], uses[0], uses[1])
            for key, doc in docs.items():
                if key not in before or before[key] != indexed(doc):
                    self.view.reindex(tx, doc)

    @staticmethod
    def _collect(
        p: Positioned,
        doc: ArticleDocument,
        published: tuple[list[PublishedView], list[UUID]],
        uses: tuple[list[ArticleUse], list[int]],
    ) -> None:
        event = p.event
        if isinstance(event, Article.Approved) and doc.published is not None:
            published[0].append(doc.published)
            published[1].append(doc.id)
        elif isinstance(event, Article.UsedForCase):
            use = ArticleUse(
                article_id=doc.id,
                case_kind=str(event.case_kind),
                case_id=event.case_id,
                agent_id=event.agent_id,
                used_at=event.timestamp,
            )
            uses[0].append(use)
            uses[1].append(p.position)
