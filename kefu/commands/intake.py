"""Email intake: a raw message opens a ticket or joins the thread it answers, exactly once.

Threading, in order (the first that names a case, a ticket or a complaint, wins):
1. the ids it answers (In-Reply-To, then References newest first): a message the desk sent
   (`<message-id@kefu>`, the Message that carried a public reply names its case), or a mail
   the desk took in before (its Message-ID is the idempotency key it was saved under, whose
   answer names the case);
2. the case reference in the subject, `[#<ticket or complaint id>]`, which every reply's
   subject carries;
3. else a new ticket, for the customer file with the sender's address when exactly one has it.
A mail that joins an archived case opens a new ticket instead (an archived case takes nothing).

A machine's mail (an auto-reply, a bounce, a list) is recognised and never opens a ticket nor
gets an answer, so two autoresponders cannot loop through the desk.

Idempotent on the Message-ID: the mail is saved under the idempotency key
`email:<sha256 of the Message-ID>` of the intake's actor, in the same transaction as its
entry; a redelivered mail (the same Message-ID, however its transport headers differ) finds
the key answered and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner
from kefu.commands.inbound_mail import InboundMail, parse_mail
from kefu.commands.policies import Policies
from kefu.commands.thread import AttachmentInput, Case, PostEntry, ThreadCommands
from kefu.commands.tickets import customer_tier
from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.deadlines import Priority
from kefu.domain.errors import ActionNotAllowed
from kefu.domain.message import Message
from kefu.domain.metadata import EventMetadata
from kefu.domain.thread import EntryKind
from kefu.domain.ticket import Ticket
from kefu.store.attachments import AttachmentRefused

log = logging.getLogger("kefu.intake")
INTAKE_ACTOR = "intake:email"
INTAKE_CATEGORY = "email"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
OUR_MESSAGE_ID = re.compile(rf"^({_UUID})@kefu$", re.I)
CASE_IDS = re.compile(_UUID, re.I)
SUBJECT_REFERENCE = re.compile(rf"\[#({_UUID})\]", re.I)
MAX_SUBJECT = 200
MAX_DESCRIPTION = 10_000
_PRIORITY = Priority.NORMAL  # the rules and SLA policies raise it where they should


class SenderDirectory(Protocol):
    """The customer files (not merged away) that hold an email address."""

    def files_with_email(self, email: str) -> list[UUID]: ...


@dataclass(frozen=True)
class Received:
    """What became of a mail: `opened`, `joined`, `duplicate` (taken in before) or `ignored`
    (a machine's mail); the ticket or the complaint it went to, and why it was ignored."""

    outcome: str
    ticket_id: UUID | None = None
    reason: str = ""
    complaint_id: UUID | None = None


@dataclass(frozen=True)
class CaseRef:
    """A ticket or a complaint, by its kind and id."""

    kind: type[Case]
    id: UUID


class MailThreads:
    """Which case an inbound mail belongs to (the threading rules of the module)."""

    def __init__(self, app: ServiceDesk) -> None:
        self.app = app

    def case_for(self, mail: InboundMail) -> CaseRef | None:
        for answered in mail.answers:
            found = self._sent_by_us(answered) or self._taken_in(answered)
            if found is not None:
                return found
        match = SUBJECT_REFERENCE.search(mail.subject)
        return None if match is None else self._case(UUID(match.group(1)))

    def _case(self, record_id: UUID) -> CaseRef | None:
        for kind in (Ticket, Complaint):
            if self.app.exists(kind, record_id):
                return CaseRef(kind, record_id)
        return None

    def _sent_by_us(self, message_id: str) -> CaseRef | None:
        """The case a message the desk sent was about: a reply names its case, a notice
        (the ticket resolved, ...) names the ticket or the complaint in its case too."""
        match = OUR_MESSAGE_ID.match(message_id)
        if match is None or not self.app.exists(Message, UUID(match.group(1))):
            return None
        message: Message = self.app.repository.get(UUID(match.group(1)))
        for named in CASE_IDS.findall(message.case):
            if found := self._case(UUID(named)):
                return found
        return None

    def _taken_in(self, message_id: str) -> CaseRef | None:
        answer = self.app.answer_for(INTAKE_ACTOR, intake_key(message_id))
        if answer is None:
            return None
        return self._case(msgspec.json.decode(answer.body, type=_Answered).id)


class _Answered(msgspec.Struct):
    id: UUID


def intake_key(message_id: str) -> str:
    return "email:" + hashlib.sha256(message_id.encode()).hexdigest()


class MailIntake:
    """Takes raw mail in: parse, decide, save with the Message-ID as the idempotency key."""

    def __init__(
        self,
        app: ServiceDesk,
        runner: CommandRunner,
        policies: Policies,
        threads: ThreadCommands,
        senders: SenderDirectory,
    ) -> None:
        self.app = app
        self.runner = runner
        self.policies = policies
        self.threads = threads
        self.senders = senders
        self.threading = MailThreads(app)

    def receive(self, raw: bytes) -> Received:
        mail = parse_mail(raw)
        if mail.machine:
            log.info("intake: %s not taken in: %s", mail.message_id, mail.machine)
            return Received("ignored", reason=mail.machine)
        case = self.threading.case_for(mail)
        entry = self._entry(mail)
        ctx = _context(mail.message_id)
        if case is not None:
            try:
                outcome = self.threads.post(case.kind, case.id, entry, ctx)
            except ActionNotAllowed:
                record = self.app.load(case.kind, case.id, None)
                if record.status is not type(record.status).ARCHIVED:
                    raise
                log.info("intake: %s is archived; a new ticket is opened", case.id)
            else:
                word = "duplicate" if outcome.replayed else "joined"
                if case.kind is Complaint:
                    return Received(word, complaint_id=case.id)
                return Received(word, case.id)
        opened = self.runner.run_together(ctx, 201, lambda m, at: self._open(mail, entry, m, at))
        return Received("duplicate" if opened.replayed else "opened", opened.answer.id)

    def _entry(self, mail: InboundMail) -> PostEntry:
        files = []
        notes = []
        for file in mail.files:
            try:
                stored = self.threads.files.put(file.data)
            except AttachmentRefused as refused:
                notes.append(f"[{file.filename}: not kept, {refused}]")
                continue
            files.append(AttachmentInput(stored.sha256, file.filename[:255]))
        body = "\n\n".join([mail.text, *notes]).strip()
        return PostEntry(
            kind=EntryKind.CUSTOMER_MESSAGE,
            body=body[:100_000],
            html=mail.html[:100_000],
            attachments=tuple(files[:20]),
            channel=Channel.EMAIL,
            address=mail.sender[:320],
            subject=mail.subject[:300],
            external_id=mail.message_id[:998],
        )

    def _open(
        self, mail: InboundMail, entry: PostEntry, meta: EventMetadata, at: datetime
    ) -> Sequence[Aggregate]:
        customer = self._customer(mail.sender)
        sla = self.policies.sla.select(
            _PRIORITY, INTAKE_CATEGORY, customer_tier(self.app, customer)
        )
        ticket = Ticket.open(
            channel=Channel.EMAIL,
            customer_id=str(customer) if customer else None,
            category=INTAKE_CATEGORY,
            priority=_PRIORITY,
            subject=(mail.subject or mail.text[:60] or "(no subject)")[:MAX_SUBJECT],
            description=mail.text[:MAX_DESCRIPTION],
            policy=self.policies.deadlines,
            meta=meta,
            at=at,
            sla=sla,
        )
        attachments = self.threads.attachments(entry.attachments)
        return [ticket, *self.threads.apply(ticket, entry, attachments, meta, at)[1:]]

    def _customer(self, address: str) -> UUID | None:
        found = self.senders.files_with_email(address.casefold()) if address else []
        return found[0] if len(found) == 1 else None


def _context(message_id: str) -> Context:
    key = intake_key(message_id)
    return Context(
        actor_id=INTAKE_ACTOR,
        actor_role="service",
        command_id=uuid4(),
        correlation_id=uuid4(),
        channel="email",
        idempotency_key=key,
        request_fingerprint=key,
    )
