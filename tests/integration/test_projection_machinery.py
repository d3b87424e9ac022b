"""Every projection on the real stores (both backends): crash-safe batches, rebuilds that are
swapped in while queries and the live runner keep going, and the lag in events and seconds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from kefu.audit.replay import tables_of
from kefu.bootstrap import Services
from kefu.commands.calls import LinkCall, StartCall
from kefu.commands.customers import RegisterCustomer
from kefu.domain.call_lifecycle import Direction
from kefu.projections.batch import BatchProjection
from kefu.projections.listing import ListQuery
from kefu.projections.read_models import ReadModels
from kefu.projections.rebuild import PREFIX, rebuild, rebuild_all
from kefu.projections.runner import ProjectionRunner
from kefu.projections.sql import SqlView
from kefu.projections.status import projection_lags
from kefu.store.times import from_db_time
from tests.integration.conftest import ServicesFactory, context
from tests.integration.workload import Workload

STEPS = 400
SEED = 20300304
SMALL_BATCH = 23

Tables = dict[str, list[tuple[str | None, ...]]]


def head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def all_tables(read_models: ReadModels) -> Tables:
    """Every table of every projection, rows as sorted tuples of text."""
    return {
        f"{p.name}.{table}": sorted(_rows(p, table), key=repr)
        for p in read_models.projections
        for table in tables_of(p)
    }


def _rows(projection: BatchProjection[Any], table: str) -> Iterator[tuple[str | None, ...]]:
    for row in projection.view.query(f"SELECT * FROM {table}"):
        yield tuple(None if v is None else str(v) for v in row.values())


def positions(read_models: ReadModels) -> dict[str, int]:
    return {p.name: p.view.max_tracking_id(p.name) or 0 for p in read_models.projections}


def catch_up(services: Services, batch_size: int = SMALL_BATCH) -> None:
    ProjectionRunner(services.app, services.read_models.projections, batch_size).catch_up()


@pytest.fixture
def reference(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Any
) -> Iterator[Callable[[Services], ReadModels]]:
    """Read models in a second, empty database of the same backend, built by an uninterrupted
    run over the test's event store."""
    opened: list[ReadModels] = []

    def build(services: Services) -> ReadModels:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
        else:
            url = request.getfixturevalue("create_postgres_database")()
        opened.append(ReadModels(url))
        ProjectionRunner(services.app, opened[-1].projections, batch_size=500).catch_up()
        return opened[-1]

    yield build
    for read_models in opened:
        read_models.close()


def dying_on(call: int) -> Callable[..., None]:
    """A tracking insert that kills the process on its `call`-th use, rows already written."""
    original = SqlView.insert_tracking_in
    calls = 0

    def insert(self: SqlView, cursor: Any, tracking: Any) -> None:
        nonlocal calls
        calls += 1
        original(self, cursor, tracking)
        if calls == call:
            raise SystemExit("killed mid-batch")

    return insert


