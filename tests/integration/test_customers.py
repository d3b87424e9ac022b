"""Customer files, the visit planner and the timeline on the real stores, both backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from kefu.audit.replay import replay
from kefu.bootstrap import Services
from kefu.commands.agents import RegisterAgent
from kefu.commands.customers import (
    AssignOwner,
    ChangeContact,
    MergeCustomer,
    RecordMilestone,
    RecordOrder,
    RecordSurvey,
    RegisterCustomer,
    SetChannelIds,
)
from kefu.commands.importing import Written, imported_id
from kefu.commands.tickets import DispatchTicket, OpenTicket, ResolveTicket, StartTicket
from kefu.commands.visits import FinishVisit
from kefu.domain.channels import Channel
from kefu.domain.visit import Visit
from kefu.phones import normalise_phone
from kefu.projections.listing import Filter, ListQuery
from kefu.projections.rebuild import rebuild
from kefu.search.index import SearchQuery
from tests.integration.conftest import MovableClock, context

START = datetime(2030, 1, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 February in Shanghai


Opener = Callable[[], Services]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def desk(open_desk: Opener) -> Services:
    return open_desk()


def register(desk: Services, **fields: Any) -> UUID:
    body = {"name": "李雷", "phones": ("138 0013 8000",), **fields}
    return desk.customers.register(RegisterCustomer(**body), context()).answer.id


def sell(desk: Services, customer_id: UUID, number: str = "A-1") -> None:
    order = RecordOrder(number=number, amount=Decimal("3999"), ordered_on=date(2030, 2, 1))
    desk.customers.act(customer_id, "orders", order, context())


def visits(desk: Services, **equal: str) -> list[Any]:
    filters = [Filter(column, "eq", value) for column, value in equal.items()]
    return desk.read_models.visits.page(ListQuery(filters=filters, limit=500))[0]


def scheduled_events(desk: Services) -> int:
    topic = get_topic(Visit.Scheduled)
    return len(desk.app.recorder.select_notifications(start=0, limit=10_000, topics=[topic]))


def test_a_sale_plans_its_visits_once_across_restarts_and_a_full_replay(
    open_desk: Opener,
) -> None:
    desk = open_desk()
    customer_id = register(desk, tier="member")
    sell(desk, customer_id)
    desk.projection_runner().catch_up()

    restarted = open_desk()
    restarted.projection_runner().catch_up()
    restarted.visit_planner.replay()
    restarted.projection_runner().catch_up()

    planned = {(v.rule, v.due_on, v.finish_by) for v in visits(restarted)}
    assert planned == {
        ("7dc-sale", date(2030, 2, 3), date(2030, 2, 6)),
        ("maintenance-3-months", date(2030, 5, 1), date(2030, 5, 4)),
    }
    assert scheduled_events(restarted) == 2


def test_a_resolved_ticket_plans_a_satisfaction_visit_for_the_owner_agent(desk: Services) -> None:
    customer_id = register(desk)
    agent = RegisterAgent(name="王芳", extension="8001")
    agent_id = desk.agents.register(agent, context()).answer.id
    desk.customers.act(customer_id, "owner", AssignOwner(agent_id=agent_id), context())
    opened = OpenTicket(
        channel=Channel.PHONE, category="repair", subject="no power", customer_id=customer_id
    )
    ticket_id = desk.tickets.open(opened, context()).answer.id
    desk.tickets.act(ticket_id, "dispatch", DispatchTicket(department="repairs"), context())
    desk.tickets.act(ticket_id, "start", StartTicket(), context())
    desk.tickets.act(ticket_id, "resolve", ResolveTicket(resolution="fixed", code="FIX"), context())

    desk.projection_runner().catch_up()

    [visit] = visits(desk, rule="ticket-satisfaction")
    assert (visit.assignee_id, visit.due_on) == (str(agent_id), date(2030, 2, 2))


def test_a_visit_that_raises_a_new_need_opens_exactly_one_ticket(desk: Services) -> None:
    customer_id = register(desk)
    sell(desk, customer_id)
    desk.projection_runner().catch_up()
    visit = visits(desk, rule="7dc-sale")[0]
    outcome = FinishVisit(reached=True, satisfaction=4, new_need="a second sofa", open_ticket=True)
    desk.visits.act(visit.id, "done", outcome, context())

    desk.projection_runner().catch_up()
    desk.visit_planner.replay()
    desk.projection_runner().catch_up()

    tickets = desk.read_models.tickets.page(ListQuery(limit=50))[0]
    assert [(t.customer_id, t.category, t.subject) for t in tickets] == [
        (str(customer_id), "return-visit", "a second sofa")
    ]


def test_a_customer_silent_for_six_months_gets_one_lost_customer_visit(
    desk: Services, clock: MovableClock
) -> None:
    register(desk)
    desk.projection_runner().catch_up()
    assert visits(desk, rule="lost-customer-6-months") == []

    clock.now = START + timedelta(days=200)
    desk.projection_runner().catch_up()
    desk.visit_planner.sweep()
    clock.now += timedelta(hours=2)
    desk.projection_runner().catch_up()

    [lost] = visits(desk, rule="lost-customer-6-months")
    assert lost.due_on == date(2030, 8, 1)


def test_an_imported_silence_gets_a_visit_only_when_it_falls_due_after_the_import(
    desk: Services, clock: MovableClock
) -> None:
    """Two files imported at START: one silent for a year (past due before it came here: the
    source system's to act on), one for five months (due a month after the import)."""
    importer = desk.importer("zammad", "ops-li")
    lines = [
        {"type": "customer", "id": name, "at": (START - silent).isoformat(),
         "create": {"name": name, "phones": [phone]}}
        for name, silent, phone in (
            ("long-gone", timedelta(days=365), "13800000001"),
            ("going", timedelta(days=150), "13800000002"),
        )
    ]  # fmt: skip
    encoded = (json.dumps(line).encode() for line in lines)
    assert all(isinstance(r, Written) for r in importer.import_lines(enumerate(encoded, 1)))
    desk.projection_runner().catch_up()  # the files in the views (and the runner's sweep)
    desk.visit_planner.sweep()
    desk.projection_runner().catch_up()
    assert visits(desk, rule="lost-customer-6-months") == []  # "going" is not due yet

    clock.now = START + timedelta(days=40)
    desk.visit_planner.sweep()
    desk.projection_runner().catch_up()
    [lost] = visits(desk, rule="lost-customer-6-months")
    assert lost.customer_id == imported_id("zammad", "customer", "going")


def found_by_phone(desk: Services, phone: str) -> list[UUID]:
    condition, params = desk.read_models.customers.key_condition("phone", phone)
    query = ListQuery(extra_where=[condition], extra_params=params)
    return [c.id for c in desk.read_models.customers.page(query)[0]]


def test_a_landline_written_with_country_and_trunk_code_is_found_by_its_local_spelling(
    desk: Services,
) -> None:
    customer = register(desk, phones=("+86 010 12345678",))
    desk.projection_runner().catch_up()
    assert found_by_phone(desk, normalise_phone("010-12345678")) == [customer]


def test_a_number_stored_in_the_old_form_is_found_by_its_normal_form(
    desk: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The home-grown normaliser this replaced stored `+86 010 12345678` as `+8601012345678`.
    monkeypatch.setattr("kefu.commands.customers.normalise_phone", lambda _: "+8601012345678")
    customer = register(desk, phones=("+86 010 12345678",))
    desk.projection_runner().catch_up()
    assert desk.read_models.customers.get(customer).phones == ("+8601012345678",)  # type: ignore[union-attr]
    assert found_by_phone(desk, normalise_phone("010-12345678")) == [customer]


def test_after_a_merge_the_duplicates_phone_and_wechat_id_find_the_survivor_and_its_timeline(
    desk: Services,
) -> None:
    survivor = register(desk, phones=("139 1111 2222",))
    duplicate = register(desk, phones=("138 0013 8000",))
    sell(desk, duplicate)
    desk.customers.act(duplicate, "channel-ids", SetChannelIds(wechat=("oDup",)), context())
    desk.customers.act(duplicate, "merge", MergeCustomer(into=survivor), context())
    desk.projection_runner().catch_up()

    condition, params = desk.read_models.customers.key_condition("phone", "+8613800138000")
    found = desk.read_models.customers.page(
        ListQuery(extra_where=[condition], extra_params=params)
    )[0]
    assert [c.id for c in found] == [survivor]
    view = desk.read_models.customers.get(survivor)
    assert view is not None and view.merged_from == (duplicate,)
    assert desk.read_models.customers.files_with_sender("wechat", "oDup") == [survivor]
    ids = [str(survivor), str(duplicate)]
    entries = desk.read_models.timeline.for_customers(ids, ListQuery(order_by="at", limit=50))[0]
    assert {"order", "merge", "visit"} <= {e.kind for e in entries}


def test_the_timeline_pages_through_every_case_in_time_order(
    desk: Services, clock: MovableClock
) -> None:
    customer_id = register(desk)
    for n in range(5):
        clock.now += timedelta(minutes=1)
        opened = OpenTicket(
            channel=Channel.EMAIL, category="c", subject=f"case {n}", customer_id=customer_id
        )
        desk.tickets.open(opened, context())
    desk.projection_runner().catch_up()

    titles, cursor = [], None
    while True:
        page, cursor = desk.read_models.timeline.for_customers(
            [str(customer_id)], ListQuery(order_by="at", limit=2, cursor=cursor)
        )
        titles += [e.title for e in page]
        if cursor is None:
            break
    assert titles == ["customer file opened", *(f"case {n}" for n in range(5))]


def test_a_planner_that_lost_its_tracking_still_makes_no_second_task(
    desk: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    sell(desk, register(desk))
    desk.projection_runner().catch_up()
    monkeypatch.setattr("kefu.processes.visit_planner.PLANNER_NAME", "visit_planner_amnesiac")

    desk.visit_planner.catch_up()
    desk.visit_planner.catch_up()

    assert scheduled_events(desk) == 2
    assert desk.app.processed_position("visit_planner_amnesiac") > 0


def test_a_merge_moves_the_duplicates_orders_milestones_and_surveys_onto_the_survivor(
    desk: Services,
) -> None:
    survivor = register(desk, phones=("139 1111 2222",), email="li@example.cn")
    duplicate = register(desk, phones=("010-12345678",), email="LI@example.cn ")
    sell(desk, duplicate, "D-1")
    milestone = RecordMilestone(kind="delivery", on=date(2030, 2, 3))
    desk.customers.act(duplicate, "milestones", milestone, context())
    survey = RecordSurvey(answered_on=date(2030, 2, 4), rating=5)
    desk.customers.act(duplicate, "surveys", survey, context())
    desk.projection_runner().catch_up()
    before = desk.read_models.customers.get(survivor)
    assert before is not None
    assert desk.read_models.customers.likely_duplicates(before) == {duplicate: ["email"]}

    desk.customers.act(duplicate, "merge", MergeCustomer(into=survivor), context())
    desk.projection_runner().catch_up()

    view = desk.read_models.customers.get(survivor)
    assert view is not None
    assert [o.number for o in view.orders] == ["D-1"]
    assert [(m.kind, s.rating) for m, s in zip(view.milestones, view.surveys, strict=True)] == [
        ("delivery", 5)
    ]
    assert desk.read_models.customers.likely_duplicates(view) == {}  # merged files drop out
    assert found_by_phone(desk, normalise_phone("+86 10 1234 5678")) == [survivor]


def test_a_merge_moves_the_duplicates_open_visits_to_the_survivor_and_leaves_done_ones(
    desk: Services,
) -> None:
    survivor = register(desk, phones=("139 1111 2222",))
    duplicate = register(desk, tier="member")
    sell(desk, duplicate)
    desk.projection_runner().catch_up()
    planned = visits(desk, customer_id=str(duplicate))
    done, *still_open = planned
    desk.visits.act(done.id, "done", FinishVisit(reached=True, satisfaction=5), context())

    desk.customers.act(duplicate, "merge", MergeCustomer(into=survivor), context())
    desk.projection_runner().catch_up()
    desk.projection_runner().catch_up()  # the planner moves them once the view has the merge

    moved = visits(desk, customer_id=str(survivor))
    assert still_open and {v.id for v in moved} == {v.id for v in still_open}
    assert [v.id for v in visits(desk, customer_id=str(duplicate))] == [done.id]
    desk.visit_planner.replay()  # a replay moves nothing twice
    history = [type(e).__name__ for v in still_open for e in desk.app.events.get(v.id)]
    assert history.count("MovedToCustomer") == len(still_open)


def test_a_rebuilt_customer_view_searches_files_identically(desk: Services) -> None:
    wang = register(desk, name="王小明", address="上海市浦东新区世纪大道", tags=("婚纱摄影",))
    sell(desk, wang, number="婚纱套餐-A1")
    li = register(desk, name="李雷", phones=("139 1111 2222",), email="lilei@example.com")
    desk.customers.act(li, "contact", ChangeContact(name="李蕾"), context())
    duplicate = register(desk, name="王小明", phones=("137 0000 1111",))
    desk.customers.act(duplicate, "merge", MergeCustomer(into=wang), context())
    desk.projection_runner().catch_up()
    view = desk.read_models.customers
    queries = ("王小明", "浦东", "婚纱", "13700001111", "13911112222", "lilei@example.com", "李雷")

    def searched() -> list[list[tuple[str, float, str]]]:
        hits = (view.search(SearchQuery(q, exact=True)) for q in queries)
        return [[(h.doc_id, h.score, h.snippet) for h in found] for found in hits]

    def indexed() -> list[Any]:
        docs = view.query("SELECT doc_id, title, body FROM customer_search_texts ORDER BY doc_id")
        return [tuple(r.values()) for r in docs]

    before, rows = searched(), indexed()
    assert [[doc_id for doc_id, _, _ in found] for found in before] == [
        [str(wang)],
        [str(wang)],
        [str(wang)],
        [str(wang)],
        [str(li)],
        [str(li)],
        [],
    ]  # the duplicate's number finds the survivor; the old name finds no one

    rebuild(desk.app, desk.read_models, "customer_views", lambda _: None)

    assert searched() == before
    assert indexed() == rows
    replayed = replay(desk.app, desk.read_models, lambda _: None)  # every table, row by row
    assert replayed.ok, [str(d) for d in replayed.differences]
