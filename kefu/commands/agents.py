"""Agent (坐席) commands and their handlers: register, presence and skills."""

from __future__ import annotations

from typing import Annotated

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
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
Tier = Annotated[int, msgspec.Meta(ge=1, le=9)]


class RegisterAgent(Command, frozen=True):
    """Register an agent: name, extension, skill groups and round-robin order."""

    name: Name
    extension: Extension
    skill_groups: Groups = ()
    order: Order = 0


class ChangeSkills(Command, frozen=True):
    skill_groups: Groups
    order: Order | None = None


class SetTiers(Command, frozen=True):
    """Tiers (levels) in queues: `{"vip": 1, "sales": 2}`; tier 1 rings before tier 2."""

    tiers: Annotated[dict[Group, Tier], msgspec.Meta(max_length=50)]


class LogIn(Command, frozen=True):
    pass


class BecomeAvailable(Command, frozen=True):
    pass


class GoOnBreak(Command, frozen=True):
    reason: Note = ""


class LogOut(Command, frozen=True):
    pass


def change_skills(agent: Agent, command: ChangeSkills, env: Env) -> None:
    order = agent.order if command.order is None else command.order
    agent.change_skills(skill_groups=command.skill_groups, order=order, meta=env.meta, at=env.at)


def set_tiers(agent: Agent, command: SetTiers, env: Env) -> None:
    agent.set_tiers(tiers={**agent.tiers, **command.tiers}, meta=env.meta, at=env.at)


def log_in(agent: Agent, command: LogIn, env: Env) -> None:
    agent.log_in(meta=env.meta, at=env.at)


def become_available(agent: Agent, command: BecomeAvailable, env: Env) -> None:
    agent.become_available(meta=env.meta, at=env.at)


def go_on_break(agent: Agent, command: GoOnBreak, env: Env) -> None:
    agent.go_on_break(reason=command.reason, meta=env.meta, at=env.at)


def log_out(agent: Agent, command: LogOut, env: Env) -> None:
    agent.log_out(meta=env.meta, at=env.at)


A = AgentAction

# Presence actions only: calls change an agent through the call commands (kefu.commands.calls).
AGENT_ACTIONS: ActionTable[Agent] = {
    A.LOGIN.value: action(LogIn, log_in),
    A.AVAILABLE.value: action(BecomeAvailable, become_available),
    A.BREAK.value: action(GoOnBreak, go_on_break),
    A.LOGOUT.value: action(LogOut, log_out),
    A.SKILLS.value: action(ChangeSkills, change_skills),
    "tiers": action(SetTiers, set_tiers),
}


class AgentCommands(AggregateCommands[Agent]):
    """The agent write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Agent, AGENT_ACTIONS)

    def register(self, command: RegisterAgent, ctx: Context) -> Outcome:
        def make(env: Env) -> Agent:
            return Agent.register(
                name=command.name,
                extension=command.extension,
                skill_groups=command.skill_groups,
                order=command.order,
                meta=env.meta,
                at=env.at,
            )

        return self.create(ctx, make)
