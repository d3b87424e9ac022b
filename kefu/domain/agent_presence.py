"""Agent presence (坐席状态) as ONE declarative table: state by action → next state.

Presence actions come over HTTP (`login`, `available`, `break`, `logout`, `skills`); the call
actions (`offer`, `answer`, ...) are recorded on the agent by the call commands, in the same
transaction as the call's own event. Rows are only ever added, never edited: stored events
replay through this table.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import follow, table_markdown


class AgentStatus(StrEnum):
    """Where an agent stands; the agent reports sum the time spent in each."""

    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"  # logged in, not taking calls (示忙)
    AVAILABLE = "available"  # idle, may be offered a call (示闲)
    RINGING = "ringing"  # offered one call, not yet answered
    BUSY = "busy"  # on a call
    WRAP_UP = "wrap_up"  # after-call work (话后处理)
    ON_BREAK = "on_break"


class AgentAction(StrEnum):
    """What may happen to an agent; presence values are the HTTP action names."""

    LOGIN = "login"
    AVAILABLE = "available"
    BREAK = "break"
    LOGOUT = "logout"
    SKILLS = "skills"
    OFFER = "offer"  # a call rings the agent
    ANSWER = "answer"  # the agent picks it up
    WITHDRAW = "withdraw"  # the offer ended: another agent answered or the caller hung up
    MISS = "miss"  # the agent let it ring out: counted, and the agent stops taking calls
    # let it ring out, but fewer times in a row than the limit: counted, still available
    MISS_TOLERATED = "miss_tolerated"
    DIAL = "dial"  # the agent places an outbound call
    RELEASE = "release"  # the agent's call ended or was transferred away


S = AgentStatus
A = AgentAction

PRESENCE_ACTIONS = frozenset({A.LOGIN, A.AVAILABLE, A.BREAK, A.LOGOUT, A.SKILLS})

# None as the next state means "stays where it is".
TRANSITIONS: dict[AgentStatus, dict[AgentAction, AgentStatus | None]] = {
    S.LOGGED_OUT: {A.LOGIN: S.NOT_READY, A.SKILLS: None},
    S.NOT_READY: {
        A.AVAILABLE: S.AVAILABLE,
        A.BREAK: S.ON_BREAK,
        A.LOGOUT: S.LOGGED_OUT,
        A.SKILLS: None,
        A.DIAL: S.BUSY,
    },
    S.AVAILABLE: {
        A.BREAK: S.ON_BREAK,
        A.LOGOUT: S.LOGGED_OUT,
        A.SKILLS: None,
        A.OFFER: S.RINGING,
        A.DIAL: S.BUSY,
    },
    S.RINGING: {
        A.ANSWER: S.BUSY,
        A.WITHDRAW: S.AVAILABLE,
        A.MISS: S.NOT_READY,
        A.SKILLS: None,
        A.MISS_TOLERATED: S.AVAILABLE,
    },
    S.BUSY: {A.RELEASE: S.WRAP_UP, A.SKILLS: None},
    S.WRAP_UP: {
        A.AVAILABLE: S.AVAILABLE,
        A.BREAK: S.ON_BREAK,
        A.LOGOUT: S.LOGGED_OUT,
        A.SKILLS: None,
    },
    S.ON_BREAK: {A.AVAILABLE: S.AVAILABLE, A.LOGOUT: S.LOGGED_OUT, A.SKILLS: None},
}


def allowed_actions(status: AgentStatus) -> tuple[str, ...]:
    """The presence actions (HTTP) the table allows in `status`, in the table's order."""
    return tuple(a.value for a in TRANSITIONS[status] if a in PRESENCE_ACTIONS)


def next_status(status: AgentStatus, action: AgentAction) -> AgentStatus:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for docs/calls.md."""
    return table_markdown(TRANSITIONS)
