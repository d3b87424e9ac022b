"""The /articles routes: the knowledge base at the desk (知识库).

Who sees what: service callers (the agent desktop) see every article but personal notes,
and a personal note only when `?agent=` names its owner; reporters see only public articles.
An article a caller may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.articles import DraftArticle, DraftFromComplaint
from kefu.commands.execution import Answer
from kefu.domain.article import Article
from kefu.domain.errors import NotFound
from kefu.http.aggregates import (
    VIEW_READERS,
    WRITERS,
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.article_search import search_params
from kefu.http.listing import ListResource, Param, time_param
from kefu.http.params import uuid_param
from kefu.http.reading import ReadYourWrites, wait_for_position
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json, write_outcome
from kefu.http.routes import ApiApp, Operation
from kefu.projections.article_projection import ArticleSearch, ArticleView, Audience
from kefu.projections.listing import ListQuery

PREFIX = "/articles"
SUGGESTION_SHARE = 0.2  # a case's text is long: an article sharing a fifth of it is a hint


def audience(req: falcon.Request) -> Audience:
    """The caller as a reader: reporters read as the public does."""
    role = req.context.caller.role
    return Audience(public=role is Role.REPORTER, agent_id=req.get_param("agent"))


class ArticleList(ListResource):
    """GET /articles: the articles this caller may see, filtered and paged."""

    def __init__(self, view: ArticleView, wait: ReadYourWrites) -> None:
        params = [
            Param("status", "status"),
            Param("visibility", "visibility"),
            Param("category", "category", "prefix"),
            Param("language", "language"),
            Param("author", "author_id"),
            Param("updated_from", "updated_at", "ge", time_param),
            Param("updated_to", "updated_at", "lt", time_param),
            Param("agent", condition=lambda _: ("1 = 1", {})),  # read by `audience`
        ]
        sorts = {"updated": "updated_at", "created": "created_at", "uses": "use_count"}
        super().__init__(view, params, sorts, wait=wait)
        self.articles = view

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query: ListQuery = self._query(req)
        if self.wait is not None:
            self.wait(req)
        docs, next_cursor = self.articles.page_for(audience(req), query)
        write_json(resp, {"items": [self.render(d) for d in docs], "next_cursor": next_cursor})


class ArticleResource(AggregateResource):
    """GET /articles/{id} for callers who may see it; POST /articles/{id}/{action}."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        head = self.commands.app.recorder.max_notification_id
        wait_for_position(req, self.projection, self.read_wait_seconds, head)
        view = readable(self.projection.view, req, aggregate_id)
        write_json(resp, msgspec.to_builtins(view))
        resp.set_header("ETag", f'"{view.version}"')


def readable(view: ArticleView, req: falcon.Request, article_id: UUID) -> Any:
    """The article as this caller may see it; 404 when they may not see it at all."""
    reader = audience(req)
    article = view.get(article_id)
    if article is None or not reader.may_read(article):
        raise NotFound("article", article_id)
    return reader.shown(article)


class VersionsResource:
    """GET /articles/{id}/versions: every version ever published, oldest first."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, view: ArticleView) -> None:
        self.view = view

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        readable(self.view, req, aggregate_id)
        versions = self.view.versions(aggregate_id)
        if audience(req).public:
            versions = [v for v in versions if v.content.visibility == "public"]
        write_json(resp, {"id": aggregate_id, "versions": versions})


class SearchResource:
    """GET /articles/search?q=: ranked hits with snippets, among what the caller may read."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, view: ArticleView) -> None:
        self.view = view

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = search_params(req, extra={"agent"})
        request = params.request(audience(req))
        write_json(resp, {"query": params.text, "items": self.view.search(request)})


