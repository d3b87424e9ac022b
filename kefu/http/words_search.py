"""`?q=` on a list: the records whose indexed words hold the phrase.

The list names its view's search (the thread view's case index for tickets and complaints:
subject or type, description and thread; the customer view's own index for customer files).
The index is `kefu/search` (grams, so Chinese without spaces is found by any part, "发票金额"
in "上月发票金额多收"); the list then shows the matching records with its other filters, order
and cursor pages. At most `CANDIDATES` records, the best matches, are considered, so a very
common word lists the best of them.
"""

from __future__ import annotations

from collections.abc import Callable

import falcon

from kefu.search.index import CANDIDATES, EmptyQuery, SearchQuery
from kefu.search.ranking import Hit

MAX_QUERY_CHARS = 200

Search = Callable[[SearchQuery], list[Hit]]


def words_condition(search: Search) -> Callable[[str], tuple[str, dict[str, object]]]:
    """The list condition for `?q=`: `id IN (the records found)`."""

    def condition(text: str) -> tuple[str, dict[str, object]]:
        if len(text) > MAX_QUERY_CHARS:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"q is at most {MAX_QUERY_CHARS} chars"
            )
        try:
            hits = search(SearchQuery(text, exact=True, limit=CANDIDATES))
        except EmptyQuery as e:
            raise falcon.HTTPBadRequest(title="Bad query parameter", description=str(e)) from None
        found = {f"q{n}": hit.doc_id for n, hit in enumerate(hits)}
        if not found:
            return "1 = 0", {}
        return f"id IN ({', '.join(':' + k for k in found)})", dict(found)

    return condition
