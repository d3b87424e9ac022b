"""Monthly appraisal (绩效考核): each KPI's actual against its configured target, with the trend.

Targets come from a JSON file (`KEFU_KPI_TARGETS_FILE`, docs/knowledge.md):
    {"teams": {"billing": ["agent-1", "agent-2"]},
     "targets": [{"scope": "every_agent" | "agent:<id>" | "team:<name>",
                  "metric": "csat" | "first_response_minutes" | "resolved_tickets"
                            | "inspection_score" | "visit_completion",
                  "target": 95}]}
Actuals are read from the ticket view (by the ticket's assignee) and the inspection view, for
calendar months in the business time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from statistics import fmean
from zoneinfo import ZoneInfo

import msgspec

from kefu.projections.quality_projection import QualityView
from kefu.projections.sql import db_time
from kefu.projections.ticket_document import TicketDocument
from kefu.projections.ticket_projection import TicketView
from kefu.projections.visit_projection import VisitView


@dataclass
class Facts:
    """One agent's raw figures for one month."""

    ratings: list[int] = field(default_factory=list)  # of tickets resolved in the month
    first_responses: list[float] = field(default_factory=list)  # seconds, tickets opened in it
    resolved: int = 0
    inspection_totals: list[float] = field(default_factory=list)  # final totals scored in it
    visits_due: int = 0  # return visits assigned to the agent, due in the month
    visits_done: int = 0  # ... of which done


def _csat(f: Facts) -> float | None:
    return 100 * sum(r >= 4 for r in f.ratings) / len(f.ratings) if f.ratings else None


def _first_response(f: Facts) -> float | None:
    return fmean(f.first_responses) / 60 if f.first_responses else None


def _inspection(f: Facts) -> float | None:
    return fmean(f.inspection_totals) if f.inspection_totals else None


def _visit_completion(f: Facts) -> float | None:
    return 100 * f.visits_done / f.visits_due if f.visits_due else None


@dataclass(frozen=True)
class Metric:
    """How a KPI is computed and which way is better."""

    compute: Callable[[Facts], float | None]
    higher_is_better: bool


METRICS = {
    "csat": Metric(_csat, True),  # % of ratings 4 or 5
    "first_response_minutes": Metric(_first_response, False),  # mean, tickets opened
    "resolved_tickets": Metric(lambda f: float(f.resolved), True),
    "inspection_score": Metric(_inspection, True),  # mean final inspection total
    "visit_completion": Metric(_visit_completion, True),  # % of visits due that are done
}


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    scope: str
    metric: str
    target: float


class KpiPlan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The configured targets, and which agents make up each team."""

    targets: tuple[Target, ...] = ()
    teams: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)


class KpiPlanError(ValueError):
    """The KPI targets file cannot be used."""


def load_plan(path: str) -> KpiPlan:
    """The plan in `path` (an empty plan when no file is configured); refused at start-up."""
    if not path:
        return KpiPlan()
    try:
        plan = msgspec.json.decode(Path(path).read_bytes(), type=KpiPlan)
    except (OSError, msgspec.DecodeError) as e:
        raise KpiPlanError(f"KEFU_KPI_TARGETS_FILE {path}: {e}") from None
    for t in plan.targets:
        kind, _, name = t.scope.partition(":")
        if t.metric not in METRICS:
            raise KpiPlanError(f"unknown metric {t.metric!r}; known: {', '.join(METRICS)}")
        if t.scope != "every_agent" and not (kind in ("agent", "team") and name):
            raise KpiPlanError(f"scope {t.scope!r}: every_agent, agent:<id> or team:<name>")
        if kind == "team" and name not in plan.teams:
            raise KpiPlanError(f"scope {t.scope!r} names no team of the plan")
    return plan


def month_window(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of `month` (YYYY-MM) and of the next, in the business time zone."""
    year, number = (int(x) for x in month.split("-"))
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end


def previous_months(month: str, count: int) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    year, number = (int(x) for x in month.split("-"))
    index = year * 12 + number - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


