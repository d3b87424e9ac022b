"""The query parameters of an article search, shared by the desk and the public API."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime

import falcon

from kefu.http.params import rfc3339
from kefu.projections.article_projection import ArticleSearch, Audience
from kefu.search.text import grams, normalize

SEARCH_PARAMS = frozenset({"q", "match", "category", "language", "from", "to", "limit"})
MAX_QUERY_LENGTH = 200


def _bad(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad query parameter", description=description)


@dataclass(frozen=True)
class SearchParams:
    """A validated search request, before we know who is asking."""

    text: str
    exact: bool
    category: str | None
    language: str | None
    since: datetime | None
    until: datetime | None
    limit: int

    def request(self, audience: Audience, min_share: float | None = None) -> ArticleSearch:
        return ArticleSearch(
            text=self.text,
            audience=audience,
            exact=self.exact,
            category=self.category,
            language=self.language,
            since=self.since,
            until=self.until,
            limit=self.limit,
            min_share=min_share,
        )


def search_params(req: falcon.Request, extra: Set[str] = frozenset()) -> SearchParams:
    """?q= (required), match=fuzzy|exact, category=, language=, from=, to=, limit= (1-50)."""
    unknown = set(req.params) - SEARCH_PARAMS - extra
    if unknown:
        known = ", ".join(sorted(SEARCH_PARAMS | extra))
        raise _bad(f"unknown: {', '.join(sorted(unknown))}; known: {known}")
    text = req.get_param("q", required=True)
    if len(text) > MAX_QUERY_LENGTH or not grams(normalize(text)):
        raise _bad(f"q needs a letter, digit or Chinese character, at most {MAX_QUERY_LENGTH} long")
    match = req.get_param("match", default="fuzzy")
    if match not in ("fuzzy", "exact"):
        raise _bad("match is fuzzy or exact")
    since, until = req.get_param("from"), req.get_param("to")
    return SearchParams(
        text=text,
        exact=match == "exact",
        category=req.get_param("category"),
        language=req.get_param("language"),
        since=rfc3339("from", since) if since else None,
        until=rfc3339("to", until) if until else None,
        limit=req.get_param_as_int("limit", min_value=1, max_value=50, default=20),
    )
