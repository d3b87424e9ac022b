"""The OpenAPI document, built from the operations recorded as the routes were added."""

from __future__ import annotations

from typing import Any

import falcon
import msgspec

from kefu.http.responses import write_json
from kefu.http.routes import Operation, Paths

_REF = "#/components/schemas/{name}"
_JSON = "application/json"


def build_openapi(operations: Paths) -> dict[str, Any]:
    """The document: every recorded path, and the schema of every Struct they refer to."""
    structs = dict.fromkeys(
        t for ops in operations.values() for o in ops.values() for t in o.schemas()
    )
    _, components = msgspec.json.schema_components(list(structs), ref_template=_REF)
    paths = {
        path: {method: _operation(o) for method, o in ops.items()}
        for path, ops in sorted(operations.items())
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "kefu", "version": "0.1.0"},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def _operation(operation: Operation) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "OK"}
    body: dict[str, Any] = {
        "summary": operation.summary,
        "responses": {str(operation.status): response},
    }
    if operation.parameters:
        body["parameters"] = [dict(p) for p in operation.parameters]
    if operation.body is not None:
        body["requestBody"] = {"content": {_JSON: {"schema": _ref(operation.body)}}}
    answer = _answer_schema(operation)
    if answer is not None:
        response["content"] = {_JSON: {"schema": answer}}
    return body


def _answer_schema(operation: Operation) -> dict[str, Any] | None:
    if operation.answer is not None:
        return _ref(operation.answer)
    if operation.page_of is None:
        return None
    items = {"type": "array", "items": _ref(operation.page_of)}
    cursor = {"type": ["string", "null"]}
    return {"type": "object", "properties": {"items": items, "next_cursor": cursor}}


def _ref(struct: type) -> dict[str, str]:
    return {"$ref": _REF.format(name=struct.__name__)}


class OpenApiResource:
    """GET /openapi.json: built on the first request, when every route has been added."""

    public = True

    def __init__(self, operations: Paths) -> None:
        self.operations = operations
        self.document: dict[str, Any] | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self.document is None:
            self.document = build_openapi(self.operations)
        write_json(resp, self.document)
