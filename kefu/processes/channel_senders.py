"""The senders behind the channels: email over SMTP, SMS through an HTTP gateway.

Credentials come from the settings (the environment), never from an event. Each sender
answers with the provider's own words, which the message records: the SMTP server's reply
to DATA, or the gateway's HTTP status and body.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from kefu.domain.message import Message

MAX_ANSWER_CHARS = 500


@dataclass(frozen=True)
class ProviderAnswer:
    """What the provider said; `permanent` failures are not retried (a refused address)."""

    ok: bool
    answer: str
    permanent: bool = False


class ChannelSender(Protocol):
    def send(self, message: Message) -> ProviderAnswer: ...


@dataclass(frozen=True)
class SmtpSettings:
    """Where and as whom to send email."""

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 30.0


class SmtpSender:
    """Email over SMTP (smtplib); the Message-ID is the message's id, so a resend after a
    crash can be recognised by the receiving side."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> ProviderAnswer:
        email = self._email(message)
        s = self.settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password)
                return self._transmit(smtp, email, message.address)
        except smtplib.SMTPResponseException as refused:
            return _refused(refused.smtp_code, refused.smtp_error)
        except (smtplib.SMTPException, OSError) as failure:
            return ProviderAnswer(False, f"{type(failure).__name__}: {failure}"[:MAX_ANSWER_CHARS])

    def _transmit(self, smtp: smtplib.SMTP, email: EmailMessage, to: str) -> ProviderAnswer:
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(self.settings.sender)
        if code >= 400:
            return _refused(code, reply)
        code, reply = smtp.rcpt(to)
        if code >= 400:
            return _refused(code, reply)
        code, reply = smtp.data(email.as_bytes())
        if code >= 400:
            return _refused(code, reply)
        return ProviderAnswer(True, f"{code} {reply.decode(errors='replace')}"[:MAX_ANSWER_CHARS])

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.id}@kefu>"
        if message.answers:  # the customer's mail it answers: their client threads it
            email["In-Reply-To"] = f"<{message.answers}>"
            email["References"] = f"<{message.answers}>"
        email.set_content(message.body)
        return email


def _refused(code: int, reply: bytes | str) -> ProviderAnswer:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    return ProviderAnswer(False, f"{code} {text}"[:MAX_ANSWER_CHARS], permanent=500 <= code < 600)


@dataclass(frozen=True)
class SmsGatewaySettings:
    """A generic HTTP SMS gateway: POST JSON {to, text, reference} with a bearer token."""

    url: str
    token: str = ""
    timeout: float = 30.0


class SmsGatewaySender:
    """SMS through an HTTP gateway; the message id is sent as the idempotency key, so a
    gateway that honours it sends a resent message once."""

    def __init__(self, settings: SmsGatewaySettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> ProviderAnswer:
        body = {"to": message.address, "text": message.body, "reference": str(message.id)}
        request = urllib.request.Request(
            self.settings.url,
            data=json.dumps(body, ensure_ascii=False).encode(),
            method="POST",
            headers=self._headers(message),
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                text = response.read(MAX_ANSWER_CHARS).decode(errors="replace")
                return ProviderAnswer(True, f"{response.status} {text}"[:MAX_ANSWER_CHARS])
        except urllib.error.HTTPError as answer:
            text = answer.read(MAX_ANSWER_CHARS).decode(errors="replace")
            permanent = 400 <= answer.code < 500 and answer.code not in (408, 429)
            return ProviderAnswer(False, f"{answer.code} {text}"[:MAX_ANSWER_CHARS], permanent)
        except (OSError, ValueError) as failure:
            return ProviderAnswer(False, f"{type(failure).__name__}: {failure}"[:MAX_ANSWER_CHARS])

    def _headers(self, message: Message) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": str(message.id),
        }
        if self.settings.token:
            headers["Authorization"] = f"Bearer {self.settings.token}"
        return headers


class Unconfigured:
    """A channel with no sender configured: every message on it fails, saying why."""

    def __init__(self, channel: str, setting: str) -> None:
        self.answer = f"no {channel} sender configured (set {setting})"

    def send(self, message: Message) -> ProviderAnswer:
        return ProviderAnswer(False, self.answer, permanent=True)
