"""Liveness and readiness."""

from __future__ import annotations

import falcon

from kefu.bootstrap import Services
from kefu.http.responses import write_json


class HealthResource:
    """GET /health: the process answers."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, {"status": "ok"})


class ReadyResource:
    """GET /ready: the event store answers; how far each projection lags behind it."""

    public = True

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            head = self.services.app.recorder.max_notification_id() or 0
            lag = self.services.read_models.lag(head)
        except Exception as e:  # any store failure means "not ready", reported, not raised
            write_json(resp, {"status": "unavailable", "detail": str(e)}, 503)
            return
        write_json(resp, {"status": "ready", "head": head, "projections": lag})
