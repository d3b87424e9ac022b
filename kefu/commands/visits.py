"""Return visit (回访) commands: the Structs HTTP bodies decode into, and their handlers.

A handler is handed the loaded visit task and calls its verb with the command's fields, the
metadata and the time in `env`. Loading at the expected version, idempotency and saving happen
once for all kinds, in `AggregateCommands` and `CommandRunner`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.base import Command, Note, Text
from kefu.commands.context import Context
from kefu.commands.customers import find_customer
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import Names, Reference
from kefu.domain.agent import Agent
from kefu.domain.customer import Customer
from kefu.domain.errors import RuleViolated
from kefu.domain.visit import Visit, VisitAction

MANUAL_RULE = "manual"


class ScheduleVisit(Command, frozen=True):
    """Plan a visit by hand (the rules plan the usual ones)."""

    customer_id: UUID
    purpose: Text
    due_on: date
    assignee_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (Names("assignee_id", Agent, self.assignee_id),)


class AssignVisit(Command, frozen=True):
    agent_id: UUID

    def references(self) -> Sequence[Reference]:
        return (Names("agent_id", Agent, self.agent_id),)


class FinishVisit(Command, frozen=True):
    """The outcome in full; `open_ticket` opens a ticket for the new need."""

    reached: bool
    satisfaction: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    comment: Note = ""
    new_need: Note = ""
    open_ticket: bool = False


class NotReached(Command, frozen=True):
    note: Note = ""


class RescheduleVisit(Command, frozen=True):
    due_on: date
    reason: Text


def _text(agent_id: UUID | None) -> str | None:
    """Events keep ids of other records as text."""
    return None if agent_id is None else str(agent_id)


def assign(visit: Visit, command: AssignVisit, env: Env) -> None:
    visit.assign(agent_id=str(command.agent_id), meta=env.meta, at=env.at)


def finish(visit: Visit, command: FinishVisit, env: Env) -> None:
    visit.finish(
        reached=command.reached,
        satisfaction=command.satisfaction,
        comment=command.comment,
        new_need=command.new_need,
        open_ticket=command.open_ticket,
        meta=env.meta,
        at=env.at,
    )


def reschedule(visit: Visit, command: RescheduleVisit, env: Env) -> None:
    visit.reschedule(
        due_on=command.due_on,
        reason=command.reason,
        zone=env.policies.timezone,
        meta=env.meta,
        at=env.at,
    )


A = VisitAction

# `not-reached` is added per instance: it reads the customer's do-not-disturb hours.
VISIT_ACTIONS: ActionTable[Visit] = {
    A.ASSIGN.value: action(AssignVisit, assign),
    A.DONE.value: action(FinishVisit, finish),
    A.RESCHEDULE.value: action(RescheduleVisit, reschedule),
}


class VisitCommands(AggregateCommands[Visit]):
    """The visit write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        actions: ActionTable[Visit] = {
            **VISIT_ACTIONS,
            A.NOT_REACHED.value: action(NotReached, self._not_reached),
        }
        super().__init__(app, runner, policies, Visit, actions)

    def schedule(self, command: ScheduleVisit, ctx: Context) -> Outcome:
        self.check(command)
        customer = self._active_customer(command.customer_id)

        def make(env: Env) -> Visit:
            return Visit.schedule(
                task_key=f"{MANUAL_RULE}:{ctx.command_id}",
                customer_id=customer.id,
                rule=MANUAL_RULE,
                purpose=command.purpose,
                due_on=command.due_on,
                tier=customer.tier,
                assignee_id=_text(command.assignee_id) or customer.owner_id,
                policy=env.policies.visits,
                meta=env.meta,
                at=env.at,
            )

        return self.create(ctx, make)

    def _active_customer(self, customer_id: UUID) -> Customer:
        customer = find_customer(self.app, customer_id)
        if customer is None:
            raise msgspec.ValidationError(f"no customer {customer_id} - at `$.customer_id`")
        if customer.merged_into is not None:
            raise RuleViolated(f"customer {customer_id} was merged into {customer.merged_into}")
        return customer

    def _not_reached(self, visit: Visit, command: NotReached, env: Env) -> None:
        customer = find_customer(self.app, visit.customer_id)
        visit.not_reached(
            note=command.note,
            quiet_hours=customer.quiet_hours if customer else (),
            policy=env.policies.visits,
            zone=env.policies.timezone,
            meta=env.meta,
            at=env.at,
        )
