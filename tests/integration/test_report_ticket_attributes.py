"""Reports grouped by a ticket's attribute follow the ticket's current value (both backends).

The ticket and satisfaction reports group by the ticket's category, department, priority or
channel as it is now, though the facts were recorded before it changed: in an earlier batch of
the projection or earlier in the same batch, and after an upgrade that added the columns
carrying them (a rebuild fills them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from kefu.bootstrap import Services
from kefu.commands import tickets as ti
from kefu.domain.channels import Channel
from kefu.domain.deadlines import Priority
from kefu.projections.rebuild import rebuild
from kefu.projections.reports.buckets import Period
from kefu.projections.reports.query import ReportQuery
from kefu.projections.reports.satisfaction import satisfaction_report
from kefu.projections.reports.ticket_facts import (
    CARRIED,
    CARRIERS,
    CURRENT,
    TICKETS,
    TicketFactsView,
)
from kefu.projections.reports.tickets import tickets_report
from kefu.projections.runner import ProjectionRunner
from tests.integration.conftest import MovableClock, context
from tests.integration.report_oracle import Ask, Oracle

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2030, 5, 6, 2, 0, tzinfo=UTC)
Opener = Callable[[], Services]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


class Desk:
    """Two tickets whose category, department and priority change after their facts."""

    def __init__(self, services: Services, clock: MovableClock) -> None:
        self.services, self.clock = services, clock
        self.first = self.open(Channel.PHONE)
        self.second = self.open(Channel.EMAIL)

    def open(self, channel: Channel) -> UUID:
        opened = ti.OpenTicket(channel=channel, category="billing", subject="double charge")
        ticket_id: UUID = self.services.tickets.open(opened, context()).answer.id
        return ticket_id

    def act(self, ticket_id: UUID, action: str, command: Any) -> None:
        self.clock.now += timedelta(minutes=7)
        self.services.tickets.act(ticket_id, action, command, context())

    def record_facts(self) -> None:
        """The first stays open, escalated in refunds; the second is resolved there, rated
        and reopened."""
        self.act(self.first, "dispatch", ti.DispatchTicket(department="refunds"))
        self.act(self.first, "escalate", ti.EscalateTicket(reason="slow"))
        self.act(self.second, "dispatch", ti.DispatchTicket(department="refunds"))
        self.act(self.second, "start", ti.StartTicket())
        self.act(self.second, "resolve", ti.ResolveTicket(resolution="refunded", code="fix"))
        self.act(self.second, "rating", ti.RateTicket(score=4))
        self.act(self.second, "reopen", ti.ReopenTicket(reason="charged again"))

    def change_attributes(self) -> None:
        """By redispatch, priority and category; by an escalation with a department."""
        redispatch = ti.RedispatchTicket(department="logistics", reason="a courier's error")
        self.act(self.first, "redispatch", redispatch)
        self.act(self.first, "priority", ti.SetPriority(priority=Priority.URGENT))
        self.act(self.first, "category", ti.SetCategory(category="delivery"))
        self.act(self.second, "category", ti.SetCategory(category="account"))
        escalation = ti.EscalateTicket(
            reason="twice", priority=Priority.IMPORTANT, department="technical"
        )
        self.act(self.second, "escalate", escalation)


@pytest.fixture
def desk(open_desk: Opener, clock: MovableClock) -> Desk:
    """The two tickets with their facts recorded, not yet projected."""
    opened = Desk(open_desk(), clock)
    opened.record_facts()
    return opened


def catch_up(services: Services) -> None:
    ProjectionRunner(services.app, [services.read_models.projection("report_tickets")]).catch_up()


def run(services: Services, report: Any, group: str) -> list[dict[str, Any]]:
    start = START - timedelta(days=1)
    query = ReportQuery(start, START + timedelta(days=2), Period.DAY, group, ZONE, START)
    rows: list[dict[str, Any]] = report(services.read_models.reports, query).rows
    return rows


def totals(rows: list[dict[str, Any]], group: str, metric: str) -> dict[Any, float]:
    """`metric` summed over the periods, by group, where it is not zero."""
    found: dict[Any, float] = {}
    for row in rows:
        found[row[group]] = found.get(row[group], 0) + row[metric]
    return {key: value for key, value in found.items() if value}


def assert_grouped_by_current_values(services: Services) -> None:
    tickets = lambda group, metric: totals(run(services, tickets_report, group), group, metric)  # noqa: E731
    assert tickets("department", "created") == {"logistics": 1, "technical": 1}
    assert tickets("department", "resolved") == {"technical": 1}
    assert tickets("department", "reopened") == {"technical": 1}
    assert tickets("department", "sla_escalations") == {"logistics": 1, "technical": 1}
    assert set(tickets("department", "backlog")) == {"logistics", "technical"}
    assert tickets("category", "created") == {"delivery": 1, "account": 1}
    assert set(tickets("category", "backlog")) == {"delivery", "account"}
    assert tickets("priority", "created") == {"urgent": 1, "important": 1}
    assert tickets("priority", "sla_escalations") == {"urgent": 1, "important": 1}
    assert tickets("channel", "created") == {"phone": 1, "email": 1}
    ratings = lambda group: totals(run(services, satisfaction_report, group), group, "ratings")  # noqa: E731
    assert ratings("category") == {"account": 1}
    assert ratings("channel") == {"email": 1}
    assert ratings("department") == {"refunds": 1}  # where it stood when rated


def assert_equal_to_the_recomputation(services: Services) -> None:
    events = [
        services.app.mapper.to_domain_event(n)
        for n in services.app.recorder.select_notifications(start=1, limit=1000)
    ]
    oracle = Oracle(events)
    start, end = START - timedelta(days=1), START + timedelta(days=2)
    for name, report in (("tickets", tickets_report), ("satisfaction", satisfaction_report)):
        for group in ("category", "department", "priority", "channel"):
            if name == "satisfaction" and group == "priority":
                continue
            expected = oracle.report(name, Ask(start, end, "day", group, ZONE, START))
            rows = run(services, report, group)
            columns = tuple(rows[0])
            assert keyed(rows, columns, group) == keyed(expected, columns, group), (name, group)


def keyed(rows: list[dict[str, Any]], columns: tuple[str, ...], group: str) -> dict[Any, Any]:
    """Rows by (period, group), numbers as floats, a missing count as 0 (as the oracle's)."""
    number = lambda v: float(v) if isinstance(v, int | float) else v  # noqa: E731
    return {(r["period"], r[group]): {c: number(r.get(c, 0)) for c in columns} for r in rows}


def assert_rows_carry_their_tickets_values(services: Services) -> None:
    view: TicketFactsView = services.read_models.reports.tickets
    current = {
        row["id"]: tuple(row[name] for name in CURRENT)
        for row in view.query(f"SELECT * FROM {TICKETS}")
    }
    for table in CARRIERS:
        rows = view.query(f"SELECT * FROM {table}")
        assert rows
        assert {(r["ticket_id"], tuple(r[c] for c in CARRIED)) for r in rows} <= set(
            current.items()
        ), table


def assert_reports_follow_current_values(services: Services) -> None:
    assert_grouped_by_current_values(services)
    assert_equal_to_the_recomputation(services)
    assert_rows_carry_their_tickets_values(services)


def test_facts_of_an_earlier_batch_follow_the_tickets_later_attributes(desk: Desk) -> None:
    services = desk.services
    catch_up(services)
    assert totals(run(services, tickets_report, "department"), "department", "created") == {
        "refunds": 2
    }

    desk.change_attributes()
    catch_up(services)

    assert_reports_follow_current_values(services)


def test_facts_made_earlier_in_the_same_batch_follow_the_tickets_final_attributes(
    desk: Desk,
) -> None:
    services = desk.services
    desk.change_attributes()

    catch_up(services)  # one batch: every event of both tickets

    assert_reports_follow_current_values(services)


def test_tables_made_before_the_carried_columns_get_them_and_a_rebuild_fills_them(
    desk: Desk, open_desk: Opener
) -> None:
    services = desk.services
    desk.change_attributes()
    catch_up(services)
    view: TicketFactsView = services.read_models.reports.tickets
    with view.write() as tx:  # the tables as an older kefu made them
        for table in CARRIERS:
            for column in CARRIED:
                tx.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        if tx.is_postgres:
            tx.execute("DELETE FROM kefu_schema")  # as before an upgrade's migration

    upgraded = open_desk()  # the next start adds the columns, empty
    assert totals(run(upgraded, tickets_report, "department"), "department", "created") == {None: 2}
    open_desk()  # and the one after finds them there

    rebuild(upgraded.app, upgraded.read_models, "report_tickets", lambda _: None)

    assert_grouped_by_current_values(upgraded)
    assert_rows_carry_their_tickets_values(upgraded)