def test_runners_killed_mid_batch_and_restarted_leave_every_table_as_an_uninterrupted_run(
    open_services: ServicesFactory,
    reference: Callable[[Services], ReadModels],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = open_services()
    Workload(services, SEED).run(STEPS)
    for kill_at in (9, 31, 17, 40):
        with monkeypatch.context() as patch:
            patch.setattr(SqlView, "insert_tracking_in", dying_on(kill_at))
            with pytest.raises(SystemExit):
                catch_up(services)
        services = open_services()  # the restarted process

    catch_up(services)

    expected = reference(services)
    assert positions(services.read_models) == dict.fromkeys(positions(expected), head(services))
    assert all_tables(services.read_models) == all_tables(expected)


def test_every_projection_rebuilt_from_position_zero_is_identical_to_the_live_one(
    services: Services,
) -> None:
    workload = Workload(services, SEED)
    for _ in range(4):  # the live views grow in small batches, between commands
        workload.run(STEPS // 4)
        catch_up(services)
    live, live_positions = all_tables(services.read_models), positions(services.read_models)

    swapped = rebuild_all(services.app, services.read_models, lambda _: None)

    assert swapped == live_positions == dict.fromkeys(live_positions, head(services))
    assert positions(services.read_models) == live_positions
    assert all_tables(services.read_models) == live
    assert sum(len(rows) for rows in live.values()) > STEPS


def schema_objects(view: SqlView) -> set[str]:
    """The names of every table and index in the database."""
    if view.is_postgres:
        sql = (
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() "
            "UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"
    return {str(row["name"]) for row in view.query(sql)}


def test_a_rebuild_leaves_the_same_tables_and_indexes_and_no_tracking_behind(
    services: Services,
) -> None:
    Workload(services, SEED).run(60)
    catch_up(services)
    view: SqlView = services.read_models.customers
    tables, objects = all_tables(services.read_models), schema_objects(view)

    rebuild(services.app, services.read_models, "customer_views", lambda _: None)
    rebuild(services.app, services.read_models, "customer_views", lambda _: None)

    assert all_tables(services.read_models) == tables
    assert schema_objects(view) == objects
    assert not [name for name in objects if name.startswith(PREFIX)]
    assert view.max_tracking_id(PREFIX + "customer_views") is None


def test_queries_answer_from_the_live_tables_while_a_rebuild_is_under_way(
    services: Services,
) -> None:
    Workload(services, SEED).run(200)
    catch_up(services)
    tickets = services.read_models.tickets
    count = tickets.query("SELECT COUNT(*) AS n FROM ticket_views")[0]["n"]
    seen_during: list[int] = []

    def progress(message: str) -> None:
        seen_during.append(tickets.query("SELECT COUNT(*) AS n FROM ticket_views")[0]["n"])

    rebuild(services.app, services.read_models, "ticket_views", progress)

    assert count > 0
    assert seen_during and set(seen_during) == {count}


def test_a_rebuild_swapped_in_while_the_runner_follows_new_commands_loses_and_doubles_nothing(
    services: Services, reference: Callable[[Services], ReadModels]
) -> None:
    workload = Workload(services, SEED)
    workload.run(150)
    catch_up(services)
    stop = threading.Event()
    runner = ProjectionRunner(services.app, services.read_models.projections, batch_size=5)
    follower = threading.Thread(
        target=runner.run_forever, args=(stop,), kwargs={"safety_poll": 0.2}
    )
    follower.start()
    writer = threading.Thread(target=workload.run, args=(150,))
    writer.start()
    try:
        for name in ("ticket_views", "actor_events", "customer_views"):
            rebuild(services.app, services.read_models, name, lambda _: None)
    finally:  # never close the stores under a thread that still uses them
        writer.join(timeout=120)
        stop.set()
        follower.join(timeout=30)
    catch_up(services)

    expected = reference(services)
    assert all_tables(services.read_models) == all_tables(expected)


def test_the_lag_counts_events_and_the_seconds_since_the_oldest_unprocessed_one(
    services: Services,
) -> None:
    Workload(services, SEED).run(20)
    oldest = from_db_time(services.app.chain.first_time_after(0))
    assert oldest is not None

    behind = projection_lags(services.app, services.read_models, oldest + timedelta(seconds=90))
    catch_up(services)
    caught_up = projection_lags(services.app, services.read_models, oldest + timedelta(days=1))

    assert [(lag.behind, lag.seconds) for lag in behind] == [(head(services), 90.0)] * len(behind)
    assert [(lag.behind, lag.seconds) for lag in caught_up] == [(0, 0.0)] * len(caught_up)


def test_a_call_linked_to_a_customer_after_it_started_joins_the_customer_timeline(
    services: Services,
) -> None:
    call_id = services.calls.start(
        StartCall(direction=Direction.INBOUND, customer_number="13800000000", hotline="4008"),
        context(),
    ).answer.id
    file = RegisterCustomer(name="李雷")
    customer = services.customers.register(file, context()).answer.id
    services.calls.act(call_id, "link", LinkCall(customer_id=customer), context())

    catch_up(services)

    entries, _ = services.read_models.timeline.for_customers([str(customer)], ListQuery())
    assert [e.source_id for e in entries if e.kind == "call"] == [call_id]


def test_a_runner_asked_to_stop_returns_after_the_batch_in_hand_however_far_behind(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workload(services, SEED).run(60)
    stop = threading.Event()
    runner = ProjectionRunner(services.app, services.read_models.projections, batch_size=5)
    step_all = runner.step_all

    def step_while_asked_to_stop() -> int:  # SIGTERM arrives while a batch is applied
        read = step_all()
        stop.set()
        return read

    monkeypatch.setattr(runner, "step_all", step_while_asked_to_stop)
    assert 0 < runner.catch_up(stop) <= 5
    assert max(positions(services.read_models).values()) < head(services)

    catch_up(services)  # a restart resumes where it stopped
    assert set(positions(services.read_models).values()) == {head(services)}
