"""/metrics under real gunicorn with two workers: every scrape sums every worker's counts."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_serve import serve_env, start

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
    env = {**serve_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    server = start(tmp_path, env)
    try:
        before, _ = health_count(server.base)  # start() polled /health until it answered
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: get_health(server.base), range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        scrapes = [health_count(server.base) for _ in range(12)]
    finally:
        server.stop_with_ctrl_c()
    assert {count for count, _ in scrapes} == {before + REQUESTS}
    assert list(metrics_dir.glob("counter_*.db")), "workers wrote no metric files"
    if "postgresql" in env.get("KEFU_DATABASE_URL", ""):
        assert scrapes[-1][1]["size"] >= 1
