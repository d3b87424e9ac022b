"""Commands on messages to people: the provider's delivery report, and cancelling one."""

from __future__ import annotations

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.base import Command, Note, Text
from kefu.commands.execution import CommandRunner
from kefu.commands.policies import Policies
from kefu.domain.message import Message
from kefu.domain.templates import CHANNELS, LANGUAGES


class ReportDelivery(Command, frozen=True):
    """The provider's delivery report (an SMS gateway's callback): delivered or failed."""

    delivered: bool
    answer: Note = ""


class CancelMessage(Command, frozen=True):
    reason: Text


class PreviewMessage(Command, frozen=True):
    """A template rendered with the fields given (a record's fields, by name)."""

    template: str
    channel: str
    language: str = "zh"
    fields: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.channel not in CHANNELS:
            raise msgspec.ValidationError(f"channel is one of {CHANNELS} - at `$.channel`")
        if self.language not in LANGUAGES:
            raise msgspec.ValidationError(f"language is one of {LANGUAGES} - at `$.language`")


def report_delivery(m: Message, c: ReportDelivery, e: Env) -> None:
    if c.delivered:
        m.record_delivered(answer=c.answer, meta=e.meta, at=e.at)
    else:
        m.record_failure(answer=c.answer, retry_at=None, meta=e.meta, at=e.at)


def cancel(m: Message, c: CancelMessage, e: Env) -> None:
    m.cancel(reason=c.reason, meta=e.meta, at=e.at)


MESSAGE_ACTIONS: ActionTable[Message] = {
    "delivery-report": action(ReportDelivery, report_delivery),
    "cancel": action(CancelMessage, cancel),
}


class MessageCommands(AggregateCommands[Message]):
    """The message write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Message, MESSAGE_ACTIONS)
