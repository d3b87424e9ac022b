"""Reads of personal data over HTTP go on record (the access log, docs/audit.md).

A middleware looks at every successful GET of a route that answers customer files, customer
timelines, tickets or complaints (and their lists and histories): for each record in the answer
that holds a personal field, one access entry (who, as which role, which record, which route,
which personal fields, when) goes to the process's access recorder, which writes them in
sealed batches off the request's path. A list is one entry naming every record it returned
that held personal data, with the union of their fields. `/audit/*` reads are not recorded
here: each is an AuditAccess event in the log already (GET /audit/reads). An export streams
its answer, so it records each page as it sends it (`PageRecording`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import falcon
import msgspec

from kefu.audit.access_recorder import AccessRecorder
from kefu.audit.access_tables import AccessEntry
from kefu.auth import Caller
from kefu.bootstrap import Services
from kefu.store.times import db_time

# The fields that identify or describe a person, by their names in the answers (the views'
# documents and thread entries): what kefu/domain/personal_data.py seals in the events, as the
# read models show it.
PERSONAL_FIELDS = frozenset(
    {
        "name", "phones", "merged_phones", "email", "address", "birthday",  # customer files
        "channel_ids", "preferences",
        "subject", "description", "rating_comment",  # tickets (what customers wrote)
        "expectation", "contact", "satisfaction_comment",  # complaints
        "body", "html",  # thread entries (with their `address` and `subject`)
        "title",  # timeline entries
    }
)  # fmt: skip

ONE, LIST, SEARCH = "one", "list", "search"
_ITEM = "{aggregate_id:uuid}"
# Route template → (record kind, whether the answer is one record or a list of them).
RECORDED_ROUTES: dict[str, tuple[str, str]] = {
    "/customers": ("customer", LIST),
    f"/customers/{_ITEM}": ("customer", ONE),
    f"/customers/{_ITEM}/history": ("customer-history", ONE),
    f"/customers/{_ITEM}/timeline": ("customer-timeline", ONE),
    f"/customers/{_ITEM}/duplicates": ("customer", LIST),
    f"/customers/{_ITEM}/personal-data": ("customer-personal-data", ONE),
    "/tickets": ("ticket", LIST),
    f"/tickets/{_ITEM}": ("ticket", ONE),
    f"/tickets/{_ITEM}/history": ("ticket-history", ONE),
    f"/tickets/{_ITEM}/thread": ("ticket-thread", ONE),
    "/complaints": ("complaint", LIST),
    f"/complaints/{_ITEM}": ("complaint", ONE),
    f"/complaints/{_ITEM}/history": ("complaint-history", ONE),
    f"/complaints/{_ITEM}/thread": ("complaint-thread", ONE),
    "/search": ("search", SEARCH),
}
# Search hits of these kinds show a snippet of the record's text (articles are not personal).
_PERSONAL_HITS = frozenset({"customer", "ticket", "complaint"})


def personal_fields(value: Any) -> set[str]:
    """The personal fields with a value anywhere in a decoded JSON answer."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if key in PERSONAL_FIELDS and inner not in (None, "", [], {}):
                    found.add(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _records(shape: str, req: falcon.Request, body: Any) -> Iterator[tuple[str, set[str]]]:
    """(record id, its personal fields) for every record the answer holds."""
    if shape == ONE:
        yield str(req.context.get("record_id")), personal_fields(body)
        return
    if shape == SEARCH:
        for hit in body.get("items", []):
            if hit.get("kind") in _PERSONAL_HITS and hit.get("snippet"):
                yield str(hit["id"]), {"snippet"}
        return
    for item in body.get("items", []) if isinstance(body, dict) else []:
        record = item.get("customer", item) if isinstance(item, dict) else None
        if isinstance(record, dict) and "id" in record:
            # A list's rows are flat documents: their own keys are enough (and cheap).
            yield str(record["id"]), {k for k, v in record.items() if k in PERSONAL_FIELDS and v}


class AccessRecordingMiddleware:
    """Sends an access entry per record read to the process's access recorder."""

    def __init__(self, recorder: AccessRecorder, clock: Callable[[], datetime]) -> None:
        self.recorder = recorder
        self.clock = clock

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        if "aggregate_id" in params:
            req.context.record_id = params["aggregate_id"]

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        recorded = RECORDED_ROUTES.get(req.uri_template or "")
        caller = req.context.get("caller")
        if recorded is None or req.method != "GET" or not req_succeeded or caller is None:
            return
        if resp.status_code != 200 or not isinstance(resp.data, bytes):
            return
        kind, shape = recorded
        body = msgspec.json.decode(resp.data)
        record_read(self.recorder, self.clock(), caller, kind, req, _records(shape, req, body))


def record_read(
    recorder: AccessRecorder,
    now: datetime,
    caller: Caller,
    kind: str,
    req: falcon.Request,
    records: Iterable[tuple[str, set[str]]],
) -> None:
    """One entry naming every record read that held a personal field (none: nothing)."""
    ids: list[str] = []
    seen: set[str] = set()
    for record_id, fields in records:
        if fields:
            ids.append(record_id)
            seen |= fields
    if not ids:
        return
    at = db_time(now)
    assert at is not None
    entry = AccessEntry(
        at=at,
        actor_id=caller.actor_id,
        actor_role=str(caller.role),
        kind=kind,
        records=AccessEntry.joined(ids),
        route=req.uri_template or "",
        fields=",".join(sorted(seen)),
    )
    recorder.record([entry])


@dataclass(frozen=True)
class PageRecording:
    """The reads of an answer streamed page by page (the exports): an entry per page sent,
    like a list's, recorded as the page leaves."""

    recorder: AccessRecorder
    clock: Callable[[], datetime]

    def pages(
        self, req: falcon.Request, kind: str, pages: Iterable[list[Any]]
    ) -> Iterator[list[Any]]:
        caller: Caller | None = req.context.get("caller")
        for items in pages:
            if caller is not None:
                read = _records(LIST, req, {"items": items})
                record_read(self.recorder, self.clock(), caller, kind, req, read)
            yield items


def add_access_recording(app: falcon.App[falcon.Request, falcon.Response], s: Services) -> None:
    app.add_middleware(AccessRecordingMiddleware(s.access_log, s.clock))
