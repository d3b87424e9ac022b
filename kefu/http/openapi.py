"""The OpenAPI document, built from the operations recorded as the routes were added."""

from __future__ import annotations

from typing import Any

import falcon
import msgspec

from kefu.http.body_examples import body_example
from kefu.http.problems import PROBLEM_JSON
from kefu.http.responses import write_json
from kefu.http.routes import Operation, Paths

_REF = "#/components/schemas/{name}"
_JSON = "application/json"
_PROBLEM = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem; `errors` names the fields of an invalid body",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/rule-violated"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "allowed_now": {"type": "array", "items": {"type": "string"}},
        "current_version": {"type": "integer"},
    },
}
PROBLEM_EXAMPLE = {
    "type": "/problems/rule-violated",
    "title": "Not allowed now",
    "status": 409,
    "detail": "a closed ticket cannot be dispatched; allowed now: reopen, archive",
    "allowed_now": ["reopen", "archive"],
}
# Every operation may answer these; commands (POST) also the ones of COMMAND_PROBLEMS.
PROBLEMS = {
    "400": "Bad request: a malformed parameter, header, cursor or JSON body",
    "401": "No valid bearer token",
    "403": "The token's role may not do this (or the token may not send X-On-Behalf-Of)",
    "404": "No such route or record",
    "4XX": "Another client error (405, 406 ...)",
    "503": "Not available now (a read waiting with ?after= timed out; retry after Retry-After)",
}
COMMAND_PROBLEMS = {
    "409": "A business rule forbids it now (`allowed_now` lists what is allowed)",
    "412": "If-Match names a version that is no longer the current one",
    "413": "The body is larger than 1 MiB",
    "415": "The body is not JSON",
    "422": "The body does not fit the command, or the Idempotency-Key was used for another request",
}
_HEADERS = {
    "X-Request-ID": (
        "Names this exchange (1-128 of A-Z a-z 0-9 . _ ~ : + / = -); echoed",
        "edge-7f3a",
    ),
    "X-Correlation-ID": (
        "A UUID naming the business conversation, stored on the events; echoed",
        "6f1c2a4e-1111-4a0b-9c39-4d4c2a7b9e01",
    ),
}
_COMMAND_HEADERS = {
    "Idempotency-Key": (
        "A retry with the same key answers the first answer (1-200 chars)",
        "order-42-refund",
    ),
    "X-Causation-ID": (
        "A UUID: the message that caused this command",
        "0b7e51e2-9d7c-4c55-8c4e-2f0f1f3b6a10",
    ),
    "X-Channel": ("Where the command came from (at most 40 chars), default api", "ivr"),
    "X-On-Behalf-Of": (
        "An agent id: the agent at the keyboard is the actor, this token the sender "
        "(tokens with may_delegate only)",
        "3d8e5f1a-2b4c-4d6e-8f01-23456789abcd",
    ),
}
_IF_MATCH = ("The version the change is based on; 412 when it is no longer current", '"3"')


def build_openapi(operations: Paths) -> dict[str, Any]:
    """The document: every recorded path, and the schema of every Struct they refer to."""
    structs = dict.fromkeys(
        t for ops in operations.values() for o in ops.values() for t in o.schemas()
    )
    _, components = msgspec.json.schema_components(list(structs), ref_template=_REF)
    paths = {
        path: {method: _operation(method, o, components) for method, o in ops.items()}
        for path, ops in sorted(operations.items())
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "kefu", "version": "0.1.0"},
        "components": {
            "schemas": {**components, "Problem": PROBLEM_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def _operation(method: str, operation: Operation, components: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "OK"}
    command = method == "post"
    body: dict[str, Any] = {
        "summary": operation.summary,
        "parameters": [*(dict(p) for p in operation.parameters), *_headers(operation, command)],
        "responses": {str(operation.status): response, **_problems(command)},
    }
    if operation.body is not None:
        schema: dict[str, Any] = {"schema": _ref(operation.body)}
        example = body_example(operation.body, components)
        if example is not None:
            schema["example"] = example
        body["requestBody"] = {"required": True, "content": {_JSON: schema}}
    answer = _answer_schema(operation)
    if answer is not None:
        response["content"] = {_JSON: {"schema": answer}}
    return body


def _headers(operation: Operation, command: bool) -> list[dict[str, Any]]:
    headers = dict(_HEADERS)
    if command:
        headers.update(_COMMAND_HEADERS)
        if any(p["in"] == "path" for p in operation.parameters):
            headers["If-Match"] = _IF_MATCH
    return [
        {
            "name": name,
            "in": "header",
            "description": text,
            "schema": {"type": "string"},
            "example": example,
        }
        for name, (text, example) in headers.items()
    ]


def _problems(command: bool) -> dict[str, Any]:
    described = {**PROBLEMS, **(COMMAND_PROBLEMS if command else {})}
    content = {PROBLEM_JSON: {"schema": _PROBLEM, "example": PROBLEM_EXAMPLE}}
    return {status: {"description": text, "content": content} for status, text in described.items()}


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
