"""GET /search?q=: tickets, complaints, knowledge-base articles and customer files holding the
words, ranked together, each with the snippet around the match.

Tickets and complaints are found in the thread view's case index (subject or type,
description, every thread entry); articles in the knowledge base's own index, among those the
caller may read (the desk: internal and public; a reporter: public only); customer files in the
customer view's own index, only for the roles that read files (`CUSTOMER_READERS`: personal
data). `match=exact` asks for the phrase, `fuzzy` (default) for similar text; `kinds` narrows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Caller, Role
from kefu.bootstrap import Services
from kefu.http.aggregates import VIEW_READERS
from kefu.http.article_search import search_params
from kefu.http.customers import CUSTOMER_READERS
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.http.scoping import list_condition
from kefu.projections.article_projection import Audience
from kefu.search.index import SearchQuery

KINDS = ("ticket", "complaint", "article", "customer")


class Found(msgspec.Struct, frozen=True):
    kind: str
    id: UUID
    score: float
    snippet: str


class SearchResults(msgspec.Struct, frozen=True):
    items: list[Found]


class SearchResource:
    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, s: Services) -> None:
        self.s = s

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = search_params(req, extra={"kinds"})
        kinds = [k for k in (req.get_param("kinds") or ",".join(KINDS)).split(",") if k]
        if not kinds or set(kinds) - set(KINDS):
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"kinds: some of {', '.join(KINDS)}"
            )
        caller = req.context.caller
        query = SearchQuery(params.text, params.exact, limit=params.limit)
        threads = self.s.read_models.threads
        found: list[Found] = []
        if "ticket" in kinds:
            tickets = threads.search_tickets(scoped(query, caller, "ticket_views"))
            found += [Found("ticket", UUID(h.doc_id), h.score, h.snippet) for h in tickets]
        if "complaint" in kinds:
            complaints = threads.search_complaints(scoped(query, caller, "complaint_views"))
            found += [Found("complaint", UUID(h.doc_id), h.score, h.snippet) for h in complaints]
        if "article" in kinds:
            public = caller.role is Role.REPORTER
            articles = self.s.read_models.articles.search(params.request(Audience(public)))
            found += [Found("article", a.id, a.score, a.snippet) for a in articles]
        if "customer" in kinds and may_read_customers(caller.role):
            files = self.s.read_models.customers.search(scoped(query, caller, "customer_views"))
            found += [Found("customer", UUID(h.doc_id), h.score, h.snippet) for h in files]
        ranked = sorted(found, key=lambda f: (-f.score, f.kind, str(f.id)))[: params.limit]
        write_json(resp, SearchResults(ranked))


def scoped(query: SearchQuery, caller: Caller, table: str) -> SearchQuery:
    """The search among the records of the caller's scope (in the SQL, before the limit)."""
    scope = list_condition(caller, table, alias="b.")
    if scope is None:
        return query
    return replace(query, where=(*query.where, scope[0]), params={**query.params, **scope[1]})


def may_read_customers(role: Role) -> bool:
    return role is Role.ADMIN or role in CUSTOMER_READERS


def add_search_routes(app: ApiApp, s: Services) -> None:
    operation = Operation(
        "Tickets, complaints, articles and customer files holding the words",
        answer=SearchResults,
    )
    app.add_route("/search", SearchResource(s), openapi={"/search": {"get": operation}})
