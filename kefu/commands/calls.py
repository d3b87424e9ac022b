"""Call (通话) commands: a call's actions, and the agents each one rings, connects or frees.

Actions that touch agents (`route`, `offer`, `miss`, `answer`, `transfer`, `transfer-out`,
`end`, and dialling out) save the call and those agents in one transaction, so a call and an
agent never disagree, and two calls never book one agent: the agent refuses an offer unless it
is available, and a concurrent change to it refuses the whole save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env, UnknownAction
from kefu.commands.agents import Group
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.errors import UnknownReference, require
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.agent import Agent
from kefu.domain.call import Call
from kefu.domain.call_lifecycle import CallAction, Direction
from kefu.domain.errors import DomainError, NotFound
from kefu.domain.metadata import EventMetadata
from kefu.domain.routing import AgentSnapshot, NoAgentAvailable

Phone = Annotated[str, msgspec.Meta(min_length=2, max_length=40, pattern=r"^\+?[0-9*#-]+$")]
Node = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"\S")]
Uri = Annotated[
    str, msgspec.Meta(min_length=3, max_length=2000, pattern=r"^[a-z][a-z0-9+.-]*:\S+$")
]
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400)]

# A router retries this often when another command booked an agent between read and write.
ROUTE_ATTEMPTS = 5


class StartCall(Command, frozen=True):
    """An inbound call reached the hotline, or an agent dials a customer (outbound)."""

    direction: Direction
    customer_number: Phone
    hotline: Phone
    agent_id: UUID | None = None
    customer_id: Name | None = None
    purpose: Name | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.direction is Direction.OUTBOUND and self.agent_id is None:
            raise ValueError("an outbound call needs the agent_id of the agent who dials")
        if self.direction is Direction.INBOUND and self.agent_id is not None:
            raise ValueError("an inbound call has no agent_id until one answers")


class ChooseIvr(Command, frozen=True):
    path: Annotated[tuple[Node, ...], msgspec.Meta(min_length=1, max_length=50)]


class QueueCall(Command, frozen=True):
    group: Group
    owner_agent_id: UUID | None = None


class RouteCall(Command, frozen=True):
    pass


class OfferCall(Command, frozen=True):
    agent_ids: Annotated[tuple[UUID, ...], msgspec.Meta(min_length=1, max_length=100)]


class MissOffer(Command, frozen=True):
    pass


class AnswerCall(Command, frozen=True):
    agent_id: UUID | None = None


class HoldCall(Command, frozen=True):
    pass


class ResumeCall(Command, frozen=True):
    pass


class TransferCall(Command, frozen=True):
    """To one agent (rung at once) or to a group's queue: exactly one of the two."""

    agent_id: UUID | None = None
    group: Group | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.agent_id is None) == (self.group is None):
            raise ValueError("give exactly one of agent_id and group")


class TransferOut(Command, frozen=True):
    number: Phone


class EndCall(Command, frozen=True):
    hung_up_by: Literal["caller", "agent", "system"] = "caller"
    cause: Name = "normal"


class AttachRecording(Command, frozen=True):
    uri: Uri
    duration_seconds: Seconds
    sha256: Sha256


class AddNote(Command, frozen=True):
    """5W1H: what happened is required; when, who, where, why and how as known."""

    what: Text
    when: Note = ""
    who: Note = ""
    where: Note = ""
    why: Note = ""
    how: Note = ""


class LinkCall(Command, frozen=True):
    customer_id: Name | None = None
    ticket_id: Name | None = None
    complaint_id: Name | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.customer_id is self.ticket_id is self.complaint_id is None:
            raise ValueError("give customer_id, ticket_id or complaint_id")


class Availability(Protocol):
    """Agent availability as routing reads it (a read model: may lag the log a little)."""

    def snapshot(self, group: str, also: UUID | None) -> list[AgentSnapshot]: ...


class Staff:
    """The agents a call command touches, loaded fresh from the event store."""

    def __init__(self, app: ServiceDesk, availability: Availability) -> None:
        self.app = app
        self.availability = availability

    def agent(self, agent_id: UUID) -> Agent:
        return self.app.load(Agent, agent_id)  # If-Match is about the call

    def each(
        self,
        agent_ids: Iterable[UUID | None],
        verb: Callable[[Agent], None],
        field: str | None = None,
    ) -> list[Agent]:
        """Loads the agents and applies `verb` to each. With `field` (agents the command
        names), an agent that does not exist is a 422 naming it: a 404 would read as if the
        call were missing."""
        agents = [self._named(i, field) for i in agent_ids if i is not None]
        for agent in agents:
            verb(agent)
        return agents

    def _named(self, agent_id: UUID, field: str | None) -> Agent:
        try:
            return self.agent(agent_id)
        except NotFound:
            if field is None:
                raise
            raise UnknownReference(field, f"agent {agent_id} does not exist") from None

    def accepting(self, wave: Sequence[UUID], call_id: UUID, e: Env) -> list[Agent]:
        """The agents of `wave` that accept the call's offer; the others are skipped."""
        accepted = []
        for agent_id in wave:
            try:
                agent = self.agent(agent_id)
                agent.offer(call_id=call_id, meta=e.meta, at=e.at)
            except (DomainError, NotFound):
                continue
            accepted.append(agent)
        return accepted


