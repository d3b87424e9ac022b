"""`kefu audit digest` and `kefu audit verify` as an operator runs them."""

from __future__ import annotations

import pytest

from kefu.cli.main import main
from tests.integration.conftest import ServicesFactory
from tests.integration.test_tamper_evidence import raw, stream_param, tickets_with_history


def test_verify_passes_then_fails_with_exit_status_1_after_tampering(
    open_services: ServicesFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = open_services()
    ids = tickets_with_history(services)
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    assert main(["audit", "digest"]) == 0
    digest = capsys.readouterr().out.strip()

    assert main(["audit", "verify", "--digest", digest]) == 0
    assert "extends the digest" in capsys.readouterr().out

    raw(
        services.app,
        "DELETE FROM events WHERE originator_id = ? AND originator_version = 1",
        (stream_param(services.app, ids[0]),),
    )
    assert main(["audit", "verify", "--digest", digest]) == 1
    out = capsys.readouterr().out
    assert f"deleted: stream {ids[0].hex} version 1" in out
    assert "does NOT extend the digest" in out


def test_verify_refuses_a_malformed_digest_with_exit_status_2(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    assert main(["audit", "verify", "--digest", "not-a-digest"]) == 2
