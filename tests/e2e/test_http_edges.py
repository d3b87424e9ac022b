"""Real gunicorn at the edges of HTTP: chunked bodies, idle and half-open connections, errors
gunicorn answers before the app sees the request, and gunicorn's own configuration."""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.faults import request
from tests.e2e.test_serve import CLIENT_TIMEOUT_SECONDS, Server, start

pytestmark = pytest.mark.e2e
URL_LIMIT = 600  # set by the config file below (gunicorn's default is 4094)
FIELDS_LIMIT = 30  # set by GUNICORN_CMD_ARGS (gunicorn's default is 100)
STALL_BOUND_SECONDS = 90  # several read timeouts (10 s), generous for a loaded machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("edges")
    config = workdir / "custom.conf.py"
    config.write_text(f"limit_request_line = {URL_LIMIT}\nthreads = 4\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(
        KEFU_API_TOKENS="edge-token:edge-desk:admin",
        KEFU_TEST_TOKEN="edge-token",
        GUNICORN_CMD_ARGS=f"--limit-request-fields {FIELDS_LIMIT}",
    )
    running = start(workdir, env, "--config", str(config))
    yield running
    running.stop_with_ctrl_c()


def test_a_chunked_body_is_read_exactly(server: Server) -> None:
    opened = request(
        server, "POST", "/tickets", {"channel": "web", "category": "c", "subject": "s"}
    )
    assert opened.status == 201, opened.body
    note = "送货 late; 两次 called — the whole note, chunk by chunk"
    chunks = _chunks(json.dumps({"note": note}).encode(), size=7)

    status, answer = _post_chunked(server, f"/tickets/{opened.body['id']}/review", chunks)

    assert status == 200, answer
    history = request(server, "GET", f"/tickets/{opened.body['id']}/history")
    assert history.status == 200, history.body
    assert history.body["events"][-1]["data"]["note"] == note


def test_a_chunked_body_is_still_checked_for_its_media_type(server: Server) -> None:
    status, answer = _post_chunked(
        server, "/tickets", _chunks(b"channel=web", 4), content_type="text/plain"
    )

    assert status == 415, answer
    assert answer["type"] == "/problems/unsupported-media-type"


def test_idle_and_half_open_connections_do_not_hold_up_other_clients(server: Server) -> None:
    # More of each than the server has threads (2 workers x 4): silent connections wait in
    # the workers' pollers; each stalled request frees its thread after the read timeout.
    idle = [socket.create_connection(_address(server)) for _ in range(12)]
    half_open = [socket.create_connection(_address(server)) for _ in range(12)]
    for connection in half_open:  # headers begun, never finished
        connection.sendall(b"POST /tickets HTTP/1.1\r\nHost: kefu\r\nContent-Length: 90\r\n")
    try:
        # The bound is the client's timeout: before, such connections held a worker until
        # gunicorn's 30 s timeout, or (with threads) for as long as the client liked.
        health = request(server, "GET", "/health", timeout=STALL_BOUND_SECONDS)
        body = {"channel": "web", "category": "c", "subject": "s"}
        opened = request(server, "POST", "/tickets", body, timeout=STALL_BOUND_SECONDS)
    finally:
        for connection in idle + half_open:
            connection.close()
    assert health.status == 200
    assert opened.status == 201, opened.body


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /tickets?q=" + b"x" * URL_LIMIT + b" HTTP/1.1\r\nHost: k\r\n\r\n", 414),
        (
            b"GET /health HTTP/1.1\r\n"
            + b"".join(b"X-H%d: v\r\n" % n for n in range(FIELDS_LIMIT + 5))
            + b"\r\n",
            431,
        ),
        (b"GET /health HTTP/1.1\r\nHost: k\r\nBad Header: x\r\n\r\n", 400),
        (
            b"POST /tickets HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer edge-token\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            400,
        ),
        (b"NOT A REQUEST LINE\r\n\r\n", 400),
    ],
    ids=["URL too long", "too many headers", "bad header name", "bad chunk", "bad line"],
)
def test_what_gunicorn_refuses_itself_is_a_problem_too(
    server: Server, raw: bytes, status: int
) -> None:
    with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT_SECONDS) as s:
        s.sendall(raw)
        answer = _read_all(s)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), head
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")


def _address(server: Server) -> tuple[str, int]:
    host, port = server.base.removeprefix("http://").split(":")
    return host, int(port)


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _post_chunked(
    server: Server, path: str, chunks: list[bytes], content_type: str = "application/json"
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(*_address(server), timeout=CLIENT_TIMEOUT_SECONDS)
    try:
        headers = {"Authorization": f"Bearer {server.token}", "Content-Type": content_type}
        connection.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _read_all(s: socket.socket) -> bytes:
    received = b""
    while chunk := s.recv(65536):
        received += chunk
    return received