class SuggestionsResource:
    """GET /articles/suggestions?ticket=|complaint=: articles that may answer a case."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": frozenset({Role.SERVICE})}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        text = self._case_text(req)
        limit = req.get_param_as_int("limit", min_value=1, max_value=20, default=5)
        request = ArticleSearch(
            text=text, audience=audience(req), limit=limit, min_share=SUGGESTION_SHARE
        )
        hits = self.services.read_models.articles.search(request)
        write_json(resp, {"items": hits})

    def _case_text(self, req: falcon.Request) -> str:
        models = self.services.read_models
        ticket, complaint = req.get_param("ticket"), req.get_param("complaint")
        if (ticket is None) == (complaint is None):
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description="give exactly one of ticket= or complaint="
            )
        if ticket is not None:
            found = models.tickets.get(uuid_param("ticket", ticket))
            if found is None:
                raise NotFound("ticket", ticket)
            return f"{found.subject} {found.description}"
        case = models.complaints.get(uuid_param("complaint", complaint or ""))
        if case is None:
            raise NotFound("complaint", complaint)
        return f"{case.description} {case.expectation}"


class UsesResource:
    """GET /articles/uses?case=: the articles used to answer one case (ticket or complaint)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, view: ArticleView) -> None:
        self.view = view

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        case = uuid_param("case", req.get_param("case", required=True))
        reader = audience(req)
        uses = self.view.uses_for_case(case)
        seen = {u.article_id: self.view.get(u.article_id) for u in uses}
        shown = [u for u in uses if (a := seen[u.article_id]) is not None and reader.may_read(a)]
        write_json(resp, {"case_id": case, "items": shown})


class ReportResource:
    """GET /articles/report: the most used and the least helpful live articles."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, view: ArticleView) -> None:
        self.view = view

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit = req.get_param_as_int("limit", min_value=1, max_value=100, default=10)
        least = req.get_param_as_int("min_feedback", min_value=1, max_value=10_000, default=3)
        reader = audience(req)
        rows = {
            "most_used": self.view.most_used(limit * 4),
            "least_helpful": self.view.least_helpful(limit * 4, least),
        }
        write_json(
            resp,
            {k: [_usage(v) for v in vs if reader.may_read(v)][:limit] for k, vs in rows.items()},
        )


def _usage(view: Any) -> dict[str, Any]:
    feedback = view.helped_count + view.not_helped_count
    return {
        "id": view.id,
        "title": view.live.content.title if view.live else view.draft.title,
        "category": view.draft.category,
        "use_count": view.use_count,
        "helped_count": view.helped_count,
        "not_helped_count": view.not_helped_count,
        "helped_share": round(view.helped_count / feedback, 4) if feedback else None,
    }


class FromComplaintResource:
    """POST /articles/from-complaint: a closed complaint written up as a draft article."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req)
        command = decode(body, DraftFromComplaint)
        outcome = self.services.articles.draft_from_complaint(command, command_context(req, body))
        write_outcome(resp, outcome, location=f"{PREFIX}/{outcome.answer.id}")


def add_article_routes(app: ApiApp, s: Services) -> None:
    view = s.read_models.articles
    wait = read_your_writes(s, "article_views")
    add_aggregate_routes(
        app,
        PREFIX,
        CreateResource(DraftArticle, s.articles.draft, PREFIX, ArticleList(view, wait)),
        ArticleResource(
            s.articles, s.read_models.projection("article_views"), s.settings.read_wait_seconds
        ),
        HistoryResource(s.app, Article),
        post="Draft an article (知识库)",
        get="List the articles the caller may see: filters and cursor pagination",
    )
    item = f"{PREFIX}/{{article_id}}"
    reads: dict[str, tuple[object, str]] = {
        f"{PREFIX}/{{aggregate_id:uuid}}/versions": (VersionsResource(view), f"{item}/versions"),
        f"{PREFIX}/search": (SearchResource(view), f"{PREFIX}/search"),
        f"{PREFIX}/suggestions": (SuggestionsResource(s), f"{PREFIX}/suggestions"),
        f"{PREFIX}/uses": (UsesResource(view), f"{PREFIX}/uses"),
        f"{PREFIX}/report": (ReportResource(view), f"{PREFIX}/report"),
    }
    for template, (resource, path) in reads.items():
        summary = (type(resource).__doc__ or path).strip().splitlines()[0]
        app.add_route(template, resource, openapi={path: {"get": Operation(summary)}})
    complaint = Operation(FromComplaintResource.__doc__ or "", DraftFromComplaint, Answer, 201)
    app.add_route(
        f"{PREFIX}/from-complaint",
        FromComplaintResource(s),
        openapi={f"{PREFIX}/from-complaint": {"post": complaint}},
    )
