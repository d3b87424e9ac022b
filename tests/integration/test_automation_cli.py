"""`kefu automation status|pause|resume|dry-run` as an operator runs them."""

from __future__ import annotations

import pytest

from kefu.cli.main import main
from kefu.commands.customers import RegisterCustomer
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.customer import Tier
from tests.integration.conftest import ServicesFactory, context


def test_pause_and_resume_show_in_status_and_stop_the_process_acting(
    open_services: ServicesFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = open_services()
    opened = OpenTicket(channel=Channel.PHONE, category="billing", subject="charged twice")
    services.tickets.open(opened, context())
    services.projection_runner().catch_up()
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    assert main(["automation", "pause"]) == 0
    assert main(["automation", "status"]) == 0
    paused = capsys.readouterr().out
    assert "automation: paused" in paused
    assert "timers:     1 pending, next due 20" in paused
    assert services.automation.catch_up() == 0

    assert main(["automation", "resume"]) == 0
    assert main(["automation", "status"]) == 0
    assert "automation: running" in capsys.readouterr().out


def test_dry_run_names_the_rules_that_would_fire_for_a_ticket(
    open_services: ServicesFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = open_services()
    vip = RegisterCustomer(name="王芳", phones=("139 0013 9000",), tier=Tier.VIP)
    customer = services.customers.register(vip, context()).answer.id
    opened = OpenTicket(channel=Channel.WECHAT, category="billing", subject="发票开错了",
                        customer_id=customer)  # fmt: skip
    ticket = services.tickets.open(opened, context()).answer.id
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)

    assert main(["automation", "dry-run", str(ticket)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ticket_opened: 1 rule(s) fire"
    assert out[1].startswith("  vip-10-minute-lane: set_priority")
    assert main(["automation", "dry-run", "not-an-id"]) == 2
