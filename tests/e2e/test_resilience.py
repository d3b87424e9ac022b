"""The service heals itself (issue 10): `kefu serve` on a PostgreSQL cluster of the test's own,
which the tests restart and stop while commands and projections run; a runner killed with
SIGKILL. Nobody acts but the test's clients: the service must come back by itself."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.faults import eventually, request, runner_pid, worker_pids
from tests.e2e.test_serve import Server, start, wait_until_ready
from tests.pgcluster import ThrowawayCluster

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
TICKET = {"channel": "phone", "category": "repair", "subject": "no power"}


@pytest.fixture
def server(tmp_path: Path, restartable_postgres_url: str) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(
        KEFU_DATABASE_URL=restartable_postgres_url,
        KEFU_API_TOKENS="e2e-token:e2e-desk:admin",
        KEFU_TEST_TOKEN="e2e-token",
    )
    running = start(tmp_path, env)
    yield running
    running.stop_with_ctrl_c()


def test_a_killed_runner_is_restarted_and_the_views_follow_the_log_again(server: Server) -> None:
    first = eventually(lambda: runner_pid(server), "the runner is running")

    os.kill(first, signal.SIGKILL)

    eventually(lambda: runner_pid(server) not in (None, first), "a new runner process")
    opened = request(server, "POST", "/tickets", TICKET)
    assert opened.status == 201, opened.body
    path = f"/tickets/{opened.body['id']}?after={opened.body['position']}"
    view = eventually(lambda: _body_if(request(server, "GET", path), 200), "the view follows")
    assert view["subject"] == "no power"
    wait_until_ready(server)


class Writer(threading.Thread):
    """Opens tickets one after another; retries each with its Idempotency-Key until it is
    acknowledged, as a careful client does through an outage."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.acknowledged: list[str] = []
        self.refusals = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            key = str(uuid.uuid4())
            while not self.stop.is_set():
                try:
                    answer = request(self.server, "POST", "/tickets", TICKET, Idempotency_Key=key)
                except OSError:
                    answer = None
                if answer is not None and answer.status == 201:
                    self.acknowledged.append(answer.body["id"])
                    break
                self.refusals += 1
                self.stop.wait(0.1)


def test_every_view_catches_up_after_postgres_restarts_while_commands_run(
    server: Server, throwaway_cluster: ThrowawayCluster
) -> None:
    runner = eventually(lambda: runner_pid(server), "the runner is running")
    writer = Writer(server)
    writer.start()
    eventually(lambda: len(writer.acknowledged) >= 5, "some tickets before the restart")

    throwaway_cluster.restart()
    before = len(writer.acknowledged)
    eventually(lambda: len(writer.acknowledged) >= before + 5, "tickets after the restart")
    writer.stop.set()
    writer.join(timeout=60)

    acknowledged = set(writer.acknowledged)
    eventually(lambda: _listed_tickets(server) == acknowledged, "the ticket list catches up")
    wait_until_ready(server)
    ready = request(server, "GET", "/ready")
    assert ready.status == 200, ready.body
    assert {p["behind"] for p in ready.body["projections"]} == {0}
    assert runner_pid(server) == runner  # the runner reconnected; it was not restarted


def test_a_stopped_database_is_a_503_with_retry_after_then_the_service_recovers(
    server: Server, throwaway_cluster: ThrowawayCluster
) -> None:
    opened = request(server, "POST", "/tickets", TICKET)
    assert opened.status == 201, opened.body
    workers = worker_pids(server)

    throwaway_cluster.stop()
    answers = [
        request(server, "POST", "/tickets", TICKET),
        request(server, "GET", f"/tickets/{opened.body['id']}"),
        request(server, "GET", "/tickets"),
        request(server, "GET", "/ready"),
    ]
    os.kill(workers[0], signal.SIGKILL)  # its replacement boots without the database
    eventually(lambda: workers[0] not in worker_pids(server), "gunicorn replaced the worker")
    during = [request(server, "GET", "/tickets") for _ in range(4)]
    throwaway_cluster.start()

    for answer in answers + during:
        assert answer.status == 503, answer.body
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
    assert answers[-1].body["reasons"] == ["database unreachable"]
    assert "connection" not in str(answers[-1].body).lower()  # no internal error text
    eventually(lambda: request(server, "POST", "/tickets", TICKET).status == 201, "writes again")
    wait_until_ready(server)
    assert server.process.poll() is None


def _body_if(answer: object, status: int) -> object:
    return getattr(answer, "body", None) if getattr(answer, "status", None) == status else None


def _listed_tickets(server: Server) -> set[str] | None:
    answer = request(server, "GET", "/tickets?limit=500")
    if answer.status != 200:
        return None
    return {item["id"] for item in answer.body["items"]}
