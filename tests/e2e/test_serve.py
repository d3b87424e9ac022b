"""End to end: `kefu serve` (real gunicorn and projection runner) over real HTTP."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

TOKEN_LINE = re.compile(r"development token \(role admin\): (\S+)")
# ?after= waits this long for the runner on a busy machine (a bound, not a timing
# assertion); kefu serve requires it 5 s below gunicorn's 30 s worker timeout.
READ_WAIT_SECONDS = 20
CLIENT_TIMEOUT_SECONDS = 20
READY_WITHIN_SECONDS = 90  # generous: a loaded 2-core machine boots slowly


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    token: str
    log: Path | None = None

    def log_tail(self, lines: int = 40) -> str:
        if self.log is None or not self.log.exists():
            return ""
        kept = [line for line in self.log.read_text(errors="replace").splitlines()]
        return "\n".join([line for line in kept if '"GET /ready' not in line][-lines:])

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=2 * READ_WAIT_SECONDS) as response:
                return response.status, _parsed(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _parsed(error.read())

    def children(self) -> list[int]:
        """Child processes of every thread (the supervisor thread restarts the runner)."""
        pids = []
        for path in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            try:
                pids.extend(int(pid) for pid in path.read_text().split())
            except OSError:
                continue  # the thread ended meanwhile
        return pids

    def stop_with_ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=30)


def _parsed(body: bytes) -> Any:
    """The JSON body; anything else as text, so the caller's status check reports it."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(workdir: Path, env: dict[str, str], *args: str) -> Server:
    port = free_port()
    log = (workdir / "kefu-serve.log").open("ab")  # read by wait_until_ready on a failure
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kefu.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            *args,
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    log.close()  # the child keeps its own copy
    server = Server(process, f"http://127.0.0.1:{port}", "", workdir / "kefu-serve.log")
    server.token = env.get("KEFU_TEST_TOKEN") or _printed_token(server)
    wait_until_ready(server)
    return server


def _printed_token(server: Server) -> str:
    process = server.process
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    deadline = time.monotonic() + READY_WITHIN_SECONDS  # it prints once the store is created
    while time.monotonic() < deadline:
        try:
            match = TOKEN_LINE.search(lines.get(timeout=1))
        except queue.Empty:
            if process.poll() is not None:
                raise AssertionError(
                    f"kefu serve exited with {process.returncode}\n{server.log_tail()}"
                ) from None
            continue
        if match:
            return match.group(1)
    raise AssertionError(f"kefu serve printed no development token in {READY_WITHIN_SECONDS} s")


def wait_until_ready(server: Server, seconds: float = READY_WITHIN_SECONDS) -> None:
    """Polls `/ready` until 200: the workers answer, the runner beats and the views follow.
    (`/health` alone answers before the runner runs: a first `?after=` read would be a 503.)"""
    deadline = time.monotonic() + seconds
    last: Any = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"kefu serve exited with {server.process.returncode}")
        try:
            status, last = server.call("GET", "/ready")
            if status == 200:
                return
        except OSError as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(
        f"kefu serve was not ready within {seconds} s: {last}\n{server.log_tail()}"
    )


@pytest.fixture(params=["embedded", "postgres"])
def serve_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    # `?after=` waits for the runner, a process of its own that may still be starting on a busy
    # machine: a generous bound for that wait (it returns as soon as the runner catches up).
    env["KEFU_READ_WAIT_SECONDS"] = str(READ_WAIT_SECONDS)
    if request.param == "postgres":
        env["KEFU_DATABASE_URL"] = request.getfixturevalue("fresh_postgres_url")
        env["KEFU_API_TOKENS"] = "e2e-token:e2e-desk:admin"
        env["KEFU_TEST_TOKEN"] = "e2e-token"
    yield env


WALK: list[tuple[str, dict[str, Any], str]] = [
    ("review", {"note": "details complete"}, "reviewed"),
    ("dispatch", {"department": "after_sales"}, "dispatched"),
    ("urge", {"urged_by": "customer", "reason": "waiting two days"}, "dispatched"),
    ("follow-ups", {"note": "called the warehouse"}, "dispatched"),
    ("start", {}, "in_progress"),
    ("resolve", {"resolution": "replacement shipped", "code": "REPLACED"}, "resolved"),
    ("feedback", {"channel": "sms", "message": "your replacement is on its way"}, "feedback_given"),
    ("rating", {"score": 5, "comment": "quick"}, "feedback_given"),
    ("close", {}, "closed"),
    ("archive", {}, "archived"),
]


def test_a_ticket_walks_from_open_to_archive_and_survives_a_restart(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    server = start(tmp_path, serve_env)
    try:
        status, opened = server.call(
            "POST", "/tickets", {"channel": "phone", "category": "repair", "subject": "no power"}
        )
        assert status == 201
        ticket = f"/tickets/{opened['id']}"
        for action, body, expected in WALK:
            status, answer = server.call("POST", f"{ticket}/{action}", body)
            assert status == 200, answer
            assert (status, answer["status"]) == (200, expected), (action, answer)
            status, view = server.call("GET", f"{ticket}?after={answer['position']}")
            assert status == 200, view
            assert (status, view["status"], view["version"]) == (200, expected, answer["version"])
        status, refused = server.call("POST", f"{ticket}/reopen", {"reason": "again"})
        assert status == 409, refused
        assert (status, refused["allowed_now"]) == (409, [])
        children = server.children()
        assert children, "the projection runner runs as a child process"
    finally:
        exit_code = server.stop_with_ctrl_c()
    assert exit_code == 0
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]

    restarted = start(tmp_path, serve_env)
    try:
        assert restarted.token == server.token  # the development token is kept
        status, view = restarted.call("GET", f"{ticket}?after={answer['position']}")
        assert status == 200, view
        assert (view["status"], view["rating"], view["urge_count"]) == ("archived", 5, 1)
        status, history = restarted.call("GET", f"{ticket}/history")
        assert status == 200, history
        assert [e["type"] for e in history["events"]][-2:] == ["Closed", "Archived"]
    finally:
        restarted.stop_with_ctrl_c()
