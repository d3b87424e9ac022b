"""The quality-inspection views: scorecards with every revision, weekly draws, inspections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.inspection import EVENT_ACTIONS, Inspection
from kefu.domain.inspection_lifecycle import TRANSITIONS, InspectionStatus
from kefu.domain.lifecycle import status_after
from kefu.domain.sampling import Sampling
from kefu.domain.scorecard import Scorecard, ScorecardStatus


class CriterionView(msgspec.Struct, frozen=True):
    key: str
    title: str
    weight: int
    max_points: int


class ScorecardDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A scorecard and every revision of its criteria (index 0 is revision 1)."""

    id: UUID
    name: str
    status: str
    revision: int
    revisions: tuple[tuple[CriterionView, ...], ...]
    updated_at: datetime
    version: int
    position: int = 0


class PickView(msgspec.Struct, frozen=True):
    agent_id: str
    case_kind: str
    case_id: UUID
    inspector_id: str


class SamplingDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A week's draw as recorded: anyone with the seed and the candidates can redo it."""

    id: UUID
    week: str
    since: datetime
    until: datetime
    seed: int
    per_agent: int
    scorecard_id: UUID
    candidate_count: int
    candidates_digest: str
    picks: tuple[PickView, ...]
    drawn_at: datetime
    drawn_by: str
    version: int
    position: int = 0


class MarkView(msgspec.Struct, frozen=True):
    offset_seconds: int
    note: str


class AppealView(msgspec.Struct, frozen=True, kw_only=True):
    agent_id: str
    reason: str
    at: datetime
    outcome: str | None = None
    supervisor_id: str | None = None
    points: dict[str, int] = msgspec.field(default_factory=dict)
    note: str = ""
    decided_at: datetime | None = None


class InspectionDocument(msgspec.Struct, frozen=True, kw_only=True):
    """One inspection as the agent, the inspector and the supervisor see it."""

    id: UUID
    sampling_id: UUID
    case_kind: str
    case_id: UUID
    agent_id: str
    inspector_id: str
    scorecard_id: UUID
    scorecard_revision: int
    criteria: tuple[CriterionView, ...]
    status: str
    points: dict[str, int] = msgspec.field(default_factory=dict)
    comments: dict[str, str] = msgspec.field(default_factory=dict)
    marks: tuple[MarkView, ...] = ()
    summary: str = ""
    total: Decimal | None = None
    final_total: Decimal | None = None  # after an appeal, the supervisor's
    appeal: AppealView | None = None
    assigned_at: datetime
    scored_at: datetime | None = None
    updated_at: datetime
    version: int
    position: int = 0


def _criteria(criteria: Any) -> tuple[CriterionView, ...]:
    return tuple(CriterionView(c.key, c.title, c.weight, c.max_points) for c in criteria)


def fold_scorecard(view: ScorecardDocument | None, event: Any, position: int) -> ScorecardDocument:
    """The scorecard view after `event`."""
    common = {"updated_at": event.timestamp, "version": event.originator_version}
    if view is None:
        return ScorecardDocument(
            id=event.originator_id, name=event.name, status=str(ScorecardStatus.ACTIVE),
            revision=1, revisions=(_criteria(event.criteria),), position=position, **common,
        )  # fmt: skip
    if isinstance(event, Scorecard.Revised):
        revisions = (*view.revisions, _criteria(event.criteria))
        return replace(view, revisions=revisions, revision=len(revisions), position=position,
                       **common)  # fmt: skip
    status = ScorecardStatus.RETIRED if isinstance(event, Scorecard.Retired) else "active"
    return replace(view, status=str(status), position=position, **common)


def fold_sampling(
    view: SamplingDocument | None, event: Sampling.Drawn, position: int
) -> SamplingDocument:
    """The draw, as recorded by its only event."""
    return SamplingDocument(
        id=event.originator_id, week=event.week, since=event.since, until=event.until,
        seed=event.seed, per_agent=event.per_agent, scorecard_id=event.scorecard_id,
        candidate_count=event.candidate_count, candidates_digest=event.candidates_digest,
        picks=tuple(PickView(p.agent_id, p.case_kind, p.case_id, p.inspector_id)
                    for p in event.picks),
        drawn_at=event.timestamp, drawn_by=event.meta.actor_id,
        version=event.originator_version, position=position,
    )  # fmt: skip


def fold_inspection(
    view: InspectionDocument | None, event: Any, position: int
) -> InspectionDocument:
    """The inspection view after `event`."""
    if view is None:
        return InspectionDocument(
            id=event.originator_id, sampling_id=event.sampling_id, case_kind=event.case_kind,
            case_id=event.case_id, agent_id=event.agent_id, inspector_id=event.inspector_id,
            scorecard_id=event.scorecard_id, scorecard_revision=event.scorecard_revision,
            criteria=_criteria(event.criteria), status=str(InspectionStatus.ASSIGNED),
            assigned_at=event.timestamp, updated_at=event.timestamp,
            version=event.originator_version, position=position,
        )  # fmt: skip
    status = status_after(TRANSITIONS, EVENT_ACTIONS, InspectionStatus(view.status), event)
    return replace(
        _apply(event, view),
        status=str(status),
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


@singledispatch
def _apply(event: Any, view: InspectionDocument) -> InspectionDocument:
    return view


@_apply.register
def _(event: Inspection.Scored, view: InspectionDocument) -> InspectionDocument:
    return replace(
        view, points=dict(event.points), comments=dict(event.comments),
        marks=tuple(MarkView(m.offset_seconds, m.note) for m in event.marks),
        summary=event.summary, total=event.total, final_total=event.total,
        scored_at=event.timestamp,
    )  # fmt: skip


@_apply.register
def _(event: Inspection.Appealed, view: InspectionDocument) -> InspectionDocument:
    appeal = AppealView(agent_id=event.agent_id, reason=event.reason, at=event.timestamp)
    return replace(view, appeal=appeal)


@_apply.register
def _(event: Inspection.Decided, view: InspectionDocument) -> InspectionDocument:
    assert view.appeal is not None  # the table allows a decision only on an appeal
    appeal = replace(
        view.appeal, outcome=str(event.outcome), supervisor_id=event.supervisor_id,
        points=dict(event.points), note=event.note, decided_at=event.timestamp,
    )  # fmt: skip
    return replace(view, appeal=appeal, final_total=event.total)
