"""Writing JSON answers with msgspec."""

from __future__ import annotations

from typing import Any

import falcon
import msgspec

from kefu.commands.execution import Outcome

_encoder = msgspec.json.Encoder()


def write_json(resp: falcon.Response, body: Any, status: int = 200) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = _encoder.encode(body)


def write_outcome(resp: falcon.Response, outcome: Outcome, location: str | None = None) -> None:
    """A command's answer: status, ETag with the new version, Location for a creation."""
    write_json(resp, outcome.answer, outcome.status_code)
    resp.set_header("ETag", f'"{outcome.answer.version}"')
    if location is not None:
        resp.set_header("Location", location)
    if outcome.replayed:
        resp.set_header("Idempotent-Replayed", "true")
