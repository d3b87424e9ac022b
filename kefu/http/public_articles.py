"""The public knowledge base (自助服务): read-only, no token, rate-limited per client address.

Only the live version of a published public article is ever shown; internal articles,
personal notes, drafts and retired articles answer 404 exactly like ids that do not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import falcon
import msgspec

from kefu.bootstrap import Services
from kefu.domain.errors import NotFound
from kefu.http.article_search import search_params
from kefu.http.rate_limit import RateLimited, TokenBuckets
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.article_document import ArticleDocument, MediaView
from kefu.projections.article_projection import ArticleView, Audience

PREFIX = "/public"
PUBLIC = Audience(public=True)


class PublicArticle(msgspec.Struct, frozen=True, kw_only=True):
    """A published public article as customers read it."""

    id: UUID
    revision: int
    title: str
    body: str
    category: str
    tags: tuple[str, ...]
    language: str
    media: tuple[MediaView, ...]
    related: tuple[UUID, ...]
    published_at: datetime


def public_article(view: ArticleDocument) -> PublicArticle | None:
    """The article as the public sees it, or None when the public may not see it."""
    live = view.live
    if live is None or live.content.visibility != "public":
        return None
    c = live.content
    return PublicArticle(
        id=view.id,
        revision=c.revision,
        title=c.title,
        body=c.body,
        category=c.category,
        tags=c.tags,
        language=c.language,
        media=c.media,
        related=c.related,
        published_at=live.published_at,
    )


class _Public:
    """No token; every request spends one token of its client address's bucket."""

    public = True

    def __init__(self, view: ArticleView, buckets: TokenBuckets) -> None:
        self.view = view
        self.buckets = buckets

    def admit(self, req: falcon.Request) -> None:
        try:
            self.buckets.take(req.remote_addr or "unknown")
        except RateLimited as e:
            raise falcon.HTTPTooManyRequests(
                title="Too many requests", description=str(e), retry_after=e.retry_after
            ) from None

    def related_public(self, article: PublicArticle) -> PublicArticle:
        """Only related articles the public may read are named."""
        shown = [r for r in article.related if self._public(r)]
        return msgspec.structs.replace(article, related=tuple(shown))

    def _public(self, article_id: UUID) -> bool:
        view = self.view.get(article_id)
        return view is not None and public_article(view) is not None


class PublicArticleResource(_Public):
    """GET /public/articles/{id}."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, article_id: UUID) -> None:
        self.admit(req)
        view = self.view.get(article_id)
        article = None if view is None else public_article(view)
        if article is None:
            raise NotFound("article", article_id)
        write_json(resp, self.related_public(article))


class PublicListResource(_Public):
    """GET /public/articles?category=: the FAQ, by category (and everything under it)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admit(req)
        limit = req.get_param_as_int("limit", min_value=1, max_value=100, default=50)
        docs, cursor = self.view.public_page(
            req.get_param("category"), limit, req.get_param("cursor")
        )
        items = [a for a in map(public_article, docs) if a is not None]
        write_json(resp, {"items": [_summary(a) for a in items], "next_cursor": cursor})


def _summary(article: PublicArticle) -> dict[str, Any]:
    fields = ("id", "title", "category", "tags", "language", "published_at")
    return {name: getattr(article, name) for name in fields}


class PublicCategoriesResource(_Public):
    """GET /public/categories: each FAQ category and how many articles it holds."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admit(req)
        write_json(resp, {"categories": self.view.public_categories()})


class PublicSearchResource(_Public):
    """GET /public/articles/search?q=: ranked public articles with snippets."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admit(req)
        params = search_params(req)
        hits = self.view.search(params.request(PUBLIC))
        items = [
            {
                "id": h.id,
                "title": h.content.title,
                "category": h.content.category,
                "snippet": h.snippet,
                "score": h.score,
                "published_at": h.published_at,
            }
            for h in hits
        ]
        write_json(resp, {"query": params.text, "items": items})


def add_public_article_routes(app: ApiApp, s: Services) -> None:
    buckets = TokenBuckets(s.settings.public_rate_per_minute, s.settings.public_burst)
    view = s.read_models.articles
    routes: dict[str, tuple[_Public, str]] = {
        f"{PREFIX}/articles": (PublicListResource(view, buckets), f"{PREFIX}/articles"),
        f"{PREFIX}/articles/search": (PublicSearchResource(view, buckets), ""),
        f"{PREFIX}/articles/{{article_id:uuid}}": (
            PublicArticleResource(view, buckets),
            f"{PREFIX}/articles/{{article_id}}",
        ),
        f"{PREFIX}/categories": (PublicCategoriesResource(view, buckets), ""),
    }
    for template, (resource, path) in routes.items():
        summary = (type(resource).__doc__ or "").strip().splitlines()[0]
        operation = Operation(f"{summary} (no token, rate-limited)")
        app.add_route(template, resource, openapi={path or template: {"get": operation}})
