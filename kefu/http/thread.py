"""The threads of tickets and complaints, and their attachments.

- `GET /tickets/{id}/thread` (and `/complaints/{id}/thread`): the entries, oldest first, in
  cursor pages; `?audience=customer` leaves out internal notes (what a portal may show).
- `POST /tickets/{id}/thread`: post an entry (`PostEntry`); a public reply is sent.
- `POST /attachments`: upload a file (the raw bytes, `?filename=`) → its digest, size and type;
  an entry then names it by digest.
- `GET /tickets/{id}/attachments/{sha256}`: download a file the case's thread names, for the
  roles that may read the case.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.execution import Answer
from kefu.commands.thread import PostEntry, UnknownAttachment
from kefu.domain.complaint import Complaint
from kefu.domain.errors import NotFound
from kefu.domain.ticket import Ticket
from kefu.http.aggregates import HISTORY_READERS, VIEW_READERS, WRITERS
from kefu.http.problems import write_problem
from kefu.http.reading import ReadYourWrites
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json, write_outcome
from kefu.http.routes import ApiApp, Operation
from kefu.projections.thread_projection import ThreadEntry
from kefu.store.attachments import AttachmentRefused, AttachmentStore, StoredFile

# Whoever may read the case: its view (service, reporter) or its history (auditor).
THREAD_READERS = VIEW_READERS | HISTORY_READERS
AUDIENCES = ("agent", "customer")
_PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "audience", "in": "query", "schema": {"enum": list(AUDIENCES)}},
]


class Uploaded(msgspec.Struct, frozen=True):
    """A stored file: name it by `sha256` in an entry's attachments."""

    sha256: str
    size: int
    content_type: str


class ThreadResource:
    """GET and POST /{kind}/{id}/thread."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": THREAD_READERS, "POST": WRITERS}

    def __init__(self, s: Services, kind: type[Ticket | Complaint]) -> None:
        self.s = s
        self.kind = kind
        self.name = kind.__name__.lower()
        self.wait = ReadYourWrites(
            s.read_models.projection("thread_entries"),
            s.settings.read_wait_seconds,
            s.app.recorder.max_notification_id,
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        audience = req.get_param("audience", default="agent")
        if audience not in AUDIENCES:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description="audience is agent or customer"
            )
        limit = req.get_param_as_int("limit", min_value=1, max_value=500, default=50)
        self.wait(req)
        if not self.s.app.exists(self.kind, aggregate_id):
            raise NotFound(self.name, aggregate_id)
        entries, cursor = self.s.read_models.threads.thread(
            aggregate_id, limit, req.get_param("cursor"), customer_view=audience == "customer"
        )
        write_json(
            resp, {"items": [msgspec.to_builtins(e) for e in entries], "next_cursor": cursor}
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        body = read_body(req)
        command = decode(body, PostEntry)
        outcome = self.s.threads.post(self.kind, aggregate_id, command, command_context(req, body))
        write_outcome(resp, outcome)


class UploadResource:
    """POST /attachments: the request body is the file."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, files: AttachmentStore, max_bytes: int) -> None:
        self.files = files
        self.max_bytes = max_bytes

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.content_length is not None and req.content_length > self.max_bytes:
            raise falcon.HTTPContentTooLarge(
                description=f"an attachment is at most {self.max_bytes} bytes"
            )
        data = req.bounded_stream.read(self.max_bytes + 1)
        stored: StoredFile = self.files.put(data)
        write_json(resp, Uploaded(stored.sha256, stored.size, stored.content_type), 201)
        resp.set_header("Location", f"/attachments/{stored.sha256}")


class DownloadResource:
    """GET /{kind}/{id}/attachments/{sha256}: a file the case's thread names."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": THREAD_READERS}

    def __init__(self, s: Services, kind: type[Ticket | Complaint]) -> None:
        self.s = s
        self.name = kind.__name__.lower()

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID, sha256: str
    ) -> None:
        named = self.s.read_models.threads.attachment(aggregate_id, sha256)
        data = self.s.attachments.get(sha256) if named is not None else None
        if named is None or data is None:
            raise NotFound(f"attachment of {self.name} {aggregate_id}", sha256)
        resp.content_type = named.content_type
        resp.data = data
        resp.set_header("ETag", f'"{sha256}"')
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.downloadable_as = named.filename


def _refused(req: falcon.Request, resp: falcon.Response, ex: AttachmentRefused, _: Any) -> None:
    write_problem(resp, 422, "attachment-refused", "Attachment refused", str(ex))


def _unknown_file(
    req: falcon.Request, resp: falcon.Response, ex: UnknownAttachment, _: Any
) -> None:
    message = str(ex)
    errors = [{"field": "attachments", "message": message}]
    write_problem(resp, 422, "unknown-attachment", "Unknown attachment", message, errors=errors)


def add_thread_routes(app: ApiApp, s: Services) -> None:
    app.add_error_handler(AttachmentRefused, _refused)
    app.add_error_handler(UnknownAttachment, _unknown_file)
    for kind, prefix in ((Ticket, "/tickets"), (Complaint, "/complaints")):
        name = kind.__name__.lower()
        documented = f"{prefix}/{{{name}_id}}"
        thread = {
            "get": Operation(
                f"The {name}'s thread, oldest first", page_of=ThreadEntry, parameters=tuple(_PAGE)
            ),
            "post": Operation(f"Post to the {name}'s thread", PostEntry, Answer, 201),
        }
        app.add_route(
            f"{prefix}/{{aggregate_id:uuid}}/thread",
            ThreadResource(s, kind),
            openapi={f"{documented}/thread": thread},
        )
        download = Operation(f"A file the {name}'s thread names")
        app.add_route(
            f"{prefix}/{{aggregate_id:uuid}}/attachments/{{sha256}}",
            DownloadResource(s, kind),
            openapi={f"{documented}/attachments/{{sha256}}": {"get": download}},
        )
    upload = Operation("Upload a file (the body is the file)", answer=Uploaded, status=201)
    app.add_route(
        "/attachments",
        UploadResource(s.attachments, s.settings.attachment_max_bytes),
        openapi={"/attachments": {"post": upload}},
    )
