"""GET /events: the public event stream for pull consumers, with long-polling."""

from __future__ import annotations

from typing import ClassVar

import falcon

from kefu.auth import Role
from kefu.domain.event_kinds import UnknownKind
from kefu.http.responses import write_json
from kefu.projections.event_stream import EventStream

STREAM_READERS = frozenset({Role.SERVICE})
KNOWN_PARAMS = frozenset({"after", "kinds", "aggregate_kinds", "limit", "wait"})


class EventStreamResource:
    """`?after=<position>&kinds=A,B&aggregate_kinds=x&limit=100&wait=<seconds>`.

    Answers at once when events are there; otherwise waits up to `wait` seconds (bounded by
    KEFU_EVENTS_MAX_WAIT_SECONDS) for the first matching one.
    """

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": STREAM_READERS}

    def __init__(self, stream: EventStream, max_wait_seconds: float) -> None:
        self.stream = stream
        self.max_wait_seconds = max_wait_seconds

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        unknown = set(req.params) - KNOWN_PARAMS
        if unknown:
            raise _bad(f"unknown: {', '.join(sorted(unknown))}; known: {', '.join(KNOWN_PARAMS)}")
        after = req.get_param_as_int("after", min_value=0, default=0)
        limit = req.get_param_as_int("limit", min_value=1, max_value=1000, default=100)
        wait = req.get_param_as_float("wait", min_value=0, default=0.0)
        if wait > self.max_wait_seconds:
            raise _bad(f"wait is at most {self.max_wait_seconds:g} seconds")
        try:
            page = self.stream.read(
                after, _list(req, "kinds"), _list(req, "aggregate_kinds"), limit, wait
            )
        except UnknownKind as e:
            raise _bad(str(e)) from None
        write_json(resp, {"events": page.events, "next_after": page.next_after})


def _list(req: falcon.Request, name: str) -> list[str]:
    text = req.get_param(name) or ""
    return [part.strip() for part in text.split(",") if part.strip()]


def _bad(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad query parameter", description=description)
