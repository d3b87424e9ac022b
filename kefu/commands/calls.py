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
from kefu.commands.actions import (
    ActionTable,
    AggregateCommands,
    Env,
    TCommand,
    UnknownAction,
    action,
)
from kefu.commands.agents import Group
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.caller_recognition import CallerRecognition
from kefu.commands.context import Context
from kefu.commands.errors import UnknownReference
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import Names, Reference
from kefu.domain.agent import Agent
from kefu.domain.call import Call
from kefu.domain.call_lifecycle import CallAction, Direction
from kefu.domain.complaint import Complaint
from kefu.domain.customer import Customer
from kefu.domain.errors import DomainError, NotFound
from kefu.domain.metadata import EventMetadata
from kefu.domain.routing import AgentSnapshot, NoAgentAvailable
from kefu.domain.ticket import Ticket

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
    customer_id: UUID | None = None
    purpose: Name | None = None
    callback_for: UUID | None = None  # outbound: the abandoned or unreached call called back

    def references(self) -> Sequence[Reference]:
        return (
            Names("agent_id", Agent, self.agent_id),
            Names("customer_id", Customer, self.customer_id),
            Names("callback_for", Call, self.callback_for),
        )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.direction is Direction.OUTBOUND and self.agent_id is None:
            raise ValueError("an outbound call needs the agent_id of the agent who dials")
        if self.direction is Direction.INBOUND and self.agent_id is not None:
            raise ValueError("an inbound call has no agent_id until one answers")
        if self.direction is Direction.INBOUND and self.callback_for is not None:
            raise ValueError("callback_for names the call an outbound call calls back")


class ChooseIvr(Command, frozen=True):
    path: Annotated[tuple[Node, ...], msgspec.Meta(min_length=1, max_length=50)]


class QueueCall(Command, frozen=True):
    group: Group
    owner_agent_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (Names("owner_agent_id", Agent, self.owner_agent_id),)


class RouteCall(Command, frozen=True):
    pass


class OfferCall(Command, frozen=True):
    agent_ids: Annotated[tuple[UUID, ...], msgspec.Meta(min_length=1, max_length=100)]

    def references(self) -> Sequence[Reference]:
        return tuple(Names("agent_ids", Agent, agent_id) for agent_id in self.agent_ids)


class MissOffer(Command, frozen=True):
    pass


class AnswerCall(Command, frozen=True):
    agent_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (Names("agent_id", Agent, self.agent_id),)


class HoldCall(Command, frozen=True):
    pass


class ResumeCall(Command, frozen=True):
    pass


class TransferCall(Command, frozen=True):
    """To one agent (rung at once) or to a group's queue: exactly one of the two."""

    agent_id: UUID | None = None
    group: Group | None = None

    def references(self) -> Sequence[Reference]:
        return (Names("agent_id", Agent, self.agent_id),)

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
    customer_id: UUID | None = None
    ticket_id: UUID | None = None
    complaint_id: UUID | None = None

    def references(self) -> Sequence[Reference]:
        return (
            Names("customer_id", Customer, self.customer_id),
            Names("ticket_id", Ticket, self.ticket_id),
            Names("complaint_id", Complaint, self.complaint_id),
        )

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

    def accepting(self, wave: Sequence[UUID], call_id: UUID, env: Env) -> list[Agent]:
        """The agents of `wave` that accept the call's offer; the others are skipped."""
        accepted = []
        for agent_id in wave:
            try:
                agent = self.agent(agent_id)
                agent.offer(call_id=call_id, meta=env.meta, at=env.at)
            except (DomainError, NotFound):
                continue
            accepted.append(agent)
        return accepted


def ivr(call: Call, command: ChooseIvr, env: Env) -> None:
    call.choose_ivr(path=command.path, meta=env.meta, at=env.at)


def queue(call: Call, command: QueueCall, env: Env) -> None:
    call.queue(group=command.group, owner_agent_id=command.owner_agent_id, meta=env.meta, at=env.at)


def hold(call: Call, command: HoldCall, env: Env) -> None:
    call.hold(meta=env.meta, at=env.at)


def resume(call: Call, command: ResumeCall, env: Env) -> None:
    call.resume(meta=env.meta, at=env.at)


def recording(call: Call, command: AttachRecording, env: Env) -> None:
    call.attach_recording(
        uri=command.uri,
        duration_seconds=command.duration_seconds,
        sha256=command.sha256,
        meta=env.meta,
        at=env.at,
    )


def notes(call: Call, command: AddNote, env: Env) -> None:
    call.add_note(
        when=command.when,
        who=command.who,
        where=command.where,
        what=command.what,
        why=command.why,
        how=command.how,
        meta=env.meta,
        at=env.at,
    )


def link(call: Call, command: LinkCall, env: Env) -> None:
    call.link(
        customer_id=_text(command.customer_id),
        ticket_id=_text(command.ticket_id),
        complaint_id=_text(command.complaint_id),
        meta=env.meta,
        at=env.at,
    )


