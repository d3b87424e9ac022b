"""Sends the messages that are due and records what the provider answered.

The queue table says which messages may be due; the message itself (loaded from the log)
decides: only a queued message whose time has come is sent, so a cancellation or a send
recorded a moment ago is never overtaken by a stale row. A crash between sending and
recording sends that one message once more (email carries its id as Message-ID, the SMS
gateway gets it as Idempotency-Key).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import IntegrityError

from kefu.application import ServiceDesk
from kefu.commands.execution import Clock
from kefu.domain.backoff import Backoff
from kefu.domain.message import Message
from kefu.domain.metadata import EventMetadata
from kefu.processes.channel_senders import ChannelSender, ProviderAnswer, Unconfigured
from kefu.processes.outbox_ports import MessageQueue
from kefu.store.personal_fields import ERASED

log = logging.getLogger("kefu.messages")
SENDER_ACTOR = "message-sender"
ERASED_REASON = "the recipient's personal data was erased"
BATCH = 50
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:message-sender")


class MessageSender:
    """Sends due messages on their channel's sender, retrying with backoff."""

    def __init__(
        self,
        app: ServiceDesk,
        queue: MessageQueue,
        senders: Mapping[str, ChannelSender],
        backoff: Backoff,
        clock: Clock,
        random_unit: Callable[[], float] = random.random,
    ) -> None:
        self.app = app
        self.queue = queue
        self.senders = senders
        self.backoff = backoff
        self.clock = clock
        self.random_unit = random_unit

    def send_due(self) -> int:
        """Sends every message due now; returns how many attempts it made."""
        attempts = 0
        while due := self.queue.due(self.clock(), BATCH):
            made = sum(self._send(UUID(message_id)) for message_id in due)
            attempts += made
            if not made:
                break  # rows not yet caught up with their messages: the follower will
        return attempts

    def _send(self, message_id: UUID) -> bool:
        message: Message = self.app.repository.get(message_id)
        if not message.is_due(self.clock()):
            return False
        if message.address == ERASED:  # its recipient's personal data was erased meanwhile
            now = self.clock()
            message.cancel(reason=ERASED_REASON, meta=self._meta(message, "erased"), at=now)
        else:
            self._record(message, self._sender(message.channel).send(message))
        try:
            self.app.save(message)
        except IntegrityError:
            log.warning("message %s changed while it was sent (cancelled?)", message_id)
        return True

    def _sender(self, channel: str) -> ChannelSender:
        return self.senders.get(channel) or Unconfigured(channel, f"a sender for {channel}")

    def _record(self, message: Message, answer: ProviderAnswer) -> None:
        now = self.clock()
        meta = self._meta(message, now.isoformat())
        if answer.ok:
            message.record_sent(answer=answer.answer, meta=meta, at=now)
            return
        attempt = message.attempts + 1
        retry_at = None
        if not answer.permanent and not self.backoff.gives_up_after(attempt):
            retry_at = now + self.backoff.delay(attempt, self.random_unit())
        log.warning("message %s attempt %d failed: %s", message.id, attempt, answer.answer)
        message.record_failure(answer=answer.answer, retry_at=retry_at, meta=meta, at=now)

    def _meta(self, message: Message, attempt_key: str) -> EventMetadata:
        command_id = uuid5(_NAMESPACE, f"{message.id}:{attempt_key}")
        return EventMetadata(
            actor_id=SENDER_ACTOR,
            actor_role="process",
            command_id=command_id,
            correlation_id=command_id,
            causation_id=None,
            channel="process",
        )
