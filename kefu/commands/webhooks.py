"""Webhook subscription commands (admin) and their handlers: load, call the verb, save."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.base import Command, Note, Text
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.event_kinds import UnknownKind, check_kinds
from kefu.domain.subscription import Subscription, SubscriptionAction

Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
Kind = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Kinds = Annotated[tuple[Kind, ...], msgspec.Meta(max_length=200)]


class _Target(Command, frozen=True):
    """Where to send and which events: event kinds (`Complaint.Registered`) or aggregate
    kinds (`complaint`); at least one of either."""

    url: Url
    event_kinds: Kinds = ()
    aggregate_kinds: Kinds = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.event_kinds and not self.aggregate_kinds:
            raise msgspec.ValidationError("name at least one kind - at `$.event_kinds`")
        try:
            check_kinds(self.event_kinds, self.aggregate_kinds)
        except UnknownKind as e:
            raise msgspec.ValidationError(f"{e} - at `$.event_kinds`") from None


class RegisterWebhook(_Target, frozen=True):
    """Subscribe a receiver; its secret is read once from GET /webhooks/{id}/secret."""

    description: Note = ""


class ChangeWebhook(_Target, frozen=True):
    pass


class PauseWebhook(Command, frozen=True):
    reason: Text


class ResumeWebhook(Command, frozen=True):
    pass


class RotateWebhookSecret(Command, frozen=True):
    pass


class RedeliverWebhook(Command, frozen=True):
    """The events to send again; none named means every dead-lettered delivery."""

    event_ids: Annotated[tuple[UUID, ...], msgspec.Meta(max_length=1000)] = ()


def change(s: Subscription, c: ChangeWebhook, e: Env) -> None:
    s.change(
        url=c.url,
        event_kinds=c.event_kinds,
        aggregate_kinds=c.aggregate_kinds,
        meta=e.meta,
        at=e.at,
    )


def pause(s: Subscription, c: PauseWebhook, e: Env) -> None:
    s.pause(reason=c.reason, meta=e.meta, at=e.at)


def resume(s: Subscription, c: ResumeWebhook, e: Env) -> None:
    s.resume(meta=e.meta, at=e.at)


def rotate(s: Subscription, c: RotateWebhookSecret, e: Env) -> None:
    s.rotate_secret(meta=e.meta, at=e.at)


def redeliver(s: Subscription, c: RedeliverWebhook, e: Env) -> None:
    s.request_redelivery(event_ids=c.event_ids, meta=e.meta, at=e.at)


A = SubscriptionAction
WEBHOOK_ACTIONS: ActionTable[Subscription] = {
    A.CHANGE.value: action(ChangeWebhook, change),
    A.PAUSE.value: action(PauseWebhook, pause),
    A.RESUME.value: action(ResumeWebhook, resume),
    A.ROTATE_SECRET.value: action(RotateWebhookSecret, rotate),
    A.REDELIVER.value: action(RedeliverWebhook, redeliver),
}


class WebhookCommands(AggregateCommands[Subscription]):
    """The subscription write side used by the HTTP layer and `kefu outbox redeliver`."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Subscription, WEBHOOK_ACTIONS)

    def register(self, cmd: RegisterWebhook, ctx: Context) -> Outcome:
        def make(e: Env) -> Subscription:
            return Subscription.register(
                url=cmd.url,
                event_kinds=cmd.event_kinds,
                aggregate_kinds=cmd.aggregate_kinds,
                description=cmd.description,
                meta=e.meta,
                at=e.at,
            )

        return self.create(ctx, make)
