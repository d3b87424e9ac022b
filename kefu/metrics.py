"""Prometheus metrics: what every process counts, and the hooks other modules call.

A leaf module: it imports only `prometheus_client`, so any layer (the store's group commit, the
outbox, the runner) may count through it without breaking the dependency rule.

Several gunicorn workers each count in their own memory, and a scrape reaches one of them. So,
when `PROMETHEUS_MULTIPROC_DIR` names a directory (empty at start, writable by every worker;
prometheus_client's own variable, read when it is first imported), every process writes its
values to files there and `/metrics` sums them across processes (`kefu.http.metrics`). The
master must call `process_exited(pid)` when a worker exits, so live gauges forget it.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram, multiprocess

# Seconds; finer below 100 ms, where most requests of a healthy desk fall.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

REQUESTS = Counter(
    "kefu_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "kefu_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
COMMANDS = Counter(
    "kefu_commands",
    "Commands handled, by kind and outcome (accepted, replayed, refused, failed)",
    ["kind", "outcome"],
)
GROUP_COMMIT_BATCH = Histogram(
    "kefu_group_commit_batch_size",
    "Commands written in one transaction by the store's group commit",
    buckets=BATCH_BUCKETS,
)
DELIVERIES = Counter(
    "kefu_outbox_deliveries",
    "Outbox deliveries (notifications, webhooks), by channel and outcome",
    ["channel", "outcome"],
)
POOL = Gauge(
    "kefu_db_pool_connections",
    "The event store's connection pool, summed over live processes: size, available, waiting",
    ["state"],
    multiprocess_mode="livesum",
)


def record_command(kind: str, outcome: str) -> None:
    """Counts one command: `kind` from a bounded set (a route or Struct name), never user text."""
    COMMANDS.labels(kind, outcome).inc()


def record_group_commit(batch_size: int) -> None:
    """Hook for the store's group commit: call once per transaction with its command count."""
    GROUP_COMMIT_BATCH.observe(batch_size)


def record_delivery(channel: str, outcome: str) -> None:
    """Hook for the outbox: call once per delivery attempt (`delivered`, `failed`, `parked`)."""
    DELIVERIES.labels(channel, outcome).inc()


def record_pool(stats: dict[str, int]) -> None:
    """The numbers of psycopg_pool's `get_stats()` this process last saw."""
    POOL.labels("size").set(stats.get("pool_size", 0))
    POOL.labels("available").set(stats.get("pool_available", 0))
    POOL.labels("waiting").set(stats.get("requests_waiting", 0))


def multiprocess_directory() -> str | None:
    """The directory of the processes' metric files, or None when one process counts alone."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_exited(pid: int) -> None:
    """For gunicorn's `child_exit` hook: the exited worker's live gauges stop counting."""
    directory = multiprocess_directory()
    if directory is not None:
        multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
