"""A real SMTP server for notification tests: aiosmtpd in this process, keeping every mail."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage, Message
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """Every message the SMTP server accepted, parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.mails.append((list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 queued as kefu-test"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [mail for rcpt, mail in self.mails if address in rcpt]

    def count(self) -> int:
        with self._lock:
            return len(self.mails)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A running SMTP server on 127.0.0.1 and its port."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def body_of(mail: Message) -> str:
    assert isinstance(mail, EmailMessage)
    content: str = mail.get_content()
    return content
