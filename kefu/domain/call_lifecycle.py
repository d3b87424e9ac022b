"""The call lifecycle (通话流程) as ONE declarative table: state by action → next state.

The values of `CallAction` are the HTTP action names. `end` leads to a different state by
where the call stood: hung up in the queue or while ringing is an abandoned call (放弃), an
outbound call nobody answered is unreached (未接通). Rows are only ever added, never edited.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import allowed_in, follow, table_markdown


class Direction(StrEnum):
    """Inbound (呼入) or outbound (外呼)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallStatus(StrEnum):
    """Where a call stands."""

    ARRIVED = "arrived"  # reached the hotline
    IN_IVR = "in_ivr"  # in the IVR menus (交互式语音应答)
    QUEUED = "queued"  # waits for an agent of its skill group
    OFFERED = "offered"  # rings one agent, or several (ring all)
    DIALING = "dialing"  # outbound: the agent's call rings the customer
    CONNECTED = "connected"  # talking
    ON_HOLD = "on_hold"
    EXTERNAL = "external"  # transferred to an outside number
    ENDED = "ended"
    ABANDONED = "abandoned"  # the caller hung up before an agent answered
    UNREACHED = "unreached"  # outbound, nobody answered: a callback is due the same day


class CallAction(StrEnum):
    """What may be done to a call; the values are the HTTP action names."""

    IVR = "ivr"
    QUEUE = "queue"
    ROUTE = "route"
    OFFER = "offer"
    MISS = "miss"
    ANSWER = "answer"
    HOLD = "hold"
    RESUME = "resume"
    TRANSFER = "transfer"
    TRANSFER_OUT = "transfer-out"
    END = "end"
    RECORDING = "recording"
    NOTES = "notes"
    LINK = "link"


S = CallStatus
A = CallAction

# Allowed in every state, the state unchanged: the call's paperwork.
_RECORDS: dict[CallAction, CallStatus | None] = {A.RECORDING: None, A.NOTES: None, A.LINK: None}
_TALKING: dict[CallAction, CallStatus | None] = {
    A.TRANSFER: S.QUEUED,
    A.TRANSFER_OUT: S.EXTERNAL,
    A.END: S.ENDED,
    **_RECORDS,
}

# None as the next state means "stays where it is".
TRANSITIONS: dict[CallStatus, dict[CallAction, CallStatus | None]] = {
    S.ARRIVED: {A.IVR: S.IN_IVR, A.QUEUE: S.QUEUED, A.END: S.ENDED, **_RECORDS},
    S.IN_IVR: {A.IVR: None, A.QUEUE: S.QUEUED, A.END: S.ENDED, **_RECORDS},
    S.QUEUED: {A.ROUTE: S.OFFERED, A.OFFER: S.OFFERED, A.END: S.ABANDONED, **_RECORDS},
    S.OFFERED: {A.ANSWER: S.CONNECTED, A.MISS: S.QUEUED, A.END: S.ABANDONED, **_RECORDS},
    S.DIALING: {A.ANSWER: S.CONNECTED, A.END: S.UNREACHED, **_RECORDS},
    S.CONNECTED: {A.HOLD: S.ON_HOLD, **_TALKING},
    S.ON_HOLD: {A.RESUME: S.CONNECTED, **_TALKING},
    S.EXTERNAL: {A.END: S.ENDED, **_RECORDS},
    S.ENDED: _RECORDS,
    S.ABANDONED: _RECORDS,
    S.UNREACHED: _RECORDS,
}

# The offer that `route` and `offer` make is one event, whoever chose the agents.
ROUTED = frozenset({A.ROUTE, A.OFFER})


def allowed_actions(status: CallStatus) -> tuple[str, ...]:
    """The actions the table allows in `status`, in the table's order."""
    return allowed_in(TRANSITIONS, status)


def next_status(status: CallStatus, action: CallAction) -> CallStatus:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for docs/calls.md."""
    return table_markdown(TRANSITIONS)
