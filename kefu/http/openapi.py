"""The OpenAPI document, generated from the same Structs the app decodes."""

from __future__ import annotations

from typing import Any

import falcon
import msgspec

from kefu.commands.execution import Answer
from kefu.commands.tickets import TICKET_ACTIONS, OpenTicket
from kefu.http.call_openapi import call_centre_paths, call_centre_schemas
from kefu.http.complaint_openapi import complaint_paths, complaint_schemas
from kefu.http.customer_openapi import customer_paths, customer_schemas
from kefu.http.reports import REPORTS
from kefu.http.responses import write_json
from kefu.projections.ticket_document import TicketDocument

_REF = "#/components/schemas/{name}"


def _op(
    summary: str, body: type | None, answer: type | None, status: str = "200"
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {status: {"description": "OK"}}}
    if body is not None:
        ref = {"$ref": _REF.format(name=body.__name__)}
        op["requestBody"] = {"content": {"application/json": {"schema": ref}}}
    if answer is not None:
        ref = {"$ref": _REF.format(name=answer.__name__)}
        op["responses"][status]["content"] = {"application/json": {"schema": ref}}
    return op


_AUDIT_PATHS = {
    "/audit/streams/{stream_id}/events": {
        "get": _op("Every event of a record (auditors)", None, None)
    },
    "/audit/streams/{stream_id}/state": {
        "get": _op("A record as it stood at=/version=", None, None)
    },
    "/audit/streams/{stream_id}/diff": {
        "get": _op("What changed between two versions", None, None)
    },
    "/audit/actors/{actor_id}/events": {"get": _op("What one actor did", None, None)},
    "/audit/reads": {"get": _op("Who read what through /audit (admins)", None, None)},
}

_WORK_QUEUE_PATHS = {
    "/agents/{agent_id}/queue": {
        "get": _op("An agent's open assigned tickets by due time (cursor pages)", None, None)
    },
    "/departments/{name}/board": {
        "get": _op("A department's tickets by status, and the overdue count", None, None)
    },
}


def _report_paths() -> dict[str, Any]:
    def parameter(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": required, "schema": schema}

    paths = {}
    for name, spec in REPORTS.items():
        op = _op(f"The {name} report as JSON or CSV (docs/reports.md)", None, None)
        op["parameters"] = [
            parameter("from", {"type": "string", "format": "date-time"}, required=True),
            parameter("to", {"type": "string", "format": "date-time"}, required=True),
            parameter("period", {"enum": ["day", "week", "month"]}),
            parameter("group_by", {"enum": list(spec.groups)}),
            parameter("format", {"enum": ["json", "csv"]}),
        ]
        paths[f"/reports/{name}"] = {"get": op}
    return paths


def build_openapi() -> dict[str, Any]:
    commands = [OpenTicket, *(c for c, _ in TICKET_ACTIONS.values())]
    _, components = msgspec.json.schema_components(
        [
            *commands,
            Answer,
            TicketDocument,
            *complaint_schemas(),
            *call_centre_schemas(),
            *customer_schemas(),
        ],
        ref_template=_REF,
    )
    paths: dict[str, Any] = {
        "/tickets": {
            "post": _op("Open a ticket (受理)", OpenTicket, Answer, "201"),
            "get": _op("List tickets: filters, sorts and cursor pagination", None, None),
        },
        "/tickets/{ticket_id}": {"get": _op("The ticket view", None, TicketDocument)},
        "/tickets/{ticket_id}/history": {"get": _op("Every event of the ticket", None, None)},
    }
    for action, (command, _) in TICKET_ACTIONS.items():
        paths[f"/tickets/{{ticket_id}}/{action}"] = {
            "post": _op(f"Ticket action: {action}", command, Answer)
        }
    paths.update(complaint_paths(_op))
    paths.update(call_centre_paths(_op))
    paths.update(customer_paths(_op))
    paths.update(_AUDIT_PATHS)
    paths.update(_report_paths())
    paths.update(_WORK_QUEUE_PATHS)
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


class OpenApiResource:
    """GET /openapi.json."""

    public = True

    def __init__(self) -> None:
        self.document = build_openapi()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, self.document)
