"""Keeps `kefu serve`'s followers of the log running: each child command is restarted with
backoff whenever it exits, until the supervisor is stopped."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

log = logging.getLogger("kefu.supervisor")
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0  # a child that ran this long starts its backoff afresh
POLL_SECONDS = 0.2


class Child:
    """One supervised command: its process, and when to start it again after it died."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.delay = FIRST_DELAY_SECONDS
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        # A session of its own: Ctrl-C at the terminal reaches gunicorn, which stops us, and
        # the child is stopped by us, not restarted after it died of the same signal.
        env = {**os.environ, "KEFU_SUPERVISOR_PID": str(os.getpid())}
        self.process = subprocess.Popen(self.command, env=env, start_new_session=True)
        self.started = time.monotonic()
        self.restart_at = None

    def check(self, now: float) -> None:
        """Restarts the child when it is due; schedules that when it has just died."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started >= HEALTHY_AFTER_SECONDS:
            self.delay = FIRST_DELAY_SECONDS
        print(
            f"kefu: {' '.join(self.command[-2:])} (pid {self.process.pid}) exited; "
            f"restarting in {self.delay:g} s",
            file=sys.stderr,
            flush=True,
        )
        self.restart_at = now + self.delay
        self.delay = min(self.delay * 2, MAX_DELAY_SECONDS)

    def stop(self, timeout: float) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Supervisor:
    """Starts every command as a child process and restarts each one that exits."""

    def __init__(self, commands: Sequence[Sequence[str]]) -> None:
        self.children = [Child(command) for command in commands]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="kefu-supervisor", daemon=True)

    def start(self) -> None:
        for child in self.children:
            child.start()
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stops restarting, then terminates every child (killed after `timeout` seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for child in self.children:
            child.stop(timeout)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            now = time.monotonic()
            for child in self.children:
                child.check(now)
