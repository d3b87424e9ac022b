"""`kefu audit replay` rebuilds every read model from the events and names each difference."""

from __future__ import annotations

import pytest

from kefu.audit.replay import replay, tables_of
from kefu.bootstrap import Services
from kefu.cli.main import main
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from tests.integration.conftest import context
from tests.integration.test_tamper_evidence import tickets_with_history


def quiet(_: str) -> None:
    return None


def test_live_read_models_equal_a_replay_of_the_events(services: Services) -> None:
    tickets_with_history(services, count=4, urges=3)
    services.projection_runner().catch_up()

    result = replay(services.app, services.read_models, quiet)

    assert result.ok, [str(d) for d in result.differences]
    assert result.positions["ticket_views"] == services.app.recorder.max_notification_id()


def test_a_live_view_edited_behind_the_projection_is_named(
    services: Services,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = tickets_with_history(services, count=2, urges=1)
    services.projection_runner().catch_up()
    tickets = services.read_models.tickets
    with tickets.write() as tx:
        tx.execute("UPDATE ticket_views SET status = 'closed' WHERE id = :id", {"id": str(ids[1])})

    result = replay(services.app, services.read_models, quiet)
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    exit_status = main(["audit", "replay"])

    assert [(d.projection, d.table, d.key) for d in result.differences] == [
        ("ticket_views", "ticket_views", str(ids[1]))
    ]
    assert exit_status == 1
    assert f"ticket_views.ticket_views row {ids[1]}" in capsys.readouterr().out


def test_every_projection_names_the_tables_it_owns(services: Services) -> None:
    for projection in services.read_models.projections:
        assert tables_of(projection), projection.name


def test_a_row_missing_from_a_table_with_a_composite_key_is_named(services: Services) -> None:
    opened = OpenTicket(channel=Channel.PHONE, category="repair", subject="leak")
    ticket_id = services.tickets.open(opened, context()).answer.id
    bodies = {
        "dispatch": {"department": "repairs"},
        "resolve": {"resolution": "fixed", "code": "FIX"},
        "reopen": {"reason": "leaks again"},
    }
    for action in ("dispatch", "resolve", "reopen", "resolve"):
        command = services.tickets.command_for(action)(**bodies[action])
        services.tickets.act(ticket_id, action, command, context())
    services.projection_runner().catch_up()
    spells = services.read_models.projection("report_tickets")
    with spells.view.write() as tx:
        tx.execute(
            "DELETE FROM report_ticket_spells WHERE ticket_id = :t AND seq = 2",
            {"t": str(ticket_id)},
        )

    result = replay(services.app, services.read_models, quiet)

    assert [(d.table, d.key, d.live) for d in result.differences] == [
        ("report_ticket_spells", str(ticket_id), None)
    ]
