"""The call document (通话记录): one call as agents see it, with its timings, folded from events."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.call import EVENT_ACTIONS, Call
from kefu.domain.call_lifecycle import CallStatus, Direction, next_status


class Recording(msgspec.Struct, frozen=True):
    """A recording by reference: where it is, how long, and the SHA-256 that proves it."""

    uri: str
    duration_seconds: float
    sha256: str
    attached_at: datetime


class CallNote(msgspec.Struct, frozen=True):
    """A 5W1H note, with who wrote it."""

    what: str
    when: str
    who: str
    where: str
    why: str
    how: str
    written_by: str
    written_at: datetime


class CallDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A call as agents, supervisors and the traffic reports see it."""

    id: UUID
    direction: str
    status: str
    customer_number: str
    hotline: str
    customer_id: str | None = None
    purpose: str = ""
    agent_id: UUID | None = None
    group: str | None = None
    owner_agent_id: UUID | None = None
    ivr_path: tuple[str, ...] = ()
    offered_to: tuple[UUID, ...] = ()
    strategy: str | None = None
    offers: int = 0
    missed_offers: int = 0
    transfers: int = 0
    transferred_to_number: str | None = None
    ticket_ids: tuple[str, ...] = ()
    complaint_ids: tuple[str, ...] = ()
    recordings: tuple[Recording, ...] = ()
    notes: tuple[CallNote, ...] = ()
    started_at: datetime
    queued_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hung_up_by: str | None = None
    cause: str | None = None
    callback_due_at: datetime | None = None
    called_back_by: UUID | None = None  # the outbound call that made the callback owed
    called_back_at: datetime | None = None
    callback_for: UUID | None = None  # outbound: the call this one calls back
    wait_seconds: float | None = None
    hold_seconds: float = 0.0
    held_since: datetime | None = None
    talk_seconds: float | None = None
    updated_at: datetime
    version: int
    position: int = 0


def fold(view: CallDocument | None, event: Any, position: int) -> CallDocument:
    """The view after `event` (an event of the call at `position` in the log)."""
    if view is None:
        return _started(event, position)
    changed = _apply(event, view)
    action = EVENT_ACTIONS.get(type(event))
    status = view.status if action is None else str(next_status(CallStatus(view.status), action))
    return replace(
        changed,
        status=status,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _started(event: Call.Started, position: int) -> CallDocument:
    outbound = event.direction is Direction.OUTBOUND
    return CallDocument(
        id=event.originator_id,
        direction=str(event.direction),
        status=str(CallStatus.DIALING if outbound else CallStatus.ARRIVED),
        customer_number=event.customer_number,
        hotline=event.hotline,
        customer_id=event.customer_id,
        purpose=event.purpose,
        agent_id=event.agent_id,
        started_at=event.timestamp,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _seconds(start: datetime | None, end: datetime) -> float | None:
    return None if start is None else (end - start).total_seconds()


@singledispatch
def _apply(event: Any, view: CallDocument) -> CallDocument:
    return view


@_apply.register
def _(event: Call.IvrChosen, view: CallDocument) -> CallDocument:
    return replace(view, ivr_path=(*view.ivr_path, *event.path))


@_apply.register
def _(event: Call.Queued, view: CallDocument) -> CallDocument:
    return replace(
        view, group=event.group, owner_agent_id=event.owner_agent_id, queued_at=event.timestamp
    )


@_apply.register
def _(event: Call.Offered, view: CallDocument) -> CallDocument:
    return replace(
        view, offered_to=event.agent_ids, strategy=event.strategy, offers=view.offers + 1
    )


@_apply.register
def _(event: Call.OfferMissed, view: CallDocument) -> CallDocument:
    return replace(view, offered_to=(), missed_offers=view.missed_offers + len(event.agent_ids))


@_apply.register
def _(event: Call.Answered, view: CallDocument) -> CallDocument:
    first = view.answered_at is None
    return replace(
        view,
        agent_id=event.agent_id,
        offered_to=(),
        answered_at=event.timestamp if first else view.answered_at,
        wait_seconds=_seconds(view.queued_at, event.timestamp) if first else view.wait_seconds,
    )


@_apply.register
def _(event: Call.Held, view: CallDocument) -> CallDocument:
    return replace(view, held_since=event.timestamp)


@_apply.register
def _(event: Call.Resumed, view: CallDocument) -> CallDocument:
    held = _seconds(view.held_since, event.timestamp) or 0.0
    return replace(view, held_since=None, hold_seconds=view.hold_seconds + held)


@_apply.register
def _(event: Call.Transferred, view: CallDocument) -> CallDocument:
    return replace(view, group=event.group or view.group, transfers=view.transfers + 1)


@_apply.register
def _(event: Call.TransferredOut, view: CallDocument) -> CallDocument:
    return replace(view, transfers=view.transfers + 1, transferred_to_number=event.number)


@_apply.register
def _(event: Call.Ended, view: CallDocument) -> CallDocument:
    held = view.hold_seconds + (_seconds(view.held_since, event.timestamp) or 0.0)
    talk = _seconds(view.answered_at, event.timestamp)
    waited = view.wait_seconds
    if view.answered_at is None:
        waited = _seconds(view.queued_at, event.timestamp)
    return replace(
        view,
        offered_to=(),
        ended_at=event.timestamp,
        hung_up_by=event.hung_up_by,
        cause=event.cause,
        callback_due_at=event.callback_due_at,
        held_since=None,
        hold_seconds=held,
        talk_seconds=None if talk is None else talk - held,
        wait_seconds=waited,
    )


@_apply.register
def _(event: Call.CalledBack, view: CallDocument) -> CallDocument:
    return replace(view, called_back_by=event.callback_call_id, called_back_at=event.timestamp)


@_apply.register
def _(event: Call.CallingBack, view: CallDocument) -> CallDocument:
    return replace(view, callback_for=event.original_call_id)


@_apply.register
def _(event: Call.RecordingAttached, view: CallDocument) -> CallDocument:
    recording = Recording(event.uri, event.duration_seconds, event.sha256, event.timestamp)
    return replace(view, recordings=(*view.recordings, recording))


@_apply.register
def _(event: Call.NoteAdded, view: CallDocument) -> CallDocument:
    note = CallNote(
        what=event.what,
        when=event.when,
        who=event.who,
        where=event.where,
        why=event.why,
        how=event.how,
        written_by=event.meta.actor_id,
        written_at=event.timestamp,
    )
    return replace(view, notes=(*view.notes, note))


@_apply.register
def _(event: Call.Linked, view: CallDocument) -> CallDocument:
    return replace(
        view,
        customer_id=event.customer_id or view.customer_id,
        ticket_ids=_added(view.ticket_ids, event.ticket_id),
        complaint_ids=_added(view.complaint_ids, event.complaint_id),
    )


def _added(ids: tuple[str, ...], new: str | None) -> tuple[str, ...]:
    return ids if new is None or new in ids else (*ids, new)
