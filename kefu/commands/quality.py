"""Quality inspection (坐席质检) commands: scorecards, the weekly draw, scoring and appeals."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Protocol
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.context import Context
from kefu.commands.errors import require
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.errors import RuleViolated
from kefu.domain.inspection import AppealOutcome, Inspection, Mark
from kefu.domain.inspection_lifecycle import InspectionAction
from kefu.domain.metadata import EventMetadata
from kefu.domain.sampling import Pick, Sampling, candidates_digest, draw
from kefu.domain.scorecard import Criterion, Scorecard, ScorecardAction, ScorecardStatus

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Week = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")]


class CriterionBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A scorecard criterion: `key` (snake_case), title, weight and maximum points."""

    key: Key
    title: Name
    weight: Annotated[int, msgspec.Meta(ge=1, le=100)]
    max_points: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10

    def criterion(self) -> Criterion:
        return Criterion(self.key, self.title, self.weight, self.max_points)


Criteria = Annotated[tuple[CriterionBody, ...], msgspec.Meta(min_length=1, max_length=50)]


class CreateScorecard(Command, frozen=True):
    name: Name
    criteria: Criteria


class ReviseScorecard(Command, frozen=True):
    criteria: Criteria
    reason: Note = ""


class RetireScorecard(Command, frozen=True):
    pass


class RestoreScorecard(Command, frozen=True):
    pass


class DrawSample(Command, frozen=True):
    """每周抽检: draw `per_agent` recorded calls and closed tickets per agent for an ISO week."""

    week: Week
    scorecard_id: UUID
    inspectors: Annotated[tuple[Name, ...], msgspec.Meta(min_length=1, max_length=100)]
    per_agent: Annotated[int, msgspec.Meta(ge=1, le=50)] = 2
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**62)] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        year, number = self.week.split("-W")
        try:
            date.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise ValueError(f"{self.week} is not a week of {year}") from None


class MarkBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    offset_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)]
    note: Text


class ScoreInspection(Command, frozen=True):
    inspector_id: Name
    points: dict[Key, Annotated[int, msgspec.Meta(ge=0, le=100)]]
    comments: dict[Key, Note] = msgspec.field(default_factory=dict)
    marks: Annotated[tuple[MarkBody, ...], msgspec.Meta(max_length=200)] = ()
    summary: Note = ""


class AppealInspection(Command, frozen=True):
    agent_id: Name
    reason: Text


class DecideAppeal(Command, frozen=True):
    supervisor_id: Name
    outcome: AppealOutcome
    points: dict[Key, Annotated[int, msgspec.Meta(ge=0, le=100)]] = msgspec.field(
        default_factory=dict
    )
    note: Note = ""


class SampleSource(Protocol):
    """Where the cases to draw from come from (the read side: recorded calls, closed tickets);
    injected, like routing's availability: the draw records what it saw."""

    def recorded_calls(self, since: datetime, until: datetime) -> list[tuple[str, UUID]]: ...

    def closed_tickets(self, since: datetime, until: datetime) -> list[tuple[str, UUID]]: ...


def week_window(week: str, policies: Policies) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of an ISO week, in the business time zone."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    since = datetime.combine(monday, time(), tzinfo=policies.timezone)
    return since, since + timedelta(days=7)


def revise(s: Scorecard, c: ReviseScorecard, e: Env) -> None:
    s.revise(criteria=tuple(x.criterion() for x in c.criteria), reason=c.reason, meta=e.meta,
             at=e.at)  # fmt: skip


def retire(s: Scorecard, c: RetireScorecard, e: Env) -> None:
    s.retire(meta=e.meta, at=e.at)


def restore(s: Scorecard, c: RestoreScorecard, e: Env) -> None:
    s.restore(meta=e.meta, at=e.at)


def score(i: Inspection, c: ScoreInspection, e: Env) -> None:
    marks = tuple(Mark(m.offset_seconds, m.note) for m in c.marks)
    i.score(inspector_id=c.inspector_id, points=dict(c.points), comments=dict(c.comments),
            marks=marks, summary=c.summary, meta=e.meta, at=e.at)  # fmt: skip


