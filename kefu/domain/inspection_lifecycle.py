"""The quality-inspection lifecycle (坐席质检) as ONE declarative table.

assigned → scored → (appealed → decided). An agent appeals a score once: a decided
inspection allows nothing more. Rows are only ever added, never edited.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.domain.lifecycle import allowed_in, follow, table_markdown


class InspectionStatus(StrEnum):
    """Where an inspection stands."""

    ASSIGNED = "assigned"  # drawn and given to an inspector
    SCORED = "scored"
    APPEALED = "appealed"  # 申诉
    DECIDED = "decided"  # the supervisor's decision is final


class InspectionAction(StrEnum):
    """What may be done to an inspection; the values are the HTTP action names."""

    SCORE = "score"
    APPEAL = "appeal"
    DECIDE = "decide"


S, A = InspectionStatus, InspectionAction

# None as the next state means "stays where it is".
TRANSITIONS: dict[InspectionStatus, dict[InspectionAction, InspectionStatus | None]] = {
    S.ASSIGNED: {A.SCORE: S.SCORED},
    S.SCORED: {A.APPEAL: S.APPEALED},
    S.APPEALED: {A.DECIDE: S.DECIDED},
    S.DECIDED: {},
}


def allowed_actions(status: InspectionStatus) -> tuple[str, ...]:
    return allowed_in(TRANSITIONS, status)


def next_status(status: InspectionStatus, action: InspectionAction) -> InspectionStatus:
    return follow(TRANSITIONS, status, action)


def transition_table_markdown() -> str:
    """The table as Markdown, for the docs and `kefu docs transitions`."""
    return table_markdown(TRANSITIONS)
