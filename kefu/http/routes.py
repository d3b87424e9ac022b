"""Routes that document themselves: each route is added with the OpenAPI operations it serves.

`ApiApp.add_route(template, resource, openapi={path: {method: Operation}})` adds the falcon route
and records its operations in the same call, so /openapi.json lists what is served and nothing
else; a test compares the two. OpenAPI paths name their parameters for readers (`{ticket_id}`)
where the falcon template has `{aggregate_id:uuid}`, and an action route's one template is one
path per action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import falcon

# OpenAPI path → HTTP method (lower case) → what it does.
Paths = Mapping[str, Mapping[str, "Operation"]]


@dataclass(frozen=True)
class Operation:
    """One documented operation: the body it decodes, and what a success answers with.

    `answer` is the Struct of the whole answer; `page_of` that of each item of a cursor page
    (`{"items": [...], "next_cursor": ...}`).
    """

    summary: str
    body: type | None = None
    answer: type | None = None
    status: int = 200
    page_of: type | None = None
    parameters: tuple[Mapping[str, Any], ...] = ()

    def schemas(self) -> tuple[type, ...]:
        """The Structs this operation refers to."""
        return tuple(t for t in (self.body, self.answer, self.page_of) if t is not None)


class ApiApp(falcon.App[falcon.Request, falcon.Response]):
    """The falcon app, recording the OpenAPI operations of each route as it is added."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.operations: dict[str, dict[str, Operation]] = {}

    def add_route(
        self, uri_template: str, resource: object, *, openapi: Paths | None = None, **kwargs: Any
    ) -> None:
        super().add_route(uri_template, resource, **kwargs)
        for path, operations in (openapi or {}).items():
            declared = {
                method: _declared(operation, uri_template, path, resource, method)
                for method, operation in operations.items()
            }
            self.operations.setdefault(path, {}).update(declared)


def _declared(
    operation: Operation, template: str, path: str, resource: object, method: str
) -> Operation:
    """The operation with its path parameters (typed by the falcon template's converters)
    and, for a list, the query parameters its resource reads."""
    names = {p["name"] for p in operation.parameters}
    added = [p for p in path_parameters(template, path) if p["name"] not in names]
    lister = getattr(resource, "lister", None) or resource
    query = getattr(lister, "query_parameters", None)
    if method == "get" and callable(query):
        added += [p for p in query() if p["name"] not in names]
    return replace(operation, parameters=(*added, *operation.parameters))


def path_parameters(template: str, path: str) -> list[dict[str, Any]]:
    """`/tickets/{aggregate_id:uuid}` beside `/tickets/{ticket_id}`: ticket_id, a UUID."""
    parameters = []
    for falcon_part, part in zip(template.split("/"), path.split("/"), strict=False):
        if part.startswith("{") and part.endswith("}"):
            converter = falcon_part.strip("{}").partition(":")[2]
            schema = (
                {"type": "string", "format": "uuid"} if converter == "uuid" else {"type": "string"}
            )
            parameters.append(
                {"name": part[1:-1], "in": "path", "required": True, "schema": schema}
            )
    return parameters
