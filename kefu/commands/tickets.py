"""Ticket (工单) commands and their handlers: load, call the verb, save."""

from __future__ import annotations

from typing import Annotated

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.channels import Channel
from kefu.domain.deadlines import Priority
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketAction


class OpenTicket(Command, frozen=True):
    """受理: accept a new ticket."""

    channel: Channel
    category: Name
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
    description: Note = ""
    priority: Priority = Priority.NORMAL
    customer_id: Name | None = None


class ReviewTicket(Command, frozen=True):
    note: Note = ""


class DispatchTicket(Command, frozen=True):
    department: Name
    agent_id: Name | None = None


class RedispatchTicket(Command, frozen=True):
    department: Name
    reason: Text
    agent_id: Name | None = None


class UrgeTicket(Command, frozen=True):
    urged_by: Name
    reason: Text


class FollowUpTicket(Command, frozen=True):
    note: Text


class StartTicket(Command, frozen=True):
    pass


class ResolveTicket(Command, frozen=True):
    resolution: Text
    code: Name


class GiveFeedback(Command, frozen=True):
    channel: Channel
    message: Note = ""


class RateTicket(Command, frozen=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Note = ""


class CloseTicket(Command, frozen=True):
    pass


class ReopenTicket(Command, frozen=True):
    reason: Text


class ArchiveTicket(Command, frozen=True):
    pass


def review(t: Ticket, c: ReviewTicket, e: Env) -> None:
    t.review(note=c.note, meta=e.meta, at=e.at)


def dispatch(t: Ticket, c: DispatchTicket, e: Env) -> None:
    t.dispatch(department=c.department, agent_id=c.agent_id, meta=e.meta, at=e.at)


def redispatch(t: Ticket, c: RedispatchTicket, e: Env) -> None:
    t.redispatch(
        department=c.department, agent_id=c.agent_id, reason=c.reason, meta=e.meta, at=e.at
    )


def urge(t: Ticket, c: UrgeTicket, e: Env) -> None:
    t.urge(urged_by=c.urged_by, reason=c.reason, meta=e.meta, at=e.at)


def follow_up(t: Ticket, c: FollowUpTicket, e: Env) -> None:
    t.follow_up(note=c.note, meta=e.meta, at=e.at)


def start(t: Ticket, c: StartTicket, e: Env) -> None:
    t.start(meta=e.meta, at=e.at)


def resolve(t: Ticket, c: ResolveTicket, e: Env) -> None:
    t.resolve(resolution=c.resolution, code=c.code, meta=e.meta, at=e.at)


def give_feedback(t: Ticket, c: GiveFeedback, e: Env) -> None:
    t.give_feedback(channel=c.channel, message=c.message, meta=e.meta, at=e.at)


def rate(t: Ticket, c: RateTicket, e: Env) -> None:
    t.rate(score=c.score, comment=c.comment, meta=e.meta, at=e.at)


def close(t: Ticket, c: CloseTicket, e: Env) -> None:
    t.close(meta=e.meta, at=e.at)


def reopen(t: Ticket, c: ReopenTicket, e: Env) -> None:
    t.reopen(reason=c.reason, policy=e.policies.deadlines, meta=e.meta, at=e.at)


def archive(t: Ticket, c: ArchiveTicket, e: Env) -> None:
    t.archive(meta=e.meta, at=e.at)


A = TicketAction

# Each action's command Struct (what the HTTP body decodes into) and its handler.
TICKET_ACTIONS: ActionTable[Ticket] = {
    A.REVIEW.value: (ReviewTicket, review),
    A.DISPATCH.value: (DispatchTicket, dispatch),
    A.REDISPATCH.value: (RedispatchTicket, redispatch),
    A.URGE.value: (UrgeTicket, urge),
    A.FOLLOW_UP.value: (FollowUpTicket, follow_up),
    A.START.value: (StartTicket, start),
    A.RESOLVE.value: (ResolveTicket, resolve),
    A.FEEDBACK.value: (GiveFeedback, give_feedback),
    A.RATE.value: (RateTicket, rate),
    A.CLOSE.value: (CloseTicket, close),
    A.REOPEN.value: (ReopenTicket, reopen),
    A.ARCHIVE.value: (ArchiveTicket, archive),
}


class TicketCommands(AggregateCommands[Ticket]):
    """The ticket write side used by the HTTP layer and the CLI."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Ticket, TICKET_ACTIONS)

    def open(self, cmd: OpenTicket, ctx: Context) -> Outcome:
        def make(e: Env) -> Ticket:
            return Ticket.open(
                channel=cmd.channel,
                customer_id=cmd.customer_id,
                category=cmd.category,
                priority=cmd.priority,
                subject=cmd.subject,
                description=cmd.description,
                policy=e.policies.deadlines,
                meta=e.meta,
                at=e.at,
            )

        return self.create(ctx, make)