def route(call: Call, command: RouteCall, env: Env, staff: Staff) -> list[Agent]:
    call.check_routable()
    group = call.group or ""
    for strategy, wave in _waves(call, env, staff):
        accepted = staff.accepting(wave, call.id, env)
        if accepted:
            ids = tuple(a.id for a in accepted)
            call.offer(agent_ids=ids, strategy=strategy, meta=env.meta, at=env.at)
            return accepted
    raise NoAgentAvailable(
        f"no agent of group {group!r} can take the call now; it stays queued", call.allowed_now
    )


def _waves(call: Call, env: Env, staff: Staff) -> list[tuple[str, tuple[UUID, ...]]]:
    """The queue's plan; after the queue's maximum wait, then the overflow queue's plan."""
    group, routing, owner = call.group or "", env.policies.routing, call.owner_agent_id
    plan = routing.plan(group, staff.availability.snapshot(group, owner), owner)
    waves = [(str(plan.strategy), wave) for wave in plan.waves]
    waited = env.at - (call.queued_at or env.at)
    target = routing.overflow_for(group, waited)
    if target is not None:
        extra = routing.plan(target, staff.availability.snapshot(target, None))
        waves += [(f"overflow:{target}", wave) for wave in extra.waves]
    return waves


def offer(call: Call, command: OfferCall, env: Env, staff: Staff) -> list[Agent]:
    call.offer(agent_ids=command.agent_ids, strategy="manual", meta=env.meta, at=env.at)
    return staff.each(
        command.agent_ids,
        lambda agent: agent.offer(call_id=call.id, meta=env.meta, at=env.at),
        "agent_ids",
    )


def miss(call: Call, command: MissOffer, env: Env, staff: Staff) -> list[Agent]:
    rung = call.ringing_agents
    call.miss(meta=env.meta, at=env.at)
    limit = env.policies.routing.max_missed_offers
    return staff.each(
        rung,
        lambda agent: agent.miss_offer(call_id=call.id, limit=limit, meta=env.meta, at=env.at),
    )


def answer(call: Call, command: AnswerCall, env: Env, staff: Staff) -> list[Agent]:
    rung = call.ringing_agents
    call.answer(agent_id=command.agent_id, meta=env.meta, at=env.at)
    if not rung:  # outbound: the agent has been busy since dialling
        return []
    answered = staff.each(
        [call.agent_id], lambda agent: agent.answer(call_id=call.id, meta=env.meta, at=env.at)
    )
    others = [i for i in rung if i != call.agent_id]
    return answered + staff.each(others, _withdraw(call.id, env))


def transfer(call: Call, command: TransferCall, env: Env, staff: Staff) -> list[Agent]:
    released = staff.each([call.talking_agent], _release(call.id, env))
    call.transfer(to_agent_id=command.agent_id, group=command.group, meta=env.meta, at=env.at)
    if command.agent_id is None:
        return released
    target = staff.each(
        [command.agent_id],
        lambda agent: agent.offer(call_id=call.id, meta=env.meta, at=env.at),
        "agent_id",
    )
    call.offer(agent_ids=(command.agent_id,), strategy="transfer", meta=env.meta, at=env.at)
    return released + target


def transfer_out(call: Call, command: TransferOut, env: Env, staff: Staff) -> list[Agent]:
    released = staff.each([call.talking_agent], _release(call.id, env))
    call.transfer_out(number=command.number, meta=env.meta, at=env.at)
    return released


def end(call: Call, command: EndCall, env: Env, staff: Staff) -> list[Agent]:
    rung, talking = call.ringing_agents, call.talking_agent
    call.end(
        hung_up_by=command.hung_up_by,
        cause=command.cause,
        callbacks=env.policies.callbacks,
        meta=env.meta,
        at=env.at,
    )
    return staff.each(rung, _withdraw(call.id, env)) + staff.each([talking], _release(call.id, env))


def _withdraw(call_id: UUID, env: Env) -> Callable[[Agent], None]:
    return lambda agent: agent.withdraw_offer(call_id=call_id, meta=env.meta, at=env.at)


def _release(call_id: UUID, env: Env) -> Callable[[Agent], None]:
    return lambda agent: agent.release(call_id=call_id, meta=env.meta, at=env.at)


A = CallAction

# Actions on the call alone.
CALL_ACTIONS: ActionTable[Call] = {
    A.IVR.value: action(ChooseIvr, ivr),
    A.QUEUE.value: action(QueueCall, queue),
    A.HOLD.value: action(HoldCall, hold),
    A.RESUME.value: action(ResumeCall, resume),
    A.RECORDING.value: action(AttachRecording, recording),
    A.NOTES.value: action(AddNote, notes),
    A.LINK.value: action(LinkCall, link),
}

