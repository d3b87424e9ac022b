"""A quality inspection (坐席质检) of one sampled call or ticket, scored against a scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.inspection_lifecycle import (
    TRANSITIONS,
    InspectionAction,
    InspectionStatus,
    allowed_actions,
    next_status,
)
from kefu.domain.metadata import EventMetadata
from kefu.domain.scorecard import Criterion, weighted_total

A = InspectionAction


@dataclass(frozen=True)
class Mark:
    """A remark at a moment of the recording (seconds from its start)."""

    offset_seconds: int
    note: str


class AppealOutcome(StrEnum):
    """The supervisor's decision on an appeal."""

    UPHELD = "upheld"  # the score stands
    AMENDED = "amended"  # the supervisor's scores replace it


class Inspection(Aggregate):
    """One sampled case of one agent, for one inspector, on one scorecard revision.

    The criteria are copied from the scorecard when the case is drawn, so a later revision of
    the scorecard never changes how this inspection adds up.
    """

    sampling_id: UUID
    case_kind: str
    case_id: UUID
    agent_id: str
    inspector_id: str
    scorecard_id: UUID
    scorecard_revision: int
    criteria: tuple[Criterion, ...]
    status: InspectionStatus
    total: Decimal | None
    final_total: Decimal | None

    @staticmethod
    def create_id(sampling_id: UUID, case_kind: str, case_id: UUID) -> UUID:
        """A case is inspected once per sampling: the id follows from both."""
        return uuid5(sampling_id, f"{case_kind}:{case_id}")

    class Assigned(Aggregate.Created):
        sampling_id: UUID
        case_kind: str
        case_id: UUID
        agent_id: str
        inspector_id: str
        scorecard_id: UUID
        scorecard_revision: int
        criteria: tuple[Criterion, ...]
        meta: EventMetadata

    class Scored(Aggregate.Event):
        inspector_id: str
        points: dict[str, int]
        comments: dict[str, str]
        marks: tuple[Mark, ...]
        summary: str
        total: Decimal
        meta: EventMetadata

    class Appealed(Aggregate.Event):
        agent_id: str
        reason: str
        meta: EventMetadata

    class Decided(Aggregate.Event):
        supervisor_id: str
        outcome: AppealOutcome
        points: dict[str, int]
        total: Decimal
        note: str
        meta: EventMetadata

    @event(Assigned)
    def __init__(
        self,
        sampling_id: UUID,
        case_kind: str,
        case_id: UUID,
        agent_id: str,
        inspector_id: str,
        scorecard_id: UUID,
        scorecard_revision: int,
        criteria: tuple[Criterion, ...],
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.sampling_id, self.case_kind, self.case_id = sampling_id, case_kind, case_id
        self.agent_id, self.inspector_id = agent_id, inspector_id
        self.scorecard_id, self.scorecard_revision = scorecard_id, scorecard_revision
        self.criteria = criteria
        self.status = InspectionStatus.ASSIGNED
        self.total = self.final_total = None

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    def score(
        self,
        *,
        inspector_id: str,
        points: dict[str, int],
        comments: dict[str, str],
        marks: tuple[Mark, ...],
        summary: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """The assigned inspector scores every criterion, with comments and timed remarks."""
        self._check_allowed(A.SCORE)
        if inspector_id != self.inspector_id:
            raise RuleViolated(f"this inspection is assigned to {self.inspector_id}")
        if set(comments) - {c.key for c in self.criteria}:
            raise RuleViolated("comments are given per criterion of the scorecard")
        if any(m.offset_seconds < 0 for m in marks):
            raise RuleViolated("a remark's offset into the recording is not negative")
        total = weighted_total(self.criteria, points)
        self._scored(
            inspector_id=inspector_id, points=points, comments=comments, marks=marks,
            summary=summary, total=total, meta=meta, timestamp=at,
        )  # fmt: skip

    def appeal(self, *, agent_id: str, reason: str, meta: EventMetadata, at: datetime) -> None:
        """The inspected agent disputes the score, once (申诉)."""
        self._check_allowed(A.APPEAL)
        if agent_id != self.agent_id:
            raise RuleViolated("only the inspected agent appeals their score")
        self._appealed(agent_id=agent_id, reason=reason, meta=meta, timestamp=at)

    def decide(
        self,
        *,
        supervisor_id: str,
        outcome: AppealOutcome,
        points: dict[str, int],
        note: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """A supervisor (not the inspector, not the agent) upholds or amends the score."""
        self._check_allowed(A.DECIDE)
        if supervisor_id in (self.inspector_id, self.agent_id):
            raise RuleViolated("the inspector or the agent cannot decide the appeal")
        if outcome is AppealOutcome.UPHELD and points:
            raise RuleViolated("an upheld score keeps its points; send none")
        total = self.total if outcome is AppealOutcome.UPHELD else None
        total = total if total is not None else weighted_total(self.criteria, points)
        self._decided(
            supervisor_id=supervisor_id, outcome=outcome, points=points, total=total, note=note,
            meta=meta, timestamp=at,
        )  # fmt: skip

    def _check_allowed(self, action: InspectionAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} an inspection that is {self.status}", self.allowed_now
            )

    @event(Scored)
    def _scored(
        self,
        inspector_id: str,
        points: dict[str, int],
        comments: dict[str, str],
        marks: tuple[Mark, ...],
        summary: str,
        total: Decimal,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.total = self.final_total = total
        self.status = next_status(self.status, A.SCORE)

    @event(Appealed)
    def _appealed(
        self, agent_id: str, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.status = next_status(self.status, A.APPEAL)

    @event(Decided)
    def _decided(
        self,
        supervisor_id: str,
        outcome: AppealOutcome,
        points: dict[str, int],
        total: Decimal,
        note: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.final_total = total
        self.status = next_status(self.status, A.DECIDE)


EVENT_ACTIONS: dict[type[object], InspectionAction] = {
    Inspection.Scored: A.SCORE,
    Inspection.Appealed: A.APPEAL,
    Inspection.Decided: A.DECIDE,
}