def ivr(c: Call, cmd: ChooseIvr, e: Env) -> None:
    c.choose_ivr(path=cmd.path, meta=e.meta, at=e.at)


def queue(c: Call, cmd: QueueCall, e: Env) -> None:
    c.queue(group=cmd.group, owner_agent_id=cmd.owner_agent_id, meta=e.meta, at=e.at)


def hold(c: Call, cmd: HoldCall, e: Env) -> None:
    c.hold(meta=e.meta, at=e.at)


def resume(c: Call, cmd: ResumeCall, e: Env) -> None:
    c.resume(meta=e.meta, at=e.at)


def recording(c: Call, cmd: AttachRecording, e: Env) -> None:
    c.attach_recording(
        uri=cmd.uri, duration_seconds=cmd.duration_seconds, sha256=cmd.sha256, meta=e.meta, at=e.at
    )


def notes(c: Call, cmd: AddNote, e: Env) -> None:
    c.add_note(
        when=cmd.when,
        who=cmd.who,
        where=cmd.where,
        what=cmd.what,
        why=cmd.why,
        how=cmd.how,
        meta=e.meta,
        at=e.at,
    )


def link(c: Call, cmd: LinkCall, e: Env) -> None:
    c.link(
        customer_id=cmd.customer_id,
        ticket_id=cmd.ticket_id,
        complaint_id=cmd.complaint_id,
        meta=e.meta,
        at=e.at,
    )


def route(c: Call, cmd: RouteCall, e: Env, staff: Staff) -> list[Agent]:
    c.check_routable()
    group = c.group or ""
    agents = staff.availability.snapshot(group, c.owner_agent_id)
    plan = e.policies.routing.plan(group, agents, c.owner_agent_id)
    for wave in plan.waves:
        accepted = staff.accepting(wave, c.id, e)
        if accepted:
            ids = tuple(a.id for a in accepted)
            c.offer(agent_ids=ids, strategy=plan.strategy, meta=e.meta, at=e.at)
            return accepted
    raise NoAgentAvailable(
        f"no agent of group {group!r} can take the call now; it stays queued", c.allowed_now
    )


def offer(c: Call, cmd: OfferCall, e: Env, staff: Staff) -> list[Agent]:
    c.offer(agent_ids=cmd.agent_ids, strategy="manual", meta=e.meta, at=e.at)
    return staff.each(
        cmd.agent_ids, lambda a: a.offer(call_id=c.id, meta=e.meta, at=e.at), "agent_ids"
    )


def miss(c: Call, cmd: MissOffer, e: Env, staff: Staff) -> list[Agent]:
    rung = c.ringing_agents
    c.miss(meta=e.meta, at=e.at)
    return staff.each(rung, lambda a: a.miss_offer(call_id=c.id, meta=e.meta, at=e.at))


def answer(c: Call, cmd: AnswerCall, e: Env, staff: Staff) -> list[Agent]:
    rung = c.ringing_agents
    c.answer(agent_id=cmd.agent_id, meta=e.meta, at=e.at)
    if not rung:  # outbound: the agent has been busy since dialling
        return []
    answered = staff.each([c.agent_id], lambda a: a.answer(call_id=c.id, meta=e.meta, at=e.at))
    others = [i for i in rung if i != c.agent_id]
    return answered + staff.each(others, _withdraw(c.id, e))


def transfer(c: Call, cmd: TransferCall, e: Env, staff: Staff) -> list[Agent]:
    released = staff.each([c.talking_agent], _release(c.id, e))
    c.transfer(to_agent_id=cmd.agent_id, group=cmd.group, meta=e.meta, at=e.at)
    if cmd.agent_id is None:
        return released
    target = staff.each(
        [cmd.agent_id], lambda a: a.offer(call_id=c.id, meta=e.meta, at=e.at), "agent_id"
    )
    c.offer(agent_ids=(cmd.agent_id,), strategy="transfer", meta=e.meta, at=e.at)
    return released + target


def transfer_out(c: Call, cmd: TransferOut, e: Env, staff: Staff) -> list[Agent]:
    released = staff.each([c.talking_agent], _release(c.id, e))
    c.transfer_out(number=cmd.number, meta=e.meta, at=e.at)
    return released


def end(c: Call, cmd: EndCall, e: Env, staff: Staff) -> list[Agent]:
    rung, talking = c.ringing_agents, c.talking_agent
    c.end(
        hung_up_by=cmd.hung_up_by,
        cause=cmd.cause,
        callbacks=e.policies.callbacks,
        meta=e.meta,
        at=e.at,
    )
    return staff.each(rung, _withdraw(c.id, e)) + staff.each([talking], _release(c.id, e))


