"""Intake over HTTP: what customers send, from the providers' adapters.

- `POST /intake/email`: a raw RFC 5322 message (for mail services that POST inbound mail); the
  body is the message itself, any content type (`message/rfc822` is usual).
- `POST /intake/{chat|sms|wechat}`: a normalised message (`InboundMessage`, JSON).

The answer says what became of it: `opened` (201, a new ticket), `joined` (its thread),
`duplicate` (taken in before: nothing changed) or `ignored` (a machine's mail: an auto-reply, a
bounce, a list).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.commands.chat_intake import CHAT_CHANNELS, ChatIntake, InboundMessage
from kefu.commands.intake import MailIntake, Received
from kefu.domain.channels import Channel
from kefu.http.aggregates import WRITERS
from kefu.http.requests import decode, read_body
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation

MAX_MAIL_BYTES = 30 * 1024 * 1024  # a mail with attachments; each file keeps its own limit


class IntakeAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    """`complaint_id` instead of `ticket_id` when a mail joined a complaint's thread."""

    outcome: str
    ticket_id: UUID | None
    reason: str
    complaint_id: UUID | None = None


class EmailIntakeResource:
    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, intake: MailIntake) -> None:
        self.intake = intake

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.content_length is not None and req.content_length > MAX_MAIL_BYTES:
            raise falcon.HTTPContentTooLarge(
                description=f"a mail is at most {MAX_MAIL_BYTES} bytes"
            )
        raw = req.bounded_stream.read(MAX_MAIL_BYTES + 1)
        if not raw.strip():
            raise falcon.HTTPBadRequest(title="Empty mail", description="the body is the mail")
        if len(raw) > MAX_MAIL_BYTES:
            raise falcon.HTTPContentTooLarge(
                description=f"a mail is at most {MAX_MAIL_BYTES} bytes"
            )
        _answer(resp, self.intake.receive(raw))


class MessageIntakeResource:
    """POST /intake/{channel}: one normalised message of a chat, SMS or WeChat adapter."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, intake: ChatIntake, channel: Channel) -> None:
        self.intake = intake
        self.channel = channel

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        message = decode(read_body(req), InboundMessage)
        _answer(resp, self.intake.receive(self.channel, message))


def _answer(resp: falcon.Response, received: Received) -> None:
    answer = IntakeAnswer(
        received.outcome, received.ticket_id, received.reason, received.complaint_id
    )
    write_json(resp, answer, 201 if received.outcome == "opened" else 200)


def add_intake_routes(app: ApiApp, mail: MailIntake, messages: ChatIntake) -> None:
    operation = Operation("Take in a raw email (RFC 5322)", answer=IntakeAnswer, status=201)
    app.add_route(
        "/intake/email",
        EmailIntakeResource(mail),
        openapi={"/intake/email": {"post": operation}},
    )
    for channel in CHAT_CHANNELS:
        path = f"/intake/{channel}"
        summary = f"Take in a {channel} message (normalised by its adapter)"
        taken = Operation(summary, InboundMessage, IntakeAnswer, 201)
        app.add_route(
            path, MessageIntakeResource(messages, channel), openapi={path: {"post": taken}}
        )