def appeal(i: Inspection, c: AppealInspection, e: Env) -> None:
    i.appeal(agent_id=c.agent_id, reason=c.reason, meta=e.meta, at=e.at)


def decide(i: Inspection, c: DecideAppeal, e: Env) -> None:
    i.decide(supervisor_id=c.supervisor_id, outcome=c.outcome, points=dict(c.points),
             note=c.note, meta=e.meta, at=e.at)  # fmt: skip


S = ScorecardAction
I = InspectionAction  # noqa: E741
SCORECARD_ACTIONS: ActionTable[Scorecard] = {
    S.REVISE.value: (ReviseScorecard, revise),
    S.RETIRE.value: (RetireScorecard, retire),
    S.RESTORE.value: (RestoreScorecard, restore),
}
INSPECTION_ACTIONS: ActionTable[Inspection] = {
    I.SCORE.value: (ScoreInspection, score),
    I.APPEAL.value: (AppealInspection, appeal),
    I.DECIDE.value: (DecideAppeal, decide),
}


class ScorecardCommands(AggregateCommands[Scorecard]):
    """The scorecard write side."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Scorecard, SCORECARD_ACTIONS)

    def add(self, cmd: CreateScorecard, ctx: Context) -> Outcome:
        criteria = tuple(c.criterion() for c in cmd.criteria)
        return self.create(
            ctx, lambda e: Scorecard.create(name=cmd.name, criteria=criteria, meta=e.meta, at=e.at)
        )


class InspectionCommands(AggregateCommands[Inspection]):
    """Inspections: the weekly draw creates them; inspectors score; agents appeal once."""

    def __init__(
        self, app: ServiceDesk, runner: CommandRunner, policies: Policies, source: SampleSource
    ) -> None:
        super().__init__(app, runner, policies, Inspection, INSPECTION_ACTIONS)
        self.source = source

    def draw(self, cmd: DrawSample, ctx: Context) -> Outcome:
        """Draws the week once: the Sampling record and one Inspection per pick, atomically."""
        sampling_id = Sampling.create_id(cmd.week)
        if self.app.exists(Sampling, sampling_id):
            raise RuleViolated(f"week {cmd.week} was already drawn (sampling {sampling_id})")
        require(self.app, Scorecard, cmd.scorecard_id, "scorecard_id")
        scorecard = self.app.load(Scorecard, cmd.scorecard_id)
        if scorecard.status is not ScorecardStatus.ACTIVE:
            raise RuleViolated("draw with an active scorecard")
        since, until = week_window(cmd.week, self.policies)
        candidates = self._candidates(since, until)
        seed = cmd.seed if cmd.seed is not None else secrets.randbits(48)
        picks = draw(candidates, cmd.per_agent, seed, cmd.inspectors)

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            sampling = Sampling(
                week=cmd.week, since=since, until=until, seed=seed,
                per_agent=cmd.per_agent, scorecard_id=scorecard.id,
                candidate_count=sum(len(v) for v in candidates.values()),
                candidates_digest=candidates_digest(candidates), picks=tuple(picks),
                meta=meta, timestamp=at,
            )  # fmt: skip
            return (sampling, *(_inspection(sampling_id, p, scorecard, meta, at) for p in picks))

        return self.runner.run_together(ctx, 201, change)

    def _candidates(self, since: datetime, until: datetime) -> dict[tuple[str, str], list[UUID]]:
        found: dict[tuple[str, str], list[UUID]] = {}
        for kind, rows in (
            ("call", self.source.recorded_calls(since, until)),
            ("ticket", self.source.closed_tickets(since, until)),
        ):
            for agent, case_id in rows:
                found.setdefault((agent, kind), []).append(case_id)
        return found


def _inspection(
    sampling_id: UUID, pick: Pick, scorecard: Scorecard, meta: EventMetadata, at: datetime
) -> Inspection:
    return Inspection(
        sampling_id=sampling_id, case_kind=pick.case_kind, case_id=pick.case_id,
        agent_id=pick.agent_id, inspector_id=pick.inspector_id, scorecard_id=scorecard.id,
        scorecard_revision=scorecard.revision, criteria=scorecard.criteria, meta=meta,
        timestamp=at,
    )  # fmt: skip
