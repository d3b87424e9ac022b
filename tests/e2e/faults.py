"""Helpers for the fault tests: raw requests with headers, the server's child processes, and
bounded polls for a condition (never a timing threshold)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.e2e.test_serve import CLIENT_TIMEOUT_SECONDS, Server

T = TypeVar("T")
POLL_SECONDS = 0.25


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def request(
    server: Server,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    timeout: float = CLIENT_TIMEOUT_SECONDS,
    **headers: str,
) -> Answer:
    """One request with the server's token; the client gives up after CLIENT_TIMEOUT_SECONDS,
    which is the bound on how long any answer may take (an outage used to hang 30 s)."""
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(server.base + path, data=data, method=method)
    sent.add_header("Authorization", f"Bearer {server.token}")
    if data is not None:
        sent.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        sent.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as response:
            return Answer(response.status, _lower(response.headers), _json(response.read()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers), _json(error.read()))


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def eventually(condition: Callable[[], T | None], what: str, seconds: float = 90) -> T:
    """Polls until `condition()` returns something other than None/False; fails after
    `seconds` (generous: the machine may be loaded) naming `what` was awaited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result is not None and result is not False:
            return result
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"not within {seconds} s: {what}")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def runner_pid(server: Server) -> int | None:
    """The pid of `kefu serve`'s projection runner child, if one runs."""
    found = [pid for pid in server.children() if "projections run" in cmdline(pid)]
    return found[0] if found else None


def worker_pids(server: Server) -> list[int]:
    return [pid for pid in server.children() if "projections run" not in cmdline(pid)]