StaffedHandler = Callable[[Call, Any, Env, Staff], list[Agent]]


def staffed(
    command: type[TCommand], handler: Callable[[Call, TCommand, Env, Staff], list[Agent]]
) -> tuple[type[Command], StaffedHandler]:
    """A staffed action's entry, its handler checked against its Struct (as `action` does)."""
    return command, handler


# Actions that change agents too: the call and those agents are saved together.
STAFFED_ACTIONS: Mapping[str, tuple[type[Command], StaffedHandler]] = {
    A.ROUTE.value: staffed(RouteCall, route),
    A.OFFER.value: staffed(OfferCall, offer),
    A.MISS.value: staffed(MissOffer, miss),
    A.ANSWER.value: staffed(AnswerCall, answer),
    A.TRANSFER.value: staffed(TransferCall, transfer),
    A.TRANSFER_OUT.value: staffed(TransferOut, transfer_out),
    A.END.value: staffed(EndCall, end),
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
        callers: CallerRecognition,
    ) -> None:
        super().__init__(app, runner, policies, Call, CALL_ACTIONS)
        self.availability = availability
        self.callers = callers

    def action_commands(self) -> dict[str, type[Command]]:
        return dict(CALL_COMMANDS)

    def command_for(self, action: str) -> type[Command]:
        if action not in CALL_COMMANDS:
            raise UnknownAction("call", action, list(CALL_COMMANDS))
        return CALL_COMMANDS[action]

    def start(self, command: StartCall, ctx: Context) -> Outcome:
        """呼入 or 外呼: a new call; dialling out makes the agent busy in the same save."""
        self.check(command)
        customer_id = command.customer_id or self._recognised(command)

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            if command.direction is Direction.INBOUND:
                return (_arrive(command, customer_id, meta, at),)
            agent = Staff(self.app, self.availability).agent(_agent_id(command))
            call = _dial(command, meta, at)
            agent.dial(call_id=call.id, meta=meta, at=at)
            return (call, agent, *self._called_back(call, command.callback_for, meta, at))

        return self.runner.run_together(ctx, 201, change)

    def act(self, aggregate_id: UUID, action: str, command: Command, ctx: Context) -> Outcome:
        self.command_for(action)
        self.check(command)
        if isinstance(command, QueueCall) and command.owner_agent_id is None:
            command = self._with_owner(command, aggregate_id)
        if action not in STAFFED_ACTIONS:
            return super().act(aggregate_id, action, command, ctx)
        handler = STAFFED_ACTIONS[action][1]

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            call = self.app.load(Call, aggregate_id, ctx.expected_version)
            staff = Staff(self.app, self.availability)
            return (call, *handler(call, command, Env(meta, at, self.policies), staff))

        attempts = ROUTE_ATTEMPTS if action == A.ROUTE else 1
        for _ in range(attempts - 1):
            with suppress(ConcurrentChange):  # another router booked an agent: plan again
                return self.runner.run_together(ctx, 200, change)
        return self.runner.run_together(ctx, 200, change)

    def _called_back(
        self, call: Call, original_id: UUID | None, meta: EventMetadata, at: datetime
    ) -> tuple[Call, ...]:
        """回拨: the original call (owed a callback) and the new one record the link."""
        if original_id is None:
            return ()
        original = self.app.load(Call, original_id)
        call.answer_callback(original=original, meta=meta, at=at)
        return (original,)

    def _recognised(self, command: StartCall) -> UUID | None:
        """熟客识别: an inbound caller's file, found by the number (a dialled number is known)."""
        if command.direction is not Direction.INBOUND:
            return None
        return self.callers.customer_of(command.customer_number)

    def _with_owner(self, command: QueueCall, call_id: UUID) -> QueueCall:
        """A call linked to a file asks for the file's owner agent first (归属坐席)."""
        owner = self.callers.owner_of(self.app.load(Call, call_id).customer_id)
        return msgspec.structs.replace(command, owner_agent_id=owner)


def _agent_id(command: StartCall) -> UUID:
    assert command.agent_id is not None  # StartCall.__post_init__ requires it when dialling out
    return command.agent_id


def _arrive(
    command: StartCall, customer_id: UUID | None, meta: EventMetadata, at: datetime
) -> Call:
    return Call.arrive(
        caller=command.customer_number,
        hotline=command.hotline,
        customer_id=_text(customer_id),
        meta=meta,
        at=at,
    )


def _dial(command: StartCall, meta: EventMetadata, at: datetime) -> Call:
    return Call.dial(
        agent_id=_agent_id(command),
        number=command.customer_number,
        hotline=command.hotline,
        customer_id=_text(command.customer_id),
        purpose=command.purpose or "",
        meta=meta,
        at=at,
    )


def _text(record_id: UUID | None) -> str | None:
    """Events keep ids of other records as text, as they always have."""
    return None if record_id is None else str(record_id)
