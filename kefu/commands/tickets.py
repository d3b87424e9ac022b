"""Ticket (工单) commands: the Structs HTTP bodies decode into, and one handler per action.

A handler is handed the loaded ticket and calls its verb with the command's fields, the metadata
and the time in `env`. Loading at the expected version, idempotency and saving happen once for
all kinds, in `AggregateCommands` and `CommandRunner`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.collaboration import (
    CompleteNode,
    EscalateNode,
    OpenNode,
    OverrideNodes,
    complete_node,
    escalate_node,
    open_node,
    override_nodes,
)
from kefu.commands.context import Context
from kefu.commands.customers import find_customer
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import InDepartment, Names, Reference
from kefu.domain.agent import Agent
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer, Tier
from kefu.domain.deadlines import Priority
from kefu.domain.sla import Escalation
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketAction


class OpenTicket(Command, frozen=True):
    """受理: accept a new ticket."""

    channel: Channel
    category: Name
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
    description: Note = ""
    priority: Priority = Priority.NORMAL
    customer_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (Names("customer_id", Customer, self.customer_id),)


class ReviewTicket(Command, frozen=True):
    note: Note = ""


class DispatchTicket(Command, frozen=True):
    department: Name
    agent_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (
            InDepartment("department", self.department),
            Names("agent_id", Agent, self.agent_id),
        )


class RedispatchTicket(Command, frozen=True):
    department: Name
    reason: Text
    agent_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (
            InDepartment("department", self.department),
            Names("agent_id", Agent, self.agent_id),
        )


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


class AwaitCustomer(Command, frozen=True):
    """待客户回复: the agent waits for the customer; SLA clocks pause."""

    note: Note = ""


class RecordCustomerReply(Command, frozen=True):
    """The customer answered (by any channel): a waiting ticket resumes; an update is owed."""

    message: Note = ""


class EscalateTicket(Command, frozen=True):
    """逾期升级 by a person: raise the priority and/or hand the ticket to a supervisor group."""

    reason: Text
    level: Annotated[int, msgspec.Meta(ge=1, le=9)] = 1
    priority: Priority | None = None
    department: Name | None = None
    agent_id: Name | None = None


class SetPriority(Command, frozen=True):
    """Set the priority either way; the SLA policy follows."""

    priority: Priority
    reason: Note = ""


class SetCategory(Command, frozen=True):
    """Set the category; the SLA policy follows."""

    category: Name
    reason: Note = ""


class TagTicket(Command, frozen=True):
    """Add a tag to the ticket."""

    tag: Name


class CancelTicket(Command, frozen=True):
    """Withdraw a ticket opened by mistake; it is never counted as resolved."""

    reason: Text


class MarkDuplicate(Command, frozen=True):
    """The ticket repeats `original_id` (an existing ticket, not itself)."""

    original_id: UUID
    reason: Note = ""

    def references(self) -> Sequence[Reference]:
        return (Names("original_id", Ticket, self.original_id),)


def review(ticket: Ticket, command: ReviewTicket, env: Env) -> None:
    ticket.review(note=command.note, meta=env.meta, at=env.at)


def dispatch(ticket: Ticket, command: DispatchTicket, env: Env) -> None:
    ticket.dispatch(
        department=command.department, agent_id=_text(command.agent_id), meta=env.meta, at=env.at
    )


def redispatch(ticket: Ticket, command: RedispatchTicket, env: Env) -> None:
    ticket.redispatch(
        department=command.department,
        agent_id=_text(command.agent_id),
        reason=command.reason,
        meta=env.meta,
        at=env.at,
    )


def _text(record_id: UUID | None) -> str | None:
    """Events keep ids of other records as text, as they always have."""
    return None if record_id is None else str(record_id)


def urge(ticket: Ticket, command: UrgeTicket, env: Env) -> None:
    ticket.urge(urged_by=command.urged_by, reason=command.reason, meta=env.meta, at=env.at)


def follow_up(ticket: Ticket, command: FollowUpTicket, env: Env) -> None:
    ticket.follow_up(note=command.note, meta=env.meta, at=env.at)


def start(ticket: Ticket, command: StartTicket, env: Env) -> None:
    ticket.start(meta=env.meta, at=env.at)


def resolve(ticket: Ticket, command: ResolveTicket, env: Env) -> None:
    ticket.resolve(resolution=command.resolution, code=command.code, meta=env.meta, at=env.at)


def give_feedback(ticket: Ticket, command: GiveFeedback, env: Env) -> None:
    ticket.give_feedback(channel=command.channel, message=command.message, meta=env.meta, at=env.at)


def rate(ticket: Ticket, command: RateTicket, env: Env) -> None:
    ticket.rate(score=command.score, comment=command.comment, meta=env.meta, at=env.at)


def close(ticket: Ticket, command: CloseTicket, env: Env) -> None:
    ticket.close(meta=env.meta, at=env.at)


def reopen(ticket: Ticket, command: ReopenTicket, env: Env) -> None:
    ticket.reopen(reason=command.reason, policy=env.policies.deadlines, meta=env.meta, at=env.at)


def archive(ticket: Ticket, command: ArchiveTicket, env: Env) -> None:
    ticket.archive(meta=env.meta, at=env.at)


def await_customer(ticket: Ticket, command: AwaitCustomer, env: Env) -> None:
    ticket.await_customer(note=command.note, meta=env.meta, at=env.at)


def customer_reply(ticket: Ticket, command: RecordCustomerReply, env: Env) -> None:
    ticket.record_customer_reply(message=command.message, meta=env.meta, at=env.at)


def escalate(ticket: Ticket, command: EscalateTicket, env: Env) -> None:
    escalation = Escalation(
        level=command.level,
        reason=command.reason,
        priority=command.priority,
        department=command.department,
        agent_id=command.agent_id,
    )
    ticket.escalate(escalation=escalation, meta=env.meta, at=env.at)


def set_priority(ticket: Ticket, command: SetPriority, env: Env) -> None:
    ticket.set_priority(priority=command.priority, reason=command.reason, meta=env.meta, at=env.at)


def set_category(ticket: Ticket, command: SetCategory, env: Env) -> None:
    ticket.recategorise(category=command.category, reason=command.reason, meta=env.meta, at=env.at)


def tag(ticket: Ticket, command: TagTicket, env: Env) -> None:
    ticket.tag(tag=command.tag, meta=env.meta, at=env.at)


def cancel(ticket: Ticket, command: CancelTicket, env: Env) -> None:
    ticket.cancel(reason=command.reason, meta=env.meta, at=env.at)


def mark_duplicate(ticket: Ticket, command: MarkDuplicate, env: Env) -> None:
    ticket.mark_duplicate(
        original_id=str(command.original_id), reason=command.reason, meta=env.meta, at=env.at
    )


A = TicketAction

# Each action's command Struct (what the HTTP body decodes into) and its handler.
TICKET_ACTIONS: ActionTable[Ticket] = {
    A.REVIEW.value: action(ReviewTicket, review),
    A.DISPATCH.value: action(DispatchTicket, dispatch),
    A.REDISPATCH.value: action(RedispatchTicket, redispatch),
    A.URGE.value: action(UrgeTicket, urge),
    A.FOLLOW_UP.value: action(FollowUpTicket, follow_up),
    A.START.value: action(StartTicket, start),
    A.RESOLVE.value: action(ResolveTicket, resolve),
    A.FEEDBACK.value: action(GiveFeedback, give_feedback),
    A.RATE.value: action(RateTicket, rate),
    A.CLOSE.value: action(CloseTicket, close),
    A.REOPEN.value: action(ReopenTicket, reopen),
    A.ARCHIVE.value: action(ArchiveTicket, archive),
    A.AWAIT_CUSTOMER.value: action(AwaitCustomer, await_customer),
    A.CUSTOMER_REPLY.value: action(RecordCustomerReply, customer_reply),
    A.ESCALATE.value: action(EscalateTicket, escalate),
    A.SET_PRIORITY.value: action(SetPriority, set_priority),
    A.SET_CATEGORY.value: action(SetCategory, set_category),
    A.TAG.value: action(TagTicket, tag),
    A.CANCEL.value: action(CancelTicket, cancel),
    A.MARK_DUPLICATE.value: action(MarkDuplicate, mark_duplicate),
    A.OPEN_NODE.value: action(OpenNode, open_node),
    A.COMPLETE_NODE.value: action(CompleteNode, complete_node),
    A.ESCALATE_NODE.value: action(EscalateNode, escalate_node),
    A.OVERRIDE_NODES.value: action(OverrideNodes, override_nodes),
}


class TicketCommands(AggregateCommands[Ticket]):
    """The ticket write side used by the HTTP layer and the CLI."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Ticket, TICKET_ACTIONS)

    def open(self, command: OpenTicket, ctx: Context) -> Outcome:
        self.check(command)
        return self.create(ctx, lambda env: self.opened(command, env))

    def opened(self, command: OpenTicket, env: Env, record_id: UUID | None = None) -> Ticket:
        """The new ticket (unsaved), under the SLA policy its priority, category and customer
        select; `record_id` is an import's id for it (else a new one)."""
        tier = customer_tier(self.app, command.customer_id)
        return Ticket.open(
            channel=command.channel,
            customer_id=_text(command.customer_id),
            category=command.category,
            priority=command.priority,
            subject=command.subject,
            description=command.description,
            policy=env.policies.deadlines,
            meta=env.meta,
            at=env.at,
            sla=self.policies.sla.select(command.priority, command.category, tier),
            record_id=record_id,
        )


def customer_tier(app: ServiceDesk, customer_id: UUID | str | None) -> str:
    """The tier of the ticket's customer file; `none` without one (tickets opened before
    references were checked may name one by free text)."""
    try:
        key = customer_id if isinstance(customer_id, UUID) else UUID(customer_id or "")
    except ValueError:
        return str(Tier.NONE)
    customer = find_customer(app, key)
    return str(customer.tier) if customer else str(Tier.NONE)
