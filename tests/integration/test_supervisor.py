"""`kefu serve`'s supervisor on real processes: a child that dies is started again, with a
growing delay when it keeps dying, and stopping the supervisor stops every child."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from kefu.cli.supervisor import Supervisor
from tests.e2e.faults import eventually

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_a_killed_child_is_started_again_and_stopped_with_the_supervisor() -> None:
    supervisor = Supervisor([SLEEPER, SLEEPER])
    supervisor.start()
    try:
        first, other = (child.process for child in supervisor.children)
        assert first is not None and other is not None
        os.kill(first.pid, signal.SIGKILL)

        eventually(lambda: supervisor.children[0].restarts == 1, "the child restarted")
        restarted = supervisor.children[0].process
        assert restarted is not None and restarted.pid != first.pid
        assert supervisor.children[1].process is other  # the other child was left alone
    finally:
        supervisor.stop()
    assert all(c.process is not None and c.process.poll() is not None for c in supervisor.children)


def test_a_child_that_keeps_dying_is_restarted_with_a_growing_delay(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    crash = [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"]
    supervisor = Supervisor([crash])
    supervisor.start()
    try:
        eventually(lambda: starts.exists() and len(starts.read_text()) >= 3, "three starts")
    finally:
        supervisor.stop()
    assert supervisor.children[0].delay > 1.0  # 0.5 s, then 1 s, then 2 s ...