def _withdraw(call_id: UUID, e: Env) -> Callable[[Agent], None]:
    return lambda a: a.withdraw_offer(call_id=call_id, meta=e.meta, at=e.at)


def _release(call_id: UUID, e: Env) -> Callable[[Agent], None]:
    return lambda a: a.release(call_id=call_id, meta=e.meta, at=e.at)


A = CallAction

# Actions on the call alone.
CALL_ACTIONS: ActionTable[Call] = {
    A.IVR.value: (ChooseIvr, ivr),
    A.QUEUE.value: (QueueCall, queue),
    A.HOLD.value: (HoldCall, hold),
    A.RESUME.value: (ResumeCall, resume),
    A.RECORDING.value: (AttachRecording, recording),
    A.NOTES.value: (AddNote, notes),
    A.LINK.value: (LinkCall, link),
}

StaffedHandler = Callable[[Call, Any, Env, Staff], list[Agent]]

# Actions that change agents too: the call and those agents are saved together.
STAFFED_ACTIONS: Mapping[str, tuple[type[Command], StaffedHandler]] = {
    A.ROUTE.value: (RouteCall, route),
    A.OFFER.value: (OfferCall, offer),
    A.MISS.value: (MissOffer, miss),
    A.ANSWER.value: (AnswerCall, answer),
    A.TRANSFER.value: (TransferCall, transfer),
    A.TRANSFER_OUT.value: (TransferOut, transfer_out),
    A.END.value: (EndCall, end),
}

# Every call action's command Struct, in the lifecycle's order (for the HTTP layer and OpenAPI).
CALL_COMMANDS: dict[str, type[Command]] = {
    a.value: ({**CALL_ACTIONS, **STAFFED_ACTIONS})[a.value][0] for a in CallAction
}


class CallCommands(AggregateCommands[Call]):
    """The call write side used by the HTTP layer (and a PBX adapter through it)."""

    def __init__(
        self,
        app: ServiceDesk,
        runner: CommandRunner,
        policies: Policies,
        availability: Availability,
    ) -> None:
        super().__init__(app, runner, policies, Call, CALL_ACTIONS)
        self.availability = availability

    def command_for(self, action: str) -> type[Command]:
        if action not in CALL_COMMANDS:
            raise UnknownAction("call", action, list(CALL_COMMANDS))
        return CALL_COMMANDS[action]

    def start(self, cmd: StartCall, ctx: Context) -> Outcome:
        """呼入 or 外呼: a new call; dialling out makes the agent busy in the same save."""
        require(self.app, Agent, cmd.agent_id, "agent_id")

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            if cmd.direction is Direction.INBOUND:
                return (_arrive(cmd, meta, at),)
            agent = Staff(self.app, self.availability).agent(_agent_id(cmd))
            call = _dial(cmd, meta, at)
            agent.dial(call_id=call.id, meta=meta, at=at)
            return (call, agent)

        return self.runner.run_together(ctx, 201, change)

    def act(self, aggregate_id: UUID, action: str, cmd: Command, ctx: Context) -> Outcome:
        self.command_for(action)
        if isinstance(cmd, QueueCall):  # familiar-customer routing rings this agent first
            require(self.app, Agent, cmd.owner_agent_id, "owner_agent_id")
        if action not in STAFFED_ACTIONS:
            return super().act(aggregate_id, action, cmd, ctx)
        handler = STAFFED_ACTIONS[action][1]

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            call = self.app.load(Call, aggregate_id, ctx.expected_version)
            staff = Staff(self.app, self.availability)
            return (call, *handler(call, cmd, Env(meta, at, self.policies), staff))

        attempts = ROUTE_ATTEMPTS if action == A.ROUTE else 1
        for _ in range(attempts - 1):
            with suppress(ConcurrentChange):  # another router booked an agent: plan again
                return self.runner.run_together(ctx, 200, change)
        return self.runner.run_together(ctx, 200, change)


def _agent_id(cmd: StartCall) -> UUID:
    assert cmd.agent_id is not None  # StartCall.__post_init__ requires it when dialling out
    return cmd.agent_id


def _arrive(cmd: StartCall, meta: EventMetadata, at: datetime) -> Call:
    return Call.arrive(
        caller=cmd.customer_number,
        hotline=cmd.hotline,
        customer_id=cmd.customer_id,
        meta=meta,
        at=at,
    )


def _dial(cmd: StartCall, meta: EventMetadata, at: datetime) -> Call:
    return Call.dial(
        agent_id=_agent_id(cmd),
        number=cmd.customer_number,
        hotline=cmd.hotline,
        customer_id=cmd.customer_id,
        purpose=cmd.purpose or "",
        meta=meta,
        at=at,
    )
