"""The complaint lifecycle (投诉流程) as ONE declarative table: state by action → next state.

The aggregate enforces it, the HTTP 409 answer quotes it, and the view replays it. Escalation
is not a state: a complaint may be escalated at any time before it is closed, and it stays
where it is. Changing a row changes how stored events replay, so rows are only ever added.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import allowed_in, follow, table_markdown


class ComplaintStatus(StrEnum):
    """Where a complaint stands."""

    REGISTERED = "registered"  # 受理
    ACKNOWLEDGED = "acknowledged"  # 致歉 / 回复
    INVESTIGATING = "investigating"  # 核实, 定责
    PROPOSED = "proposed"  # 方案待客户确认
    EXECUTING = "executing"  # 方案已接受, 执行中
    CONFIRMED = "confirmed"  # 客户确认已解决
    CLOSED = "closed"
    REOPENED = "reopened"
    ARCHIVED = "archived"  # 归档: terminal


class ComplaintAction(StrEnum):
    """What may be done to a complaint; the values are the HTTP action names."""

    ACKNOWLEDGE = "acknowledge"
    FACTS = "facts"
    ATTRIBUTE = "attribute"
    ESCALATE = "escalate"
    PROPOSE = "proposals"
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN_TASK = "tasks"
    COMPLETE_TASK = "tasks/complete"
    FAIL_TASK = "tasks/fail"
    CONTACT_ATTEMPT = "contact-attempts"
    CONFIRM = "confirm"
    CLOSE = "close"
    REOPEN = "reopen"
    ARCHIVE = "archive"
    MAKE_MAJOR = "major"  # 重大投诉 found out after registration: reported at once


S = ComplaintStatus
A = ComplaintAction

_INVESTIGATION = {
    A.FACTS: S.INVESTIGATING,
    A.ATTRIBUTE: S.INVESTIGATING,
    A.ESCALATE: None,
    A.PROPOSE: S.PROPOSED,
    A.MAKE_MAJOR: None,
}

# None as the next state means "stays where it is".
TRANSITIONS: dict[ComplaintStatus, dict[ComplaintAction, ComplaintStatus | None]] = {
    S.REGISTERED: {A.ACKNOWLEDGE: S.ACKNOWLEDGED, A.ESCALATE: None, A.MAKE_MAJOR: None},
    S.ACKNOWLEDGED: {k: v for k, v in _INVESTIGATION.items() if k is not A.PROPOSE},
    S.INVESTIGATING: _INVESTIGATION,
    S.PROPOSED: {
        A.ACCEPT: S.EXECUTING,
        A.REJECT: S.INVESTIGATING,
        A.ESCALATE: None,
        A.MAKE_MAJOR: None,
    },
    S.EXECUTING: {
        A.ASSIGN_TASK: None,
        A.COMPLETE_TASK: None,
        A.FAIL_TASK: None,
        A.CONTACT_ATTEMPT: None,
        A.CONFIRM: S.CONFIRMED,
        A.CLOSE: S.CLOSED,
        A.ESCALATE: None,
        A.MAKE_MAJOR: None,
    },
    S.CONFIRMED: {
        A.CLOSE: S.CLOSED,
        A.REOPEN: S.REOPENED,
        A.ESCALATE: None,
        A.MAKE_MAJOR: None,
    },
    S.CLOSED: {A.REOPEN: S.REOPENED, A.ARCHIVE: S.ARCHIVED},
    S.REOPENED: _INVESTIGATION,
    S.ARCHIVED: {},
}


def allowed_actions(status: ComplaintStatus) -> tuple[str, ...]:
    """The actions the table allows in `status`, in the table's order."""
    return allowed_in(TRANSITIONS, status)


def next_status(status: ComplaintStatus, action: ComplaintAction) -> ComplaintStatus:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for docs/api.md and `kefu docs transitions`."""
    return table_markdown(TRANSITIONS)
