"""`?q=` on a list: the records whose indexed words hold the phrase.

The list names its view's search (the thread view's case index for tickets and complaints:
subject or type, description and thread; the customer view's own index for customer files).
The index is `kefu/search` (grams, so Chinese without spaces is found by any part, "发票金额"
in "上月发票金额多收"); the list then shows the matching records with its other filters, order
and cursor pages. At most `CANDIDATES` records, the best matches, are considered, so a very
common word lists the best of them. For a department-scoped token they are the best among
the records of its scope (the scope is a condition of the search itself, not a later filter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import falcon

from kefu.search.index import CANDIDATES, EmptyQuery, SearchQuery
from kefu.search.ranking import Hit

MAX_QUERY_CHARS = 200

Search = Callable[[SearchQuery], list[Hit]]
SqlCondition = tuple[str, dict[str, object]]
# `?q=`'s text and the caller's scope on the searched view (aliased `b.`; None: unscoped).
WordsCondition = Callable[[str, SqlCondition | None], SqlCondition]


def words_condition(search: Search) -> WordsCondition:
    """The list condition for `?q=`: `id IN (the records found)`, among the caller's scope."""

    def condition(text: str, scope: SqlCondition | None) -> SqlCondition:
        if len(text) > MAX_QUERY_CHARS:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"q is at most {MAX_QUERY_CHARS} chars"
            )
        try:
            query = SearchQuery(text, exact=True, limit=CANDIDATES)
            if scope is not None:
                query = replace(query, where=(scope[0],), params=scope[1])
            hits = search(query)
        except EmptyQuery as e:
            raise falcon.HTTPBadRequest(title="Bad query parameter", description=str(e)) from None
        found = {f"q{n}": hit.doc_id for n, hit in enumerate(hits)}
        if not found:
            return "1 = 0", {}
        return f"id IN ({', '.join(':' + k for k in found)})", dict(found)

    return condition
