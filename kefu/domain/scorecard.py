"""Quality-inspection scorecards (质检评分表): weighted criteria, versioned by revision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.lifecycle import allowed_in, follow, table_markdown
from kefu.domain.metadata import EventMetadata


@dataclass(frozen=True)
class Criterion:
    """One thing inspectors score: up to `max_points`, counting `weight` in the total."""

    key: str
    title: str
    weight: int
    max_points: int


CENT = Decimal("0.01")


def weighted_total(criteria: tuple[Criterion, ...], points: Mapping[str, int]) -> Decimal:
    """The score out of 100: sum of weight * points / max over the sum of weights, rounded
    half up to 0.01. Every criterion must be scored, within 0 and its maximum, and nothing else.
    """
    keys = {c.key for c in criteria}
    if set(points) != keys:
        missing, unknown = sorted(keys - set(points)), sorted(set(points) - keys)
        raise RuleViolated(f"score every criterion once: missing {missing}, unknown {unknown}")
    for c in criteria:
        if not 0 <= points[c.key] <= c.max_points:
            raise RuleViolated(f"{c.key} is scored from 0 to {c.max_points}")
    earned = sum((Decimal(c.weight) * points[c.key] / c.max_points for c in criteria), Decimal(0))
    weights = sum(c.weight for c in criteria)
    return (earned * 100 / weights).quantize(CENT, rounding=ROUND_HALF_UP)


def check_criteria(criteria: tuple[Criterion, ...]) -> None:
    if not criteria:
        raise RuleViolated("a scorecard has at least one criterion")
    if len({c.key for c in criteria}) != len(criteria):
        raise RuleViolated("criterion keys are unique")
    if any(c.weight < 1 or c.max_points < 1 for c in criteria):
        raise RuleViolated("weights and maximum points are whole numbers of at least 1")


class ScorecardStatus(StrEnum):
    """Whether a scorecard is used for new inspections."""

    ACTIVE = "active"
    RETIRED = "retired"


class ScorecardAction(StrEnum):
    """What may be done to a scorecard; the values are the HTTP action names."""

    REVISE = "revise"
    RETIRE = "retire"
    RESTORE = "restore"


S, A = ScorecardStatus, ScorecardAction

# The scorecard lifecycle as ONE table (None: stays). Rows are only ever added.
TRANSITIONS: dict[ScorecardStatus, dict[ScorecardAction, ScorecardStatus | None]] = {
    S.ACTIVE: {A.REVISE: None, A.RETIRE: S.RETIRED},
    S.RETIRED: {A.RESTORE: S.ACTIVE},
}


def transition_table_markdown() -> str:
    """The table as Markdown, for the docs and `kefu docs transitions`."""
    return table_markdown(TRANSITIONS)


class Scorecard(Aggregate):
    """A named set of weighted criteria; each revision is kept by the inspections using it."""

    name: str
    criteria: tuple[Criterion, ...]
    revision: int
    status: ScorecardStatus

    class Created(Aggregate.Created):
        name: str
        criteria: tuple[Criterion, ...]
        meta: EventMetadata

    class Revised(Aggregate.Event):
        criteria: tuple[Criterion, ...]
        reason: str
        meta: EventMetadata

    class Retired(Aggregate.Event):
        meta: EventMetadata

    class Restored(Aggregate.Event):
        meta: EventMetadata

    @event(Created)
    def __init__(
        self, name: str, criteria: tuple[Criterion, ...], meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.name, self.criteria = name, criteria
        self.revision = 1
        self.status = ScorecardStatus.ACTIVE

    @classmethod
    def create(
        cls, *, name: str, criteria: tuple[Criterion, ...], meta: EventMetadata, at: datetime
    ) -> Scorecard:
        """A new scorecard at revision 1."""
        check_criteria(criteria)
        return cls(name=name, criteria=criteria, meta=meta, timestamp=at)

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_in(TRANSITIONS, self.status)

    def revise(
        self, *, criteria: tuple[Criterion, ...], reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """A new revision; inspections already assigned keep the one they were given."""
        self._check_allowed(A.REVISE)
        check_criteria(criteria)
        self._revised(criteria=criteria, reason=reason, meta=meta, timestamp=at)

    def retire(self, *, meta: EventMetadata, at: datetime) -> None:
        self._check_allowed(A.RETIRE)
        self._retired(meta=meta, timestamp=at)

    def restore(self, *, meta: EventMetadata, at: datetime) -> None:
        self._check_allowed(A.RESTORE)
        self._restored(meta=meta, timestamp=at)

    def _check_allowed(self, action: ScorecardAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} a scorecard that is {self.status}", self.allowed_now
            )

    @event(Revised)
    def _revised(
        self, criteria: tuple[Criterion, ...], reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.criteria = criteria
        self.revision += 1

    @event(Retired)
    def _retired(self, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = follow(TRANSITIONS, self.status, A.RETIRE)

    @event(Restored)
    def _restored(self, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = follow(TRANSITIONS, self.status, A.RESTORE)


EVENT_ACTIONS: dict[type[object], ScorecardAction] = {
    Scorecard.Revised: A.REVISE,
    Scorecard.Retired: A.RETIRE,
    Scorecard.Restored: A.RESTORE,
}
