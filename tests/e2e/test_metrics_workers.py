"""/metrics under real gunicorn with two workers: every scrape sums every worker's counts, and a
dead worker's live gauges stop counting. The API runs as `kefu serve --no-workers` beside a
`kefu projections run` of its own, the topology of several hosts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.faults import cmdline, eventually, worker_pids
from tests.e2e.test_serve import Server, serve_env, start

pytestmark = pytest.mark.e2e
__all__ = ["serve_env"]

REQUESTS = 60


def health_count(base: str) -> tuple[float, dict[str, float]]:
    """The summed count of `GET /health` answers, and the pool gauges, from one scrape."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
        text = response.read().decode()
    count, pool = 0.0, {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "kefu_http_requests_total" and s.labels.get("route") == "/health":
                count += s.value
            if s.name == "kefu_db_pool_connections":
                pool[s.labels["state"]] = s.value
    return count, pool


def get_health(base: str) -> int:
    with urllib.request.urlopen(base + "/health", timeout=30) as response:
        return response.status


def test_every_scrape_counts_the_requests_of_every_worker(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"")  # an earlier run's: kefu serve empties it
    env = {**serve_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    runner = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "projections", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = start(tmp_path, env, "--no-workers")  # ready: the separate runner beats
        try:
            followers = ("projections run", "outbox run")
            assert not [p for p in server.children() if any(f in cmdline(p) for f in followers)]
            before, _ = health_count(server.base)  # start() polled /ready until it answered
            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda _: get_health(server.base), range(REQUESTS)))
            assert statuses == [200] * REQUESTS
            scrapes = [health_count(server.base) for _ in range(12)]
            assert not (metrics_dir / "counter_1.db").exists()
            if "postgresql" in env.get("KEFU_DATABASE_URL", ""):
                assert scrapes[-1][1]["size"] >= 1
                dead_workers_gauges_go(server, metrics_dir)
        finally:
            server.stop_with_ctrl_c()
    finally:
        runner.terminate()
        runner.wait(timeout=30)
    assert {count for count, _ in scrapes} == {before + REQUESTS}
    assert list(metrics_dir.glob("counter_*.db")), "workers wrote no metric files"


def dead_workers_gauges_go(server: Server, metrics_dir: Path) -> None:
    """A killed worker's pool gauges vanish (gunicorn's child_exit hook); its counts stay."""
    pid = next(p for p in worker_pids(server) if (metrics_dir / f"gauge_livesum_{p}.db").exists())
    os.kill(pid, signal.SIGKILL)
    eventually(
        lambda: not (metrics_dir / f"gauge_livesum_{pid}.db").exists(),
        "the dead worker's live gauges removed",
    )
