"""A process SIGKILLed while batches are in flight loses nothing it acknowledged."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from uuid import UUID

import pytest

from kefu.cli.main import main
from tests.integration.conftest import ServicesFactory

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 16
ACKNOWLEDGED_BEFORE_KILL = 120
PATIENCE_SECONDS = 180


def acknowledgements_until_killed(database_url: str, log: Path) -> list[list[str]]:
    with log.open("w") as errors:
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.acknowledging_writer", database_url,
             str(WRITERS)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True,
        )  # fmt: skip
        watchdog = threading.Timer(PATIENCE_SECONDS, writer.kill)
        watchdog.start()
        assert writer.stdout is not None
        acks = []
        try:
            for line in writer.stdout:
                acks.append(line.split())
                if len(acks) == ACKNOWLEDGED_BEFORE_KILL:
                    writer.kill()  # SIGKILL: no clean-up, batches cut mid-flight
            writer.wait()
        finally:
            watchdog.cancel()
    assert len(acks) >= ACKNOWLEDGED_BEFORE_KILL, log.read_text()
    return acks


def test_every_acknowledged_command_survives_a_kill(
    database_url: str,
    open_services: ServicesFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acks = acknowledgements_until_killed(database_url, tmp_path / "writer.log")

    services = open_services()
    for word, key, ticket_id, position in acks:
        assert word == "ack"
        stored = services.app.recorder.select_notifications(start=int(position), limit=1)
        assert (stored[0].originator_id, stored[0].originator_version) == (UUID(ticket_id), 1)
        answer = services.app.answer_for("writer", key)
        assert answer is not None and answer.position == int(position)
        # Its data key committed with it (it rides in the batch): the subject opens here.
        assert services.app.repository.get(UUID(ticket_id)).subject == "kill me"
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
