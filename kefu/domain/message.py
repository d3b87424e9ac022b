"""A message to a person (SMS, email) as an event-sourced record: queued, sent, delivered or
failed with the provider's answer, or cancelled because the case changed first.

Its id follows from what caused it (rule, source, recipient), so the process that queues it
can never queue it twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed
from kefu.domain.metadata import EventMetadata

MESSAGE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:message")


class MessageStatus(StrEnum):
    """Queued (waiting, or retrying), sent (the provider accepted it), delivered, failed,
    cancelled; the last three are final."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.CANCELLED})


def message_id(key: str) -> UUID:
    """The message's id follows from its key: one key, one message."""
    return uuid5(MESSAGE_NAMESPACE, key)


class Message(Aggregate):
    """One message to one recipient on one channel, rendered when queued."""

    class Queued(Aggregate.Created):
        """Rendered from `template` in `language`; not sent before `due_at` (quiet hours
        already taken into account). `case` names what a later change cancels it by.
        `answers` is the Message-ID (without brackets) of the customer's email it answers,
        so their mail client threads it; "" for none (version 2; version 1 had none)."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["answers"] = ""

        key: str
        rule: str
        template: str
        channel: str
        language: str
        recipient_kind: str
        recipient_id: str
        address: str
        subject: str
        body: str
        due_at: datetime
        case: str
        meta: EventMetadata
        answers: str

    class Sent(Aggregate.Event):
        """The provider accepted it; `answer` is what it said (SMTP reply, gateway body)."""

        attempt: int
        answer: str
        meta: EventMetadata

    class Delivered(Aggregate.Event):
        answer: str
        meta: EventMetadata

    class Failed(Aggregate.Event):
        """An attempt failed; `retry_at` None means the message is given up (final)."""

        attempt: int
        answer: str
        retry_at: datetime | None
        meta: EventMetadata

    class Cancelled(Aggregate.Event):
        reason: str
        meta: EventMetadata

    @staticmethod
    def create_id(key: str) -> UUID:
        return message_id(key)

    @event(Queued)
    def __init__(
        self,
        key: str,
        rule: str,
        template: str,
        channel: str,
        language: str,
        recipient_kind: str,
        recipient_id: str,
        address: str,
        subject: str,
        body: str,
        due_at: datetime,
        case: str,
        meta: EventMetadata,
        timestamp: datetime,
        answers: str = "",
    ) -> None:
        self.channel = channel
        self.answers = answers
        self.address = address
        self.subject = subject
        self.body = body
        self.due_at = due_at
        self.case = case
        self.status = MessageStatus.QUEUED
        self.attempts = 0

    @property
    def allowed_now(self) -> tuple[str, ...]:
        if self.status is MessageStatus.SENT:
            return ("delivery-report",)
        return () if self.status in FINAL else ("cancel",)

    def is_due(self, now: datetime) -> bool:
        return self.status is MessageStatus.QUEUED and self.due_at <= now

    def record_sent(self, *, answer: str, meta: EventMetadata, at: datetime) -> None:
        self._check(MessageStatus.QUEUED, "send")
        self._sent(attempt=self.attempts + 1, answer=answer, meta=meta, timestamp=at)

    def record_failure(
        self, *, answer: str, retry_at: datetime | None, meta: EventMetadata, at: datetime
    ) -> None:
        """A failed attempt: retried at `retry_at`, or given up when it is None."""
        if self.status is not MessageStatus.SENT:
            self._check(MessageStatus.QUEUED, "fail")
        attempt = self.attempts + (self.status is MessageStatus.QUEUED)
        self._failed(attempt=attempt, answer=answer, retry_at=retry_at, meta=meta, timestamp=at)

    def record_delivered(self, *, answer: str, meta: EventMetadata, at: datetime) -> None:
        self._check(MessageStatus.SENT, "confirm delivery of")
        self._delivered(answer=answer, meta=meta, timestamp=at)

    def cancel(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """The case changed before the message went out: it will never be sent."""
        self._check(MessageStatus.QUEUED, "cancel")
        self._cancelled(reason=reason, meta=meta, timestamp=at)

    def _check(self, needed: MessageStatus, verb: str) -> None:
        if self.status is not needed:
            raise ActionNotAllowed(
                f"cannot {verb} a message that is {self.status}", self.allowed_now
            )

    @event(Sent)
    def _sent(self, attempt: int, answer: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.attempts = attempt
        self.status = MessageStatus.SENT

    @event(Delivered)
    def _delivered(self, answer: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = MessageStatus.DELIVERED

    @event(Failed)
    def _failed(
        self,
        attempt: int,
        answer: str,
        retry_at: datetime | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.attempts = attempt
        if retry_at is None:
            self.status = MessageStatus.FAILED
        else:
            self.status, self.due_at = MessageStatus.QUEUED, retry_at

    @event(Cancelled)
    def _cancelled(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = MessageStatus.CANCELLED
