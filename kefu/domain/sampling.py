"""Weekly sampling for quality inspection (每周抽检): reproducible from a recorded seed.

Each candidate case gets a rank, the SHA-256 of the seed and its id; an agent's N lowest
ranks are drawn. So the same seed and the same candidates always draw the same cases, on any
machine and any Python, and anyone holding the recorded seed and candidate list can check it.
Inspectors are assigned in turn, never to inspect themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import RuleViolated
from kefu.domain.metadata import EventMetadata

SAMPLING_IDS = UUID("6b656675-0000-4000-8000-7175616c6974")  # the uuid5 namespace


@dataclass(frozen=True)
class Pick:
    """One case drawn for inspection."""

    agent_id: str
    case_kind: str  # "call" or "ticket"
    case_id: UUID
    inspector_id: str


def rank(seed: int, case_id: UUID) -> str:
    return hashlib.sha256(f"{seed}:{case_id}".encode()).hexdigest()


def candidates_digest(candidates: Mapping[tuple[str, str], Sequence[UUID]]) -> str:
    """A digest of every candidate (agent, kind, id), in a canonical order."""
    lines = sorted(f"{a}|{k}|{i}" for (a, k), ids in candidates.items() for i in ids)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def draw(
    candidates: Mapping[tuple[str, str], Sequence[UUID]],
    per_agent: int,
    seed: int,
    inspectors: Sequence[str],
) -> list[Pick]:
    """Up to `per_agent` cases of each kind per agent, by rank; inspectors in turn."""
    pool = sorted(set(inspectors))
    picks: list[Pick] = []
    for agent, kind in sorted(candidates):
        ids = sorted(set(candidates[(agent, kind)]), key=lambda i: rank(seed, i))
        for case_id in ids[:per_agent]:
            picks.append(Pick(agent, kind, case_id, _inspector(pool, agent, len(picks))))
    return picks


def _inspector(pool: list[str], agent: str, turn: int) -> str:
    others = [i for i in pool if i != agent]
    if not others:
        raise RuleViolated(f"no inspector other than {agent} to inspect {agent}")
    return others[turn % len(others)]


class Sampling(Aggregate):
    """One week's draw, as it was made: window, seed, candidates digest and picks.

    It is a record, not a workflow: it is created once (its id is the week's) and never
    changes, so it has no lifecycle table.
    """

    @staticmethod
    def create_id(week: str) -> UUID:
        """One sampling per week: its id is the week's, so a second draw is refused."""
        return uuid5(SAMPLING_IDS, week)

    class Drawn(Aggregate.Created):
        week: str
        since: datetime
        until: datetime
        seed: int
        per_agent: int
        scorecard_id: UUID
        candidate_count: int
        candidates_digest: str
        picks: tuple[Pick, ...]
        meta: EventMetadata

    @event(Drawn)
    def __init__(
        self,
        week: str,
        since: datetime,
        until: datetime,
        seed: int,
        per_agent: int,
        scorecard_id: UUID,
        candidate_count: int,
        candidates_digest: str,
        picks: tuple[Pick, ...],
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.week, self.since, self.until, self.seed = week, since, until, seed
        self.per_agent, self.scorecard_id = per_agent, scorecard_id
        self.candidate_count, self.candidates_digest = candidate_count, candidates_digest
        self.picks = picks
