"""Department scopes: the token syntax, which records a scope holds, and the same rules as SQL."""

from __future__ import annotations

import sqlite3

import pytest

from kefu.auth import Caller, Role, TokenConfigError, TokenRegistry
from kefu.domain.complaint_lifecycle import ComplaintStatus
from kefu.http.scoping import (
    FRONT_DESK,
    Listed,
    OneRecord,
    OutOfScope,
    list_condition,
    may_see,
    policy_for,
    within_scope,
)
from kefu.projections.agent_projection import groups_column
from kefu.projections.listing import ListQuery
from tests.unit.complaint_builders import A as C
from tests.unit.complaint_builders import complaint_in, walk
from tests.unit.test_ticket import later, meta, open_ticket


def scoped(*departments: str, queues: tuple[str, ...] = ()) -> Caller:
    return Caller("desk", Role.SERVICE, frozenset(departments), frozenset(queues))


def test_a_token_line_may_name_departments_and_queues() -> None:
    tokens = TokenRegistry.from_settings(
        "a:desk-all:service,b:desk-fin:service:finance+billing,c:pbx:service::hotline+vip_line",
        "",
    )
    assert tokens.caller("a") == Caller("desk-all", Role.SERVICE)
    assert tokens.caller("b") == Caller(
        "desk-fin", Role.SERVICE, frozenset({"finance", "billing"}), frozenset()
    )
    assert tokens.caller("c") == Caller(
        "pbx", Role.SERVICE, frozenset(), frozenset({"hotline", "vip_line"})
    )
    assert not Caller("desk-all", Role.ADMIN).scoped
    assert tokens.caller("c").scoped  # type: ignore[union-attr]


def test_a_token_line_with_more_than_five_fields_is_refused() -> None:
    with pytest.raises(TokenConfigError, match="departments"):
        TokenRegistry.from_settings("a:desk:service:finance:hotline:extra", "")


def test_a_ticket_belongs_to_the_front_desk_until_dispatched_and_to_its_nodes() -> None:
    ticket = open_ticket()
    assert may_see(scoped(FRONT_DESK), ticket)
    assert not may_see(scoped("finance"), ticket)

    ticket.dispatch(department="refunds", agent_id=None, meta=meta(n=2), at=later(5))
    assert may_see(scoped("refunds"), ticket)
    assert not may_see(scoped(FRONT_DESK, "finance"), ticket)

    ticket.start(meta=meta(n=3), at=later(6))
    ticket.open_node(
        department="finance", owner_id=None, deliverable="the refund", warn_at=later(60),
        due_at=later(120), meta=meta(n=4), at=later(7),
    )  # fmt: skip
    assert may_see(scoped("finance"), ticket)
    assert may_see(Caller("root", Role.ADMIN), ticket)  # unscoped
    assert not may_see(scoped(), ticket)  # an empty scope holds nothing


def test_a_complaint_belongs_to_the_front_desk_its_responsible_and_task_departments() -> None:
    complaint = complaint_in(ComplaintStatus.REGISTERED)
    assert may_see(scoped(FRONT_DESK), complaint)
    assert not may_see(scoped("quality"), complaint)

    walk(complaint, C.ACKNOWLEDGE, C.FACTS, C.ATTRIBUTE)  # attributed to quality
    assert may_see(scoped("quality"), complaint)
    assert not may_see(scoped("finance"), complaint)

    walk(complaint, C.PROPOSE, C.ACCEPT, C.ASSIGN_TASK, start=30)  # a task for finance
    assert may_see(scoped("finance"), complaint)


def _rows(sql_rows: list[tuple[str, str | None, str]], caller: Caller) -> list[str]:
    """The ids a scoped list of tickets keeps, on SQLite in memory."""
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE ticket_views (id TEXT, department TEXT, departments TEXT)")
        db.executemany("INSERT INTO ticket_views VALUES (?, ?, ?)", sql_rows)
        query = within_scope(caller, "ticket_views", ListQuery())
        where = " AND ".join(query.extra_where)
        found = db.execute(
            f"SELECT id FROM ticket_views WHERE {where} ORDER BY id", query.extra_params
        )
        return [row[0] for row in found]


def test_the_list_condition_keeps_the_tickets_the_scope_may_see() -> None:
    rows = [
        ("new", None, groups_column(())),
        ("finance", "finance", groups_column(("finance",))),
        ("refunds+finance-node", "refunds", groups_column(("refunds", "finance"))),
        ("after_sales", "after_sales", groups_column(("after_sales",))),
        ("afterXsales", "afterXsales", groups_column(("afterXsales",))),
    ]
    assert _rows(rows, scoped("finance")) == ["finance", "refunds+finance-node"]
    assert _rows(rows, scoped(FRONT_DESK)) == ["new"]
    assert _rows(rows, scoped("after_sales")) == ["after_sales"]  # `_` is no wildcard
    assert _rows(rows, scoped()) == []


def test_an_unscoped_caller_gets_no_condition_and_a_view_without_a_rule_is_refused() -> None:
    assert list_condition(Caller("root", Role.ADMIN), "ticket_views") is None
    assert list_condition(scoped("finance"), "article_views") is None  # shared knowledge
    with pytest.raises(OutOfScope):
        list_condition(scoped("finance"), "webhook_views")


def test_routes_not_in_the_table_are_refused_and_records_are_named_by_kind() -> None:
    assert policy_for("/reports/tickets", "GET") is None
    assert policy_for("/audit/verify", "GET") is None
    assert policy_for("/tickets", "GET") == Listed()
    assert isinstance(policy_for("/tickets/{aggregate_id:uuid}/{action}", "POST"), OneRecord)
    assert policy_for("/tickets/{aggregate_id:uuid}/{action}", "GET") is None
