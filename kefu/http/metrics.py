"""GET /metrics: the Prometheus exposition of every process's counters and the projections' lag.

Counters and histograms come from `kefu.metrics` (summed over gunicorn's workers through the
multiprocess directory when one is configured). Projection positions and lag are read from the
database at scrape time, so any worker answers the same figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import falcon
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from kefu import metrics
from kefu.bootstrap import Services
from kefu.projections.status import projection_lags


class ProjectionCollector:
    """Each projection's position, how many events and seconds it is behind, and the log head."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        s = self.services
        lags = projection_lags(s.app, s.read_models, s.clock())
        head = GaugeMetricFamily("kefu_log_head", "Position of the newest event in the log")
        head.add_metric([], lags[0].head if lags else s.app.recorder.max_notification_id() or 0)
        families = {
            "position": GaugeMetricFamily(
                "kefu_projection_position",
                "Last log position a projection processed",
                labels=["projection"],
            ),
            "behind": GaugeMetricFamily(
                "kefu_projection_behind_events",
                "Events a projection has not processed",
                labels=["projection"],
            ),
            "seconds": GaugeMetricFamily(
                "kefu_projection_lag_seconds",
                "Age of the oldest event a projection has not processed",
                labels=["projection"],
            ),
        }
        for lag in lags:
            for field, family in families.items():
                family.add_metric([lag.projection], getattr(lag, field))
        yield head
        yield from families.values()


class MetricsResource:
    """GET /metrics (no token; expose it only to the monitoring network, see docs/operations.md)."""

    public = True

    def __init__(self, services: Services) -> None:
        self.live = CollectorRegistry(auto_describe=False)
        self.live.register(ProjectionCollector(services))

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = generate_latest(_counted()) + generate_latest(self.live)


def _counted() -> Any:
    directory = metrics.multiprocess_directory()
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
    return registry


def pool_stats(services: Services) -> Any:
    """psycopg_pool's `get_stats` of the event store's pool, or None (SQLite has no such pool)."""
    pool = getattr(getattr(services.app.recorder, "datastore", None), "pool", None)
    return getattr(pool, "get_stats", None)
