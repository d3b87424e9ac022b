"""Every report equals a slow, obvious recomputation from the raw events of a random workload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kefu.bootstrap import Services, build_services
from kefu.http.reports import REPORTS
from kefu.projections.reports.buckets import Period
from kefu.projections.reports.query import ReportQuery
from kefu.settings import Settings
from kefu.store.times import db_time
from tests.integration.report_oracle import Ask, Oracle
from tests.integration.report_workload import FakeClock, Workload

SEED = 20300325
STEPS = 2500
ZONE = ZoneInfo("Asia/Shanghai")
# Late March into April: the month and several ISO weeks turn over under the workload.
START = datetime(2030, 3, 24, 13, 0, tzinfo=UTC)


@pytest.fixture
def loaded(database_url: str) -> Iterator[tuple[Services, Oracle]]:
    clock = FakeClock(START)
    services = build_services(Settings(database_url=database_url), clock=clock)
    try:
        Workload(services, clock, SEED).run(STEPS)
        runner = services.projection_runner()
        # Passes until the automation has nothing left to do: its timers (built by the first
        # pass) fire warnings and breaches, then escalations, each read by the reports.
        for _ in range(6):
            if runner.catch_up() == 0:
                break
        yield services, Oracle(_all_events(services))
    finally:
        services.close()


def _all_events(services: Services) -> list[Any]:
    events, position = [], 0
    while page := services.app.recorder.select_notifications(
        start=position, limit=1000, inclusive_of_start=False
    ):
        events += [services.app.mapper.to_domain_event(n) for n in page]
        position = page[-1].id
    return events


def _asks(services: Services) -> list[tuple[str, str, str | None, datetime, datetime]]:
    """Each report by every period, grouped by each of its groupings and by none, over the whole
    run and over a window that cuts periods in half."""
    whole = (START - timedelta(days=1), services.clock() + timedelta(days=8))
    part = (START + timedelta(days=3, hours=5), START + timedelta(days=11, hours=17))
    asks = []
    for name, spec in REPORTS.items():
        groups = spec.groups or (None,)
        groups = groups if spec.default_group else (None, *groups)
        for period in Period:
            for group in dict.fromkeys(groups):
                for start, end in (whole, part):
                    asks.append((name, str(period), group, start, end))
    return asks


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return db_time(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _keyed(
    rows: list[dict[str, Any]], columns: tuple[str, ...], key: tuple[str, ...]
) -> dict[Any, Any]:
    return {
        tuple(row[k] for k in key): {c: _normal(row.get(c, 0)) for c in columns} for row in rows
    }


def test_every_report_equals_its_recomputation_from_the_events(
    loaded: tuple[Services, Oracle],
) -> None:
    services, oracle = loaded
    now = services.clock()
    assert len(oracle.tickets) > 100 and len(oracle.calls) > 100 and oracle.segments
    assert oracle.complaints and oracle.visits and oracle.spells
    assert {"assigned", "warning", "breach"} <= {f["kind"] for f in oracle.sla_facts}
    assert "withdrawn" in {f["kind"] for f in oracle.ticket_facts}  # cancelled or duplicates
    checked = 0
    for name, period, group, start, end in _asks(services):
        query = ReportQuery(start, end, Period(period), group, ZONE, now)
        report = REPORTS[name].run(services.read_models.reports, query)
        expected = oracle.report(name, Ask(start, end, period, group, ZONE, now))
        key = (
            ("period", "kind", "id")
            if name == "ledger"
            else ("period", *([group] if group else []))
        )
        assert _keyed(report.rows, report.columns, key) == _keyed(expected, report.columns, key), (
            f"{name} by {period}, grouped by {group}, {start}..{end}"
        )
        assert [tuple(r[k] for k in key) for r in report.rows] == sorted(
            (tuple(r[k] for k in key) for r in report.rows), key=_order
        ) or name == "ledger"
        checked += 1
    assert checked > 50


def _order(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is not None, v if v is not None else "") for v in key)
