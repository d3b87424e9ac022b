"""Liveness and readiness."""

from __future__ import annotations

import falcon

from kefu.bootstrap import Services
from kefu.http.responses import write_json
from kefu.projections.status import projection_lags


class HealthResource:
    """GET /health: the process answers."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, {"status": "ok"})


class ReadyResource:
    """GET /ready: the event store answers; how far each projection lags behind it
    (events and seconds, as `kefu projections status` prints them)."""

    public = True

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            s = self.services
            lag = projection_lags(s.app, s.read_models, s.clock())
            head = lag[0].head if lag else s.app.recorder.max_notification_id() or 0
        except Exception as e:  # any store failure means "not ready", reported, not raised
            write_json(resp, {"status": "unavailable", "detail": str(e)}, 503)
            return
        write_json(resp, {"status": "ready", "head": head, "projections": lag})
