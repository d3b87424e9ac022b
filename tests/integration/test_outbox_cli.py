"""`kefu outbox status|redeliver|run` on both backends."""

from __future__ import annotations

import pytest

from kefu.bootstrap import build_services
from kefu.cli.main import main
from kefu.settings import Settings
from tests.integration.test_webhooks import busy_desk, deliver, statuses, subscribe
from tests.receivers import receiver


def test_status_shows_each_subscriptions_deliveries_and_redeliver_sends_dead_ones_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_WEBHOOK_KEY", "cli-key")
    settings = Settings(
        database_url=database_url,
        webhook_key="cli-key",
        outbox_backoff_seconds=0,
        outbox_max_attempts=1,
    )
    services = build_services(settings)
    try:
        with receiver() as hook:
            hook.status = 503
            subscription = subscribe(services, hook.url, aggregate_kinds=("ticket",))
            busy_desk(services, tickets=1, urges=1)
            deliver(services, subscription)
            services.projection_runner().catch_up()
            assert main(["outbox", "status"]) == 0
            printed = capsys.readouterr().out
            assert "0 behind" in printed
            [line] = [row for row in printed.splitlines() if str(subscription) in row]
            assert line.split()[2:5] == ["0", "0", "2"]  # pending, delivered, dead
            hook.status = 200
            assert main(["outbox", "redeliver", str(subscription)]) == 0
            deliver(services, subscription)
        assert set(statuses(services, subscription)) == {"delivered"}
        assert main(["outbox", "redeliver", "not-a-uuid"]) == 2
    finally:
        services.close()


def test_run_refuses_to_start_without_a_webhook_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.delenv("KEFU_WEBHOOK_KEY", raising=False)
    assert main(["outbox", "run"]) == 2
    assert "KEFU_WEBHOOK_KEY" in capsys.readouterr().err
