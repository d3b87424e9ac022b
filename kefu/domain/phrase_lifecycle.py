"""The lifecycle of a phrase (常用语, 话术, 禁忌用语) as ONE declarative table.

Rows are only ever added, never edited: stored events replay through this table.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import allowed_in, follow, table_markdown


class PhraseStatus(StrEnum):
    """Whether a phrase is in use."""

    ACTIVE = "active"
    RETIRED = "retired"


class PhraseAction(StrEnum):
    """What may be done to a phrase; the values are the HTTP action names."""

    EDIT = "edit"
    RETIRE = "retire"
    RESTORE = "restore"


S = PhraseStatus
A = PhraseAction

# None as the next state means "stays where it is".
TRANSITIONS: dict[PhraseStatus, dict[PhraseAction, PhraseStatus | None]] = {
    S.ACTIVE: {A.EDIT: None, A.RETIRE: S.RETIRED},
    S.RETIRED: {A.RESTORE: S.ACTIVE},
}


def allowed_actions(status: PhraseStatus) -> tuple[str, ...]:
    """The actions the table allows in `status`, in the table's order."""
    return allowed_in(TRANSITIONS, status)


def next_status(status: PhraseStatus, action: PhraseAction) -> PhraseStatus:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for the docs and `kefu docs transitions`."""
    return table_markdown(TRANSITIONS)
