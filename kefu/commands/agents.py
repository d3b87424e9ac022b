"""Agent (坐席) commands and their handlers: register, presence and skills."""

from __future__ import annotations

from typing import Annotated

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Name, Note
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import AgentAction

# A skill group (queue) name: no spaces or separators, so lists and filters stay unambiguous.
Group = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[\w.-]+$")]
Groups = Annotated[tuple[Group, ...], msgspec.Meta(max_length=50)]
Extension = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[0-9*#+]+$")]
Order = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class RegisterAgent(Command, frozen=True):
    """Register an agent: name, extension, skill groups and round-robin order."""

    name: Name
    extension: Extension
    skill_groups: Groups = ()
    order: Order = 0


class ChangeSkills(Command, frozen=True):
    skill_groups: Groups
    order: Order | None = None


class LogIn(Command, frozen=True):
    pass


class BecomeAvailable(Command, frozen=True):
    pass


class GoOnBreak(Command, frozen=True):
    reason: Note = ""


class LogOut(Command, frozen=True):
    pass


def change_skills(a: Agent, c: ChangeSkills, e: Env) -> None:
    order = a.order if c.order is None else c.order
    a.change_skills(skill_groups=c.skill_groups, order=order, meta=e.meta, at=e.at)


def log_in(a: Agent, c: LogIn, e: Env) -> None:
    a.log_in(meta=e.meta, at=e.at)


def become_available(a: Agent, c: BecomeAvailable, e: Env) -> None:
    a.become_available(meta=e.meta, at=e.at)


def go_on_break(a: Agent, c: GoOnBreak, e: Env) -> None:
    a.go_on_break(reason=c.reason, meta=e.meta, at=e.at)


def log_out(a: Agent, c: LogOut, e: Env) -> None:
    a.log_out(meta=e.meta, at=e.at)


A = AgentAction

# Presence actions only: calls change an agent through the call commands (kefu.commands.calls).
AGENT_ACTIONS: ActionTable[Agent] = {
    A.LOGIN.value: (LogIn, log_in),
    A.AVAILABLE.value: (BecomeAvailable, become_available),
    A.BREAK.value: (GoOnBreak, go_on_break),
    A.LOGOUT.value: (LogOut, log_out),
    A.SKILLS.value: (ChangeSkills, change_skills),
}


class AgentCommands(AggregateCommands[Agent]):
    """The agent write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Agent, AGENT_ACTIONS)

    def register(self, cmd: RegisterAgent, ctx: Context) -> Outcome:
        def make(e: Env) -> Agent:
            return Agent.register(
                name=cmd.name,
                extension=cmd.extension,
                skill_groups=cmd.skill_groups,
                order=cmd.order,
                meta=e.meta,
                at=e.at,
            )

        return self.create(ctx, make)
