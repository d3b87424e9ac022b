"""Return visit (回访) commands and their handlers: load, call the verb, save."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.customers import find_customer
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.customer import Customer
from kefu.domain.errors import RuleViolated
from kefu.domain.visit import Visit, VisitAction

MANUAL_RULE = "manual"


class ScheduleVisit(Command, frozen=True):
    """Plan a visit by hand (the rules plan the usual ones)."""

    customer_id: UUID
    purpose: Text
    due_on: date
    assignee_id: Name | None = None


class AssignVisit(Command, frozen=True):
    agent_id: Name


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


def assign(v: Visit, c: AssignVisit, e: Env) -> None:
    v.assign(agent_id=c.agent_id, meta=e.meta, at=e.at)


def finish(v: Visit, c: FinishVisit, e: Env) -> None:
    v.finish(
        reached=c.reached,
        satisfaction=c.satisfaction,
        comment=c.comment,
        new_need=c.new_need,
        open_ticket=c.open_ticket,
        meta=e.meta,
        at=e.at,
    )


def reschedule(v: Visit, c: RescheduleVisit, e: Env) -> None:
    v.reschedule(due_on=c.due_on, reason=c.reason, zone=e.policies.timezone, meta=e.meta, at=e.at)


A = VisitAction

# `not-reached` is added per instance: it reads the customer's do-not-disturb hours.
VISIT_ACTIONS: ActionTable[Visit] = {
    A.ASSIGN.value: (AssignVisit, assign),
    A.DONE.value: (FinishVisit, finish),
    A.RESCHEDULE.value: (RescheduleVisit, reschedule),
}
COMMANDS: dict[str, type[Command]] = {
    **{action: command for action, (command, _) in VISIT_ACTIONS.items()},
    A.NOT_REACHED.value: NotReached,
}


class VisitCommands(AggregateCommands[Visit]):
    """The visit write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        actions: ActionTable[Visit] = {
            **VISIT_ACTIONS,
            A.NOT_REACHED.value: (NotReached, self._not_reached),
        }
        super().__init__(app, runner, policies, Visit, actions)

    def schedule(self, cmd: ScheduleVisit, ctx: Context) -> Outcome:
        customer = self._active_customer(cmd.customer_id)

        def make(e: Env) -> Visit:
            return Visit.schedule(
                task_key=f"{MANUAL_RULE}:{ctx.command_id}",
                customer_id=customer.id,
                rule=MANUAL_RULE,
                purpose=cmd.purpose,
                due_on=cmd.due_on,
                tier=customer.tier,
                assignee_id=cmd.assignee_id or customer.owner_id,
                policy=e.policies.visits,
                meta=e.meta,
                at=e.at,
            )

        return self.create(ctx, make)

    def _active_customer(self, customer_id: UUID) -> Customer:
        customer = find_customer(self.app, customer_id)
        if customer is None:
            raise msgspec.ValidationError(f"no customer {customer_id} - at `$.customer_id`")
        if customer.merged_into is not None:
            raise RuleViolated(f"customer {customer_id} was merged into {customer.merged_into}")
        return customer

    def _not_reached(self, v: Visit, c: NotReached, e: Env) -> None:
        customer = find_customer(self.app, v.customer_id)
        v.not_reached(
            note=c.note,
            quiet_hours=customer.quiet_hours if customer else (),
            policy=e.policies.visits,
            zone=e.policies.timezone,
            meta=e.meta,
            at=e.at,
        )
