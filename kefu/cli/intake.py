"""`kefu intake smtp`: an SMTP (or LMTP) listener that a mail server relays customers' mail to.

Each message is taken in (kefu/commands/intake.py) before the server answers DATA: a 250
means the mail is in the log (a ticket opened, a thread joined, or recognised as taken in
before); a failure answers 451, so the relaying server keeps the mail and tries again later,
and the Message-ID makes that retry harmless. A machine's mail is accepted and dropped (250),
so the sender's server neither retries nor bounces it back. With KEFU_INTAKE_ADDRESS set,
recipients other than that address are refused (550) at RCPT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from kefu.commands.intake import MailIntake

log = logging.getLogger("kefu.intake")
MAX_MAIL_BYTES = 30 * 1024 * 1024


class IntakeHandler:
    """aiosmtpd's handler: RCPT checks the address, DATA takes the mail in."""

    def __init__(self, intake: MailIntake, address: str = "") -> None:
        self.intake = intake
        self.address = address.strip().lower()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.address and address.strip().lower() != self.address:
            return f"550 5.1.1 {address}: this server takes mail for {self.address} only"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        data = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
        try:
            received = await asyncio.to_thread(self.intake.receive, data)
        except Exception:
            log.exception("intake: a mail could not be taken in; the sender will retry")
            return "451 4.3.0 not taken in now; try again later"
        case = received.ticket_id or received.complaint_id
        return f"250 2.0.0 {received.outcome}" + (f" {case}" if case else "")


class _LmtpController(Controller):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def listen(
    intake: MailIntake, host: str, port: int, lmtp: bool = False, address: str = ""
) -> Controller:
    """A started listener on host:port (stop it with `.stop()`)."""
    kind = _LmtpController if lmtp else Controller
    controller = kind(
        IntakeHandler(intake, address),
        hostname=host,
        port=port,
        data_size_limit=MAX_MAIL_BYTES,
    )
    controller.start()
    return controller


def run(intake: MailIntake, host: str, port: int, lmtp: bool, address: str) -> int:
    """Listens until SIGINT or SIGTERM."""
    controller = listen(intake, host, port, lmtp, address)
    protocol = "LMTP" if lmtp else "SMTP"
    print(f"kefu intake smtp: {protocol} on {host}:{port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        controller.stop()
    return 0
