"""GET /exports/{tickets,complaints,customers}: records for users, as CSV or JSON lines.

Not the audit archive (`kefu archive export`, docs/audit.md): the records as their lists show
them, for a spreadsheet or another tool. An export is its list (GET /tickets, /complaints,
/customers) read to the end: the same filters and sorts through the same query, so the same
caller's scope (`ListResource.pages`), page after page by the list's keyset cursor, each page
written out as it is read, so an export of any size holds one page in memory.

`?format=csv` (the default) has one column per field of the list's document, nested values as
JSON, and a UTF-8 byte-order mark for browsers (Excel) as the reports' CSV has (`?bom=0|1`);
`?format=jsonl` has one list item per line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.http.access_recording import PageRecording
from kefu.http.aggregates import VIEW_READERS
from kefu.http.complaints import complaint_list
from kefu.http.customers import customer_list
from kefu.http.listing import ListResource
from kefu.http.reports import UTF8_BOM, wants_bom
from kefu.http.routes import ApiApp, Operation
from kefu.http.tickets import ticket_list

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
OWN_PARAMS = ("format", "bom")


class ExportResource:
    """GET /exports/{kind}: every record of the list `listing` (an instance of its own) the
    query selects."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, kind: str, listing: ListResource, recording: PageRecording) -> None:
        self.kind = kind
        self.listing = listing
        self.recording = recording
        listing.own_params = frozenset(OWN_PARAMS)
        self.columns: tuple[str, ...] = listing.view.document.__struct_fields__

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        chosen = req.get_param("format") or "csv"
        if chosen not in FORMATS:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"format is one of: {', '.join(FORMATS)}"
            )
        bom = wants_bom(req) if chosen == "csv" else False
        # Each page goes on the access log as it is sent (a customer file, ticket, complaint).
        pages = self.recording.pages(req, self.kind.removesuffix("s"), self.listing.pages(req))
        resp.content_type = FORMATS[chosen]
        resp.downloadable_as = f"{self.kind}.{chosen}"
        resp.stream = _csv(self.columns, pages, bom) if chosen == "csv" else _jsonl(pages)


def _jsonl(pages: Iterable[list[Any]]) -> Iterator[bytes]:
    encoder = msgspec.json.Encoder()
    for items in pages:
        if items:
            yield b"".join(encoder.encode(item) + b"\n" for item in items)


def _csv(columns: Sequence[str], pages: Iterable[list[Any]], bom: bool) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    yield (UTF8_BOM if bom else b"") + _taken(out)
    for items in pages:
        writer.writerows([_cell(item.get(column)) for column in columns] for item in items)
        yield _taken(out)


def _taken(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return msgspec.json.encode(value).decode()
    return value


def add_export_routes(app: ApiApp, s: Services) -> None:
    for kind, listing in (
        ("tickets", ticket_list(s)),
        ("complaints", complaint_list(s)),
        ("customers", customer_list(s)),
    ):
        path = f"/exports/{kind}"
        parameters = (
            *listing.query_parameters(),
            {"name": "format", "in": "query", "schema": {"enum": list(FORMATS)}},
            {"name": "bom", "in": "query", "schema": {"enum": ["0", "1"]}},
        )
        summary = f"Export {kind} as CSV or JSON lines, with the filters of GET /{kind}"
        app.add_route(
            path,
            ExportResource(kind, listing, PageRecording(s.access_log, s.clock)),
            openapi={path: {"get": Operation(summary, parameters=parameters)}},
        )
