"""Managed tokens under `kefu serve` with two gunicorn workers (real HTTP, PostgreSQL): a token
revoked or rotated is refused by both workers with the next request after the 2xx; on-behalf-of
is recorded in the event's metadata, and refused when not allowed or for no such agent.

Which worker answered is read from gunicorn's access log (`%(p)s`, the worker's pid), by each
request's X-Request-ID: the walk sends until each worker has answered, within a deadline."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.test_serve import READ_WAIT_SECONDS, Server, start

pytestmark = pytest.mark.e2e

ADMIN = "e2e-admin-token"
REFUSED_IN_A_ROW = 20
BOTH_WITHIN_SECONDS = 120  # a bound for the kernel to hand connections to both workers
ACCESS_LOG = "access.log"  # beside kefu serve's own log
TICKET = {"channel": "phone", "category": "repair", "subject": "no power"}


@pytest.fixture
def server(tmp_path: Path, fresh_postgres_url: str) -> Iterator[Server]:
    access_log = tmp_path / ACCESS_LOG
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(
        KEFU_DATABASE_URL=fresh_postgres_url,
        KEFU_API_TOKENS=f"{ADMIN}:root:admin",
        KEFU_TEST_TOKEN=ADMIN,
        KEFU_READ_WAIT_SECONDS=str(READ_WAIT_SECONDS),
        GUNICORN_CMD_ARGS=(
            f"--access-logfile {access_log} --access-logformat '%(p)s %({{x-request-id}}i)s %(s)s'"
        ),
    )
    started = start(tmp_path, env)
    try:
        yield started
    finally:
        started.stop_with_ctrl_c()


def send(
    server: Server, method: str, path: str, token: str, body: Any = None, **headers: str
) -> tuple[int, Any, str]:
    """One request on a new connection; its status, JSON body and request id."""
    request_id = f"walk-{uuid4()}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.base + path, data=data, method=method)
    for name, value in {
        "Authorization": f"Bearer {token}",
        "X-Request-ID": request_id,
        **headers,
    }.items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=2 * READ_WAIT_SECONDS) as response:
            return response.status, json.loads(response.read()), request_id
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), request_id


def workers_of(access_log: Path, request_ids: set[str]) -> set[str]:
    """The pids of the workers that answered these requests (their access log lines)."""
    deadline = time.monotonic() + 30  # gunicorn writes the line after the answer
    while True:
        lines = [line.split() for line in access_log.read_text().splitlines()]
        found = {rid: pid for pid, rid, *_ in lines if rid in request_ids}
        if len(found) == len(request_ids) or time.monotonic() > deadline:
            return set(found.values())
        time.sleep(0.1)


def answers_on_both_workers(server: Server, token: str, expected: int) -> None:
    """GET /tickets with `token` on new connections: every answer is `expected`, at least
    REFUSED_IN_A_ROW of them, and until both workers have given one."""
    sent: set[str] = set()
    deadline = time.monotonic() + BOTH_WITHIN_SECONDS
    assert server.log is not None
    access_log = server.log.parent / ACCESS_LOG
    while len(sent) < REFUSED_IN_A_ROW or len(workers_of(access_log, sent)) < 2:
        assert time.monotonic() < deadline, "the requests never reached both workers"
        for _ in range(REFUSED_IN_A_ROW):
            status, body, request_id = send(server, "GET", "/tickets", token)
            assert status == expected, (len(sent), body)
            sent.add(request_id)


def issue(server: Server, **body: Any) -> dict[str, Any]:
    fields = {"actor_id": "desk-app", "role": "service", "label": "desk", **body}
    status, answer, _ = send(server, "POST", "/tokens", ADMIN, fields)
    assert status == 201, answer
    issued: dict[str, Any] = answer
    return issued


def test_revoked_and_rotated_tokens_are_refused_by_both_workers_at_once_and_on_behalf_of(
    server: Server,
) -> None:
    revoked = issue(server)
    answers_on_both_workers(server, revoked["token"], 200)  # both workers hold the record now
    status, answer, _ = send(
        server, "POST", f"/tokens/{revoked['id']}/revoke", ADMIN, {"reason": "leaked"}
    )
    assert status == 200, answer
    answers_on_both_workers(server, revoked["token"], 401)

    rotating = issue(server)
    answers_on_both_workers(server, rotating["token"], 200)
    status, rotated, _ = send(server, "POST", f"/tokens/{rotating['id']}/rotate", ADMIN, {})
    assert status == 200, rotated
    answers_on_both_workers(server, rotating["token"], 401)
    answers_on_both_workers(server, rotated["token"], 200)

    status, agent, _ = send(server, "POST", "/agents", ADMIN, {"name": "王芳", "extension": "8001"})
    assert status == 201, agent
    delegating = issue(server, may_delegate=True)["token"]
    as_agent = {"X-On-Behalf-Of": agent["id"]}
    status, opened, _ = send(server, "POST", "/tickets", delegating, TICKET, **as_agent)
    assert status == 201, opened
    status, history, _ = send(server, "GET", f"/tickets/{opened['id']}/history", ADMIN)
    assert status == 200, history
    metadata = history["events"][0]["metadata"]
    assert (metadata["actor_id"], metadata["sent_by"]) == (agent["id"], "desk-app")
    status, refused, _ = send(server, "POST", "/tickets", revoked["token"], TICKET)
    assert status == 401, refused
    status, refused, _ = send(server, "POST", "/tickets", rotated["token"], TICKET, **as_agent)
    assert status == 403, refused  # a token without may_delegate
    nobody = {"X-On-Behalf-Of": str(uuid4())}
    status, refused, _ = send(server, "POST", "/tickets", delegating, TICKET, **nobody)
    assert status == 422, refused