class AppraisalFacts:
    """Reads one month's facts per agent from the ticket and inspection views."""

    def __init__(self, tickets: TicketView, inspections: QualityView, visits: VisitView) -> None:
        self.tickets = tickets
        self.inspections = inspections
        self.visits = visits

    def month(self, start: datetime, end: datetime) -> dict[str, Facts]:
        facts: dict[str, Facts] = {}
        window = {"since": db_time(start), "until": db_time(end)}
        rows = self.tickets.query(
            "SELECT doc FROM ticket_views WHERE assignee_id IS NOT NULL AND ("
            "(opened_at >= :since AND opened_at < :until) OR "
            "(resolved_at >= :since AND resolved_at < :until))",
            window,
        )
        for row in rows:
            ticket = msgspec.json.decode(row["doc"], type=TicketDocument)
            self._add_ticket(facts, ticket, start, end)
        for agent, total in self.inspections.scores(start, end):
            facts.setdefault(agent, Facts()).inspection_totals.append(float(Decimal(total)))
        self._add_visits(facts, start, end)
        return facts

    def _add_visits(self, facts: dict[str, Facts], start: datetime, end: datetime) -> None:
        rows = self.visits.query(
            "SELECT assignee_id, SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done, "
            "COUNT(*) AS due FROM visit_views WHERE assignee_id IS NOT NULL "
            "AND due_on >= :first AND due_on < :after GROUP BY assignee_id",
            {"first": start.date().isoformat(), "after": end.date().isoformat()},
        )
        for row in rows:
            f = facts.setdefault(str(row["assignee_id"]), Facts())
            f.visits_due, f.visits_done = int(row["due"]), int(row["done"] or 0)

    @staticmethod
    def _add_ticket(
        facts: dict[str, Facts], t: TicketDocument, start: datetime, end: datetime
    ) -> None:
        f = facts.setdefault(t.assignee_id or "", Facts())
        if start <= t.opened_at < end and t.first_response_seconds is not None:
            f.first_responses.append(t.first_response_seconds)
        if t.resolved_at is not None and start <= t.resolved_at < end:
            f.resolved += 1
            if t.rating is not None:
                f.ratings.append(t.rating)


def merged(facts: Iterable[Facts]) -> Facts:
    """A team's facts: its agents' together."""
    total = Facts()
    for f in facts:
        total.ratings += f.ratings
        total.first_responses += f.first_responses
        total.resolved += f.resolved
        total.inspection_totals += f.inspection_totals
        total.visits_due += f.visits_due
        total.visits_done += f.visits_done
    return total


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One scope's KPI in the month: actual vs target, and the actuals of the months before."""

    scope: str
    metric: str
    target: float
    higher_is_better: bool
    actual: float | None
    met: bool | None
    trend: tuple[tuple[str, float | None], ...]


def appraisal(plan: KpiPlan, by_month: dict[str, dict[str, Facts]], month: str) -> list[Row]:
    """The report's rows: each target, for each agent it covers, with the months' actuals."""
    rows = []
    for t in plan.targets:
        metric = METRICS[t.metric]
        for scope, pick in _scopes(t.scope, plan, by_month[month]):
            trend = tuple((m, _round(metric.compute(pick(f)))) for m, f in by_month.items())
            actual = trend[-1][1]
            met = (
                None
                if actual is None
                else (actual >= t.target) == metric.higher_is_better or actual == t.target
            )
            rows.append(Row(scope=scope, metric=t.metric, target=t.target,
                            higher_is_better=metric.higher_is_better, actual=actual, met=met,
                            trend=trend))  # fmt: skip
    return rows


Pick = Callable[[dict[str, Facts]], Facts]


def _scopes(scope: str, plan: KpiPlan, month: dict[str, Facts]) -> list[tuple[str, Pick]]:
    kind, _, name = scope.partition(":")
    if kind == "team":
        members = plan.teams[name]
        return [(scope, lambda fs: merged(fs.get(a, Facts()) for a in members))]
    agents = [name] if kind == "agent" else sorted(a for a in month if a)
    return [(f"agent:{a}", _agent(a)) for a in agents]


def _agent(agent: str) -> Pick:
    return lambda facts: facts.get(agent, Facts())


def target_met(actual: float, target: float, higher_is_better: bool) -> bool:
    """Whether `actual` reaches `target` in the metric's better direction."""
    return actual >= target if higher_is_better else actual <= target


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
