"""The call (通话) as an event-sourced aggregate: from the hotline or an agent's dial to its end.

The call records what happened to it; the agents it rings or connects record their side in
the same transaction (see kefu.commands.calls), so the two never disagree.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.call_lifecycle import (
    TRANSITIONS,
    CallAction,
    CallStatus,
    Direction,
    allowed_actions,
    next_status,
)
from kefu.domain.callbacks import CallbackPolicy
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata

A = CallAction
S = CallStatus
_TALKING = frozenset({S.CONNECTED, S.ON_HOLD, S.DIALING})
_CALLBACK_AFTER = frozenset({S.QUEUED, S.OFFERED, S.DIALING})


class Call(Aggregate):
    """One phone call, inbound or outbound.

    Public methods are the domain verbs: each checks the lifecycle table and the call's rules,
    then records one event. `at` is when it happened: the domain reads no clock.
    """

    status: CallStatus
    # The callback this call is owed (abandoned or unreached), and the call that made it.
    # Class defaults: calls restored from snapshots taken before them have neither.
    callback_due_at: datetime | None = None
    called_back_by: UUID | None = None
    # When the call last entered a queue (overflow measures the wait from it). A class default:
    # calls restored from snapshots taken before it existed have none.
    queued_at: datetime | None = None

    class Started(Aggregate.Created):
        """An inbound call reached the hotline, or an agent dialled out."""

        direction: Direction
        customer_number: str
        hotline: str
        customer_id: str | None
        agent_id: UUID | None
        purpose: str
        meta: EventMetadata

    class IvrChosen(Aggregate.Event):
        path: tuple[str, ...]
        meta: EventMetadata

    class Queued(Aggregate.Event):
        group: str
        owner_agent_id: UUID | None
        meta: EventMetadata

    class Offered(Aggregate.Event):
        agent_ids: tuple[UUID, ...]
        strategy: str
        meta: EventMetadata

    class OfferMissed(Aggregate.Event):
        agent_ids: tuple[UUID, ...]
        meta: EventMetadata

    class Answered(Aggregate.Event):
        agent_id: UUID
        withdrawn: tuple[UUID, ...]
        meta: EventMetadata

    class Held(Aggregate.Event):
        meta: EventMetadata

    class Resumed(Aggregate.Event):
        meta: EventMetadata

    class Transferred(Aggregate.Event):
        from_agent_id: UUID | None
        to_agent_id: UUID | None
        group: str | None
        meta: EventMetadata

    class TransferredOut(Aggregate.Event):
        from_agent_id: UUID | None
        number: str
        meta: EventMetadata

    class Ended(Aggregate.Event):
        hung_up_by: str
        cause: str
        callback_due_at: datetime | None
        meta: EventMetadata

    class CalledBack(Aggregate.Event):
        """The callback this call was owed was made: by the outbound call `callback_call_id`."""

        callback_call_id: UUID
        meta: EventMetadata

    class CallingBack(Aggregate.Event):
        """This outbound call is the callback owed to call `original_call_id`."""

        original_call_id: UUID
        meta: EventMetadata

    class RecordingAttached(Aggregate.Event):
        uri: str
        duration_seconds: float
        sha256: str
        meta: EventMetadata

    class NoteAdded(Aggregate.Event):
        """A 5W1H note: when, who, where, what, why, how."""

        when: str
        who: str
        where: str
        what: str
        why: str
        how: str
        meta: EventMetadata

    class Linked(Aggregate.Event):
        customer_id: str | None
        ticket_id: str | None
        complaint_id: str | None
        meta: EventMetadata

    @event(Started)
    def __init__(
        self,
        direction: Direction,
        customer_number: str,
        hotline: str,
        customer_id: str | None,
        agent_id: UUID | None,
        purpose: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.direction = direction
        self.customer_number = customer_number
        self.hotline = hotline
        self.customer_id = customer_id
        self.agent_id = agent_id
        self.status = S.DIALING if direction is Direction.OUTBOUND else S.ARRIVED
        self.group: str | None = None
        self.owner_agent_id: UUID | None = None
        self.offered_to: tuple[UUID, ...] = ()

    @classmethod
    def arrive(
        cls,
        *,
        caller: str,
        hotline: str,
        customer_id: str | None,
        meta: EventMetadata,
        at: datetime,
    ) -> Call:
        """呼入: an inbound call reached the hotline number `hotline`."""
        return cls(
            direction=Direction.INBOUND,
            customer_number=caller,
            hotline=hotline,
            customer_id=customer_id,
            agent_id=None,
            purpose="",
            meta=meta,
            timestamp=at,
        )

    @classmethod
    def dial(
        cls,
        *,
        agent_id: UUID,
        number: str,
        hotline: str,
        customer_id: str | None,
        purpose: str,
        meta: EventMetadata,
        at: datetime,
    ) -> Call:
        """外呼: an agent calls a customer (return visit, callback ...)."""
        return cls(
            direction=Direction.OUTBOUND,
            customer_number=number,
            hotline=hotline,
            customer_id=customer_id,
            agent_id=agent_id,
            purpose=purpose,
            meta=meta,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    @property
    def ringing_agents(self) -> tuple[UUID, ...]:
        """The agents this call rings now."""
        return self.offered_to if self.status is S.OFFERED else ()

    @property
    def talking_agent(self) -> UUID | None:
        """The agent on this call now (talking, holding, or dialling out)."""
        return self.agent_id if self.status in _TALKING else None

    def choose_ivr(self, *, path: tuple[str, ...], meta: EventMetadata, at: datetime) -> None:
        """The caller went through IVR nodes (menu keys); appended to the call's IVR path."""
        self._check_allowed(A.IVR)
        self._ivr_chosen(path=path, meta=meta, timestamp=at)

    def queue(
        self, *, group: str, owner_agent_id: UUID | None, meta: EventMetadata, at: datetime
    ) -> None:
        """转人工: the call asks for a human of skill group `group`."""
        self._check_allowed(A.QUEUE)
        self._queued(group=group, owner_agent_id=owner_agent_id, meta=meta, timestamp=at)

    def check_routable(self) -> None:
        """Refuses unless the call waits in a queue for an agent."""
        self._check_allowed(A.ROUTE)

    def offer(
        self, *, agent_ids: tuple[UUID, ...], strategy: str, meta: EventMetadata, at: datetime
    ) -> None:
        """振铃: ring one agent, or several at once (ring all)."""
        self._check_allowed(A.OFFER)
        if not agent_ids or len(set(agent_ids)) != len(agent_ids):
            raise RuleViolated("an offer names one or more distinct agents", self.allowed_now)
        # str(): the event declares a plain string, so replays give back exactly what was saved.
        self._offered(agent_ids=agent_ids, strategy=str(strategy), meta=meta, timestamp=at)

    def miss(self, *, meta: EventMetadata, at: datetime) -> None:
        """Nobody answered the ring: back to the queue, a missed offer for each agent rung."""
        self._check_allowed(A.MISS)
        self._offer_missed(agent_ids=self.offered_to, meta=meta, timestamp=at)

    def answer(self, *, agent_id: UUID | None, meta: EventMetadata, at: datetime) -> None:
        """接通: inbound, one of the agents rung picks up; outbound, the customer does."""
        self._check_allowed(A.ANSWER)
        answering = self._answering(agent_id)
        others = tuple(a for a in self.ringing_agents if a != answering)
        self._answered(agent_id=answering, withdrawn=others, meta=meta, timestamp=at)

    def _answering(self, agent_id: UUID | None) -> UUID:
        if self.status is S.DIALING and self.agent_id is not None:
            if agent_id in (None, self.agent_id):
                return self.agent_id
            raise RuleViolated(f"agent {self.agent_id} dialled this call", self.allowed_now)
        if agent_id is None or agent_id not in self.ringing_agents:
            rung = ", ".join(map(str, self.ringing_agents))
            raise RuleViolated(
                f"agent {agent_id} is not rung by this call; rung: {rung}", self.allowed_now
            )
        return agent_id

    def hold(self, *, meta: EventMetadata, at: datetime) -> None:
        """保持: put the caller on hold."""
        self._check_allowed(A.HOLD)
        self._held(meta=meta, timestamp=at)

    def resume(self, *, meta: EventMetadata, at: datetime) -> None:
        """Take the caller off hold."""
        self._check_allowed(A.RESUME)
        self._resumed(meta=meta, timestamp=at)

    def transfer(
        self, *, to_agent_id: UUID | None, group: str | None, meta: EventMetadata, at: datetime
    ) -> None:
        """转接: back to a queue (another group, or this one to ring a named agent)."""
        self._check_allowed(A.TRANSFER)
        if (to_agent_id is None) == (group is None):
            raise RuleViolated("a transfer names an agent or a group", self.allowed_now)
        self._transferred(
            from_agent_id=self.talking_agent,
            to_agent_id=to_agent_id,
            group=group,
            meta=meta,
            timestamp=at,
        )

    def transfer_out(self, *, number: str, meta: EventMetadata, at: datetime) -> None:
        """转外线: hand the call to an outside number; no agent of ours is on it any more."""
        self._check_allowed(A.TRANSFER_OUT)
        self._transferred_out(
            from_agent_id=self.talking_agent, number=number, meta=meta, timestamp=at
        )

    def end(
        self,
        *,
        hung_up_by: str,
        cause: str,
        callbacks: CallbackPolicy,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """挂机: the call ends; a caller who reached nobody is owed a callback today."""
        self._check_allowed(A.END)
        due = callbacks.due(at) if self.status in _CALLBACK_AFTER else None
        self._ended(
            hung_up_by=hung_up_by, cause=cause, callback_due_at=due, meta=meta, timestamp=at
        )

    def answer_callback(self, *, original: Call, meta: EventMetadata, at: datetime) -> None:
        """回拨: this outbound call is the callback `original` is owed; both record the link."""
        if self.direction is not Direction.OUTBOUND:
            raise RuleViolated("a callback is an outbound call", self.allowed_now)
        original.check_callback_owed()
        original._called_back(callback_call_id=self.id, meta=meta, timestamp=at)
        self._calling_back(original_call_id=original.id, meta=meta, timestamp=at)

    def check_callback_owed(self) -> None:
        """Refuses unless the call is owed a callback not made yet."""
        if self.callback_due_at is None:
            raise RuleViolated(f"call {self.id} is owed no callback", self.allowed_now)
        if self.called_back_by is not None:
            raise RuleViolated(
                f"call {self.id} was called back already by {self.called_back_by}",
                self.allowed_now,
            )

    def attach_recording(
        self, *, uri: str, duration_seconds: float, sha256: str, meta: EventMetadata, at: datetime
    ) -> None:
        """录音: a reference to the recording (never the audio); the checksum proves it."""
        self._check_allowed(A.RECORDING)
        self._recording_attached(
            uri=uri, duration_seconds=duration_seconds, sha256=sha256, meta=meta, timestamp=at
        )

    def add_note(
        self,
        *,
        when: str,
        who: str,
        where: str,
        what: str,
        why: str,
        how: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """A note in 5W1H form (when, who, where, what, why, how)."""
        self._check_allowed(A.NOTES)
        self._note_added(
            when=when, who=who, where=where, what=what, why=why, how=how, meta=meta, timestamp=at
        )

    def link(
        self,
        *,
        customer_id: str | None,
        ticket_id: str | None,
        complaint_id: str | None,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Link the call to a customer file, a ticket or a complaint."""
        self._check_allowed(A.LINK)
        self._linked(
            customer_id=customer_id,
            ticket_id=ticket_id,
            complaint_id=complaint_id,
            meta=meta,
            timestamp=at,
        )

    def _check_allowed(self, action: CallAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} a call that is {self.status}", self.allowed_now
            )

    def _advance(self, action: CallAction) -> None:
        self.status = next_status(self.status, action)

    @event(IvrChosen)
    def _ivr_chosen(self, path: tuple[str, ...], meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.IVR)

    @event(Queued)
    def _queued(
        self, group: str, owner_agent_id: UUID | None, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.group, self.owner_agent_id = group, owner_agent_id
        self.queued_at = timestamp
        self._advance(A.QUEUE)

    @event(Offered)
    def _offered(
        self, agent_ids: tuple[UUID, ...], strategy: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.offered_to = agent_ids
        self._advance(A.OFFER)

    @event(OfferMissed)
    def _offer_missed(
        self, agent_ids: tuple[UUID, ...], meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.offered_to = ()
        self._advance(A.MISS)

    @event(Answered)
    def _answered(
        self, agent_id: UUID, withdrawn: tuple[UUID, ...], meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.agent_id, self.offered_to = agent_id, ()
        self._advance(A.ANSWER)

    @event(Held)
    def _held(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.HOLD)

    @event(Resumed)
    def _resumed(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.RESUME)

    @event(Transferred)
    def _transferred(
        self,
        from_agent_id: UUID | None,
        to_agent_id: UUID | None,
        group: str | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.group = group or self.group
        self._advance(A.TRANSFER)

    @event(TransferredOut)
    def _transferred_out(
        self, from_agent_id: UUID | None, number: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._advance(A.TRANSFER_OUT)

    @event(Ended)
    def _ended(
        self,
        hung_up_by: str,
        cause: str,
        callback_due_at: datetime | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.offered_to = ()
        self.callback_due_at = callback_due_at
        self._advance(A.END)

    @event(CalledBack)
    def _called_back(
        self, callback_call_id: UUID, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.called_back_by = callback_call_id

    @event(CallingBack)
    def _calling_back(
        self, original_call_id: UUID, meta: EventMetadata, timestamp: datetime
    ) -> None:
        pass  # the link is the event; the call's state is unchanged

    @event(RecordingAttached)
    def _recording_attached(
        self,
        uri: str,
        duration_seconds: float,
        sha256: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        pass

    @event(NoteAdded)
    def _note_added(
        self,
        when: str,
        who: str,
        where: str,
        what: str,
        why: str,
        how: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        pass

    @event(Linked)
    def _linked(
        self,
        customer_id: str | None,
        ticket_id: str | None,
        complaint_id: str | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.customer_id = customer_id or self.customer_id


# Which lifecycle action each event records: the call view replays the table with it.
EVENT_ACTIONS: dict[type[object], CallAction] = {
    Call.IvrChosen: A.IVR,
    Call.Queued: A.QUEUE,
    Call.Offered: A.OFFER,
    Call.OfferMissed: A.MISS,
    Call.Answered: A.ANSWER,
    Call.Held: A.HOLD,
    Call.Resumed: A.RESUME,
    Call.Transferred: A.TRANSFER,
    Call.TransferredOut: A.TRANSFER_OUT,
    Call.Ended: A.END,
}
