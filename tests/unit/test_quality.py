"""Quality inspection: score arithmetic, reproducible sampling, the inspection table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from kefu.domain.errors import RuleViolated
from kefu.domain.inspection import AppealOutcome, Inspection
from kefu.domain.inspection_lifecycle import TRANSITIONS, InspectionStatus
from kefu.domain.metadata import EventMetadata
from kefu.domain.sampling import draw
from kefu.domain.scorecard import Criterion, weighted_total

META = EventMetadata("desk", "service", UUID(int=1), UUID(int=2), None, "api")
T0 = datetime(2030, 3, 4, tzinfo=UTC)
CRITERIA = (Criterion("greeting", "问候", 1, 10), Criterion("apology", "致歉", 2, 3))


def test_the_total_is_weighted_and_rounded_half_up_to_a_cent() -> None:
    assert weighted_total(CRITERIA, {"greeting": 10, "apology": 3}) == Decimal("100.00")
    assert weighted_total(CRITERIA, {"greeting": 0, "apology": 0}) == Decimal("0.00")
    # (1 * 5/10 + 2 * 1/3) / 3 * 100 = 38.888… → 38.89
    assert weighted_total(CRITERIA, {"greeting": 5, "apology": 1}) == Decimal("38.89")


@pytest.mark.parametrize(
    "points",
    [{"greeting": 10}, {"greeting": 11, "apology": 0}, {"greeting": 1, "apology": 1, "x": 1}],
)
def test_every_criterion_is_scored_within_its_maximum(points: dict[str, int]) -> None:
    with pytest.raises(RuleViolated):
        weighted_total(CRITERIA, points)


CANDIDATES = {
    ("agent-1", "ticket"): [UUID(int=n) for n in range(1, 30)],
    ("agent-2", "call"): [UUID(int=n) for n in range(100, 103)],
    ("qa-1", "ticket"): [UUID(int=500)],
}


def test_the_same_seed_draws_the_same_cases_whatever_the_candidates_order() -> None:
    shuffled = {k: list(reversed(v)) for k, v in reversed(list(CANDIDATES.items()))}
    first = draw(CANDIDATES, 3, seed=2030, inspectors=["qa-2", "qa-1"])
    assert draw(shuffled, 3, seed=2030, inspectors=["qa-1", "qa-2"]) == first
    assert draw(CANDIDATES, 3, seed=2031, inspectors=["qa-1", "qa-2"]) != first
    assert [(p.agent_id, p.case_kind) for p in first].count(("agent-1", "ticket")) == 3
    assert [(p.agent_id, p.case_kind) for p in first].count(("agent-2", "call")) == 3


def test_a_draw_never_assigns_an_agent_to_inspect_themselves() -> None:
    picks = draw(CANDIDATES, 1, seed=9, inspectors=["qa-1", "qa-2"])
    assert [p.inspector_id for p in picks if p.agent_id == "qa-1"] == ["qa-2"]
    with pytest.raises(RuleViolated):
        draw({("qa-1", "ticket"): [UUID(int=1)]}, 1, seed=9, inspectors=["qa-1"])


def inspection() -> Inspection:
    return Inspection(
        sampling_id=UUID(int=7), case_kind="ticket", case_id=UUID(int=8), agent_id="agent-1",
        inspector_id="qa-1", scorecard_id=UUID(int=9), scorecard_revision=1, criteria=CRITERIA,
        meta=META, timestamp=T0,
    )  # fmt: skip


def test_an_upheld_appeal_keeps_the_score_and_nothing_follows_a_decision() -> None:
    i = inspection()
    points = {"greeting": 5, "apology": 1}
    i.score(inspector_id="qa-1", points=points, comments={}, marks=(), summary="", meta=META,
            at=T0)  # fmt: skip
    i.appeal(agent_id="agent-1", reason="", meta=META, at=T0)
    with pytest.raises(RuleViolated):
        i.decide(supervisor_id="sup", outcome=AppealOutcome.UPHELD, points=points, note="",
                 meta=META, at=T0)  # fmt: skip
    i.decide(supervisor_id="sup", outcome=AppealOutcome.UPHELD, points={}, note="", meta=META,
             at=T0)  # fmt: skip
    assert (i.status, i.final_total) == (InspectionStatus.DECIDED, Decimal("38.89"))
    assert TRANSITIONS[InspectionStatus.DECIDED] == {}


def test_appraisal_rows_set_each_scope_against_its_target_with_the_trend() -> None:
    from kefu.projections.appraisal import Facts, KpiPlan, Target, appraisal

    plan = KpiPlan(
        targets=(
            Target("every_agent", "visit_completion", 90),
            Target("team:desk", "first_response_minutes", 10),
        ),
        teams={"desk": ("a", "b")},
    )
    march = {
        "a": Facts(visits_due=10, visits_done=9, first_responses=[300.0]),
        "b": Facts(visits_due=4, visits_done=2, first_responses=[1500.0]),
    }
    rows = appraisal(plan, {"2030-02": {}, "2030-03": march}, "2030-03")
    got = [(r.scope, r.metric, r.actual, r.met, [a for _, a in r.trend]) for r in rows]
    assert got == [
        ("agent:a", "visit_completion", 90.0, True, [None, 90.0]),
        ("agent:b", "visit_completion", 50.0, False, [None, 50.0]),
        ("team:desk", "first_response_minutes", 15.0, False, [None, 15.0]),
    ]
