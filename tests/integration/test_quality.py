"""Quality inspection on both backends: the draw reads the views, scores add up, replay agrees."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from kefu.audit.replay import replay
from kefu.bootstrap import Services
from kefu.commands.agents import RegisterAgent
from kefu.commands.quality import CreateScorecard, CriterionBody, DrawSample, ScoreInspection
from kefu.commands.tickets import (
    CloseTicket,
    DispatchTicket,
    OpenTicket,
    RateTicket,
    ResolveTicket,
)
from kefu.domain.channels import Channel
from kefu.projections.appraisal import AppraisalFacts, month_window
from kefu.projections.listing import ListQuery
from tests.integration.conftest import context


def quiet(_: str) -> None:
    return None


def register_agent(services: Services, name: str, extension: str) -> str:
    command = RegisterAgent(name=name, extension=extension)
    return str(services.agents.register(command, context()).answer.id)


def closed_ticket(services: Services, agent: str, score: int) -> None:
    opened = OpenTicket(channel=Channel.PHONE, category="repair", subject="漏水")
    ticket_id = services.tickets.open(opened, context()).answer.id
    for action, command in (
        ("dispatch", DispatchTicket(department="repairs", agent_id=UUID(agent))),
        ("resolve", ResolveTicket(resolution="换阀门", code="fixed")),
        ("rating", RateTicket(score=score)),
        ("close", CloseTicket()),
    ):
        services.tickets.act(ticket_id, action, command, context())


def test_a_drawn_and_scored_week_replays_and_feeds_the_appraisal(services: Services) -> None:
    first = register_agent(services, "王芳", "8001")
    second = register_agent(services, "李娜", "8002")
    for agent, score in ((first, 5), (first, 2), (second, 4)):
        closed_ticket(services, agent, score)
    services.projection_runner().catch_up()
    criteria = (CriterionBody(key="resolution", title="解决", weight=1, max_points=3),)
    card = services.scorecards.add(CreateScorecard(name="q", criteria=criteria), context())
    week = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).isocalendar()
    draw = DrawSample(
        week=f"{week.year}-W{week.week:02d}", scorecard_id=card.answer.id, inspectors=("qa",),
        per_agent=1, seed=5,
    )  # fmt: skip
    services.inspections.draw(draw, context())
    services.projection_runner().catch_up()
    inspections, _ = services.read_models.quality.page(ListQuery())
    assert sorted(i.agent_id for i in inspections) == sorted([first, second])
    for i in inspections:
        points = {"resolution": 2 if i.agent_id == first else 3}
        services.inspections.act(i.id, "score", ScoreInspection(inspector_id="qa", points=points),
                                 context())  # fmt: skip
    services.projection_runner().catch_up()

    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    models = services.read_models
    facts = AppraisalFacts(models.tickets, models.quality, models.visits)
    by_agent = facts.month(*month_window(month, ZoneInfo("Asia/Shanghai")))
    assert sorted(by_agent[first].ratings) == [2, 5]
    assert by_agent[first].inspection_totals == [float(Decimal("66.67"))]
    assert by_agent[second].inspection_totals == [100.0]
    result = replay(services.app, services.read_models, quiet)
    assert result.ok, [str(d) for d in result.differences]
