"""协同工单 on the real stores (both backends): an overdue node is escalated exactly once,
across a crash, a restart and a second runner; the node view and its lights follow the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from kefu.bootstrap import Services
from kefu.commands.collaboration import CompleteNode, OpenNode
from kefu.commands.tickets import DispatchTicket, OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.notice import Notice
from kefu.domain.ticket import Ticket
from kefu.projections.listing import Filter, ListQuery
from kefu.projections.node_projection import NodeView
from tests.integration.conftest import MovableClock, context

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


def escalations(desk: Services, ticket_id: UUID) -> list[str]:
    return [
        e.department for e in desk.app.events.get(ticket_id) if isinstance(e, Ticket.NodeEscalated)
    ]


def notices(desk: Services) -> list[tuple[str, tuple[str, ...]]]:
    """Every notice raised so far: (record id, recipients as named)."""
    found = desk.app.recorder.select_notifications(
        start=0, limit=500, topics=[get_topic(Notice.Raised)]
    )
    raised = [desk.app.mapper.to_domain_event(n) for n in found]
    return [(str(e.record_id), tuple(e.recipients)) for e in raised]


def lights(view: NodeView, light: str, now: datetime) -> list[str]:
    """The departments whose node shows `light` at `now`, by the view's SQL filter; each must
    show the same light by the domain rule."""
    where, params = NodeView.light_condition(light, now)
    rows, _ = view.page(ListQuery(order_by="deadline", extra_where=[where], extra_params=params))
    assert {row.light(now) for row in rows} <= {light}
    return sorted(row.department for row in rows)


def test_an_overdue_node_is_escalated_once_across_a_crash_a_restart_and_a_second_runner(
    open_desk: Any, clock: MovableClock
) -> None:
    desk = open_desk()
    opened = desk.tickets.open(
        OpenTicket(channel=Channel.WECHAT, category="exchange", subject="wrong size"), context()
    )
    ticket_id = opened.answer.id
    desk.tickets.act(ticket_id, "dispatch", DispatchTicket(department="after_sales"), context())
    for department, hours in [("finance", 1), ("warehouse", 1), ("logistics", 5)]:
        command = OpenNode(department=department, due_at=T0 + timedelta(hours=hours))
        desk.tickets.act(ticket_id, "nodes", command, context())
    desk.tickets.act(ticket_id, "complete-node", CompleteNode(department="finance"), context())
    desk.projection_runner().catch_up()

    clock.now = T0 + timedelta(minutes=50)  # 83 % of the warehouse's hour: yellow
    view = desk.read_models.ticket_nodes
    assert lights(view, "yellow", clock.now) == ["warehouse"]
    assert lights(view, "green", clock.now) == ["finance", "logistics"]

    clock.now = T0 + timedelta(hours=2)
    assert desk.collaboration_watch.catch_up() == 1  # escalated, then "crashes" before the view
    restarted = open_desk()
    assert restarted.collaboration_watch.catch_up() == 0  # the stale row: decided again
    assert desk.collaboration_watch.catch_up() == 0
    for runner in (restarted.projection_runner(), desk.projection_runner()):
        runner.catch_up()
        runner.catch_up()

    assert escalations(desk, ticket_id) == ["warehouse"]
    assert restarted.read_models.ticket_nodes.due(clock.now) == []
    assert lights(restarted.read_models.ticket_nodes, "red", clock.now) == ["warehouse"]

    clock.now = T0 + timedelta(hours=6)  # the logistics node passes its deadline too
    restarted.projection_runner().catch_up()
    desk.projection_runner().catch_up()
    assert escalations(desk, ticket_id) == ["warehouse", "logistics"]
    of_ticket = ListQuery(filters=[Filter("ticket_id", "eq", str(ticket_id))], order_by="deadline")
    nodes, _ = view.page(of_ticket)
    assert {(n.department, n.escalated) for n in nodes} == {
        ("finance", False), ("warehouse", True), ("logistics", True),
    }  # fmt: skip
    assert notices(desk) == [  # one per escalation, saved with it, to the department's manager
        (str(ticket_id), ("manager:warehouse",)),
        (str(ticket_id), ("manager:logistics",)),
    ]
