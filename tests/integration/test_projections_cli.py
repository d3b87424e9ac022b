"""`kefu projections status` and `kefu projections rebuild` as an operator runs them."""

from __future__ import annotations

import pytest

from kefu.cli.main import main
from tests.integration.conftest import ServicesFactory
from tests.integration.test_projection_machinery import all_tables, catch_up
from tests.integration.workload import Workload


def test_status_prints_each_projection_position_and_lag_in_events_and_seconds(
    open_services: ServicesFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = open_services()
    Workload(services, 1).run(30)
    head = services.app.recorder.max_notification_id()
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    assert main(["projections", "status"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["projection", "position", "behind", "seconds"]
    tickets = next(line.split() for line in lines if line.startswith("ticket_views "))
    assert tickets[:3] == ["ticket_views", "0", str(head)]
    assert float(tickets[3]) >= 0
    assert lines[-1].split() == ["(log", "head)", str(head)]


def test_rebuild_all_shows_progress_and_leaves_the_views_as_they_were(
    open_services: ServicesFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = open_services()
    Workload(services, 2).run(80)
    catch_up(services)
    before = all_tables(services.read_models)
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    assert main(["projections", "rebuild", "--all"]) == 0

    progress = capsys.readouterr().err
    assert all(
        f"{p.name}: rebuilt and swapped in" in progress for p in services.read_models.projections
    )
    # Not a terminal: no bar, one plain line per milestone (a log stays parseable).
    assert "\r" not in progress and "\x1b" not in progress
    assert all(line.startswith("  … ") for line in progress.splitlines())
    assert all_tables(services.read_models) == before


def test_rebuild_of_an_unknown_projection_exits_2_and_names_the_known_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    assert main(["projections", "rebuild", "tickets"]) == 2

    assert "ticket_views" in capsys.readouterr().err
