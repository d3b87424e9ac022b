"""GET list endpoints: query parameters → filters, sort and cursor; JSON page out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import falcon
import msgspec

from kefu.auth import Role
from kefu.http.aggregates import VIEW_READERS
from kefu.http.params import rfc3339
from kefu.http.responses import write_json
from kefu.http.scoping import list_condition, within_scope
from kefu.http.words_search import WordsCondition
from kefu.projections.documents import DocumentView
from kefu.projections.listing import Filter, ListQuery
from kefu.projections.sql import db_time

PAGING_PARAMS = frozenset({"limit", "cursor", "sort", "after"})
EXPORT_PAGE = 500  # rows read at once by `pages` (an export holds one page in memory)

# A custom parameter turns its text into a trusted SQL condition and its parameters.
Condition = Callable[[str], tuple[str, dict[str, object]]]


@dataclass(frozen=True)
class Param:
    """A query parameter: compared to `column` with `op`, or turned into SQL by `condition`,
    or by `search` (`?q=`), which also is given the caller's scope."""

    name: str
    column: str = ""
    op: str = "eq"
    convert: Callable[[str], object] = str
    condition: Condition | None = None
    search: WordsCondition | None = None


def time_param(text: str) -> object:
    """An RFC 3339 time as the views store it (fixed-width UTC text)."""
    return db_time(rfc3339("time", text))


class ListResource:
    """GET /{kind}: a filtered, sorted page of documents with `next_cursor`."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(
        self,
        view: DocumentView[Any],
        params: Sequence[Param],
        sorts: Mapping[str, str],
        render: Callable[[Any], Any] = msgspec.to_builtins,
        wait: Callable[[falcon.Request], None] | None = None,
    ) -> None:
        self.wait = wait  # read-your-writes (`?after=`), when the list's projection is known
        self.view = view
        self.params = {p.name: p for p in params}
        self.sorts = sorts  # public sort name → column; the first is the default
        self.render = render
        self.own_params: frozenset[str] = frozenset()  # a reader's own (an export's format)

    def query_parameters(self) -> list[dict[str, Any]]:
        """The query parameters this list reads, as OpenAPI parameters."""
        text = {"type": "string"}
        paging = {
            "sort": {"enum": _sort_names(self.sorts)},
            "limit": {"type": "integer", "minimum": 1, "maximum": 500},
            "cursor": text,
            "after": {"type": "integer", "minimum": 0},
        }
        schemas = {**paging, **dict.fromkeys(self.params, text)}
        return [{"name": name, "in": "query", "schema": schema} for name, schema in schemas.items()]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self._query(req)
        if self.wait is not None:
            self.wait(req)
        docs, next_cursor = self.view.page(query)
        write_json(resp, {"items": [self.render(d) for d in docs], "next_cursor": next_cursor})

    def pages(self, req: falcon.Request) -> Iterator[list[Any]]:
        """Every page of what the request asks for, rendered as the list's items, each read
        when the previous one has been consumed (exports, `kefu/http/exports.py`). The query
        is checked and the first page read now: a bad parameter is refused before anything
        is sent. It reads through `_query`, the list's own query, so a department-scoped
        caller's export holds only the records its list would show."""
        query = replace(self._query(req), limit=EXPORT_PAGE)
        if self.wait is not None:
            self.wait(req)
        first = self.view.page(query)  # read now: a bad cursor is refused before the answer
        return self._following(query, first)

    def _following(
        self, query: ListQuery, page: tuple[list[Any], str | None]
    ) -> Iterator[list[Any]]:
        while True:
            docs, next_cursor = page
            yield [self.render(d) for d in docs]
            if next_cursor is None:
                return
            query = replace(query, cursor=next_cursor)
            page = self.view.page(query)

    def _query(self, req: falcon.Request) -> ListQuery:
        unknown = set(req.params) - set(self.params) - PAGING_PARAMS - self.own_params
        if unknown:
            known = ", ".join(sorted(set(self.params) | PAGING_PARAMS | self.own_params))
            raise falcon.HTTPBadRequest(
                title="Unknown query parameter",
                description=f"unknown: {', '.join(sorted(unknown))}; known: {known}",
            )
        caller = getattr(req.context, "caller", None)  # None on a public list
        filters, where, values = [], [], {}
        for name, param in self.params.items():
            text = req.get_param(name)
            if text is None:
                continue
            if param.condition is not None:
                sql, extra = param.condition(text)
                where.append(sql)
                values.update(extra)
            elif param.search is not None:
                within = None if caller is None else list_condition(caller, self.view.table, "b.")
                sql, extra = param.search(text, within)
                where.append(sql)
                values.update(extra)
            else:
                filters.append(Filter(param.column, param.op, param.convert(text)))
        sort = req.get_param("sort") or next(iter(self.sorts))
        column = self.sorts.get(sort.lstrip("-"))
        if column is None:
            raise falcon.HTTPBadRequest(
                title="Bad sort", description=f"sort by one of: {', '.join(self.sorts)}"
            )
        query = ListQuery(
            filters=filters,
            order_by=column,
            descending=sort.startswith("-"),
            limit=req.get_param_as_int("limit", min_value=1, max_value=500, default=50),
            cursor=req.get_param("cursor"),
            extra_where=where,
            extra_params=values,
        )
        # A department-scoped token: its records only, in the SQL (pages stay right).
        return query if caller is None else within_scope(caller, self.view.table, query)


def _sort_names(sorts: Mapping[str, str]) -> list[str]:
    return [order + name for name in sorts for order in ("", "-")]
