"""Liveness and readiness."""

from __future__ import annotations

import falcon

from kefu.bootstrap import Services
from kefu.http.problems import write_problem
from kefu.http.responses import write_json
from kefu.projections.readiness import readiness

NOT_READY_RETRY_SECONDS = 5


class HealthResource:
    """GET /health: the process answers (liveness; touches nothing else)."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, {"status": "ok"})


class ReadyResource:
    """GET /ready: 200 when the database answers, the projection runner is alive, no projection
    is parked and none lags more than `KEFU_READY_MAX_LAG_SECONDS`; else 503 naming each
    reason (never internal error text: the endpoint needs no token). Either way, how far each
    projection lags (events and seconds, as `kefu projections status` prints them)."""

    public = True

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        s = self.services
        state = readiness(s.app, s.read_models, s.clock(), s.settings.ready_max_lag_seconds)
        if state.ready:
            write_json(
                resp, {"status": "ready", "head": state.head, "projections": state.projections}
            )
            return
        write_problem(
            resp,
            503,
            "not-ready",
            "Not ready",
            "; ".join(state.reasons),
            reasons=state.reasons,
            head=state.head,
            projections=state.projections,
        )
        resp.set_header("Retry-After", str(NOT_READY_RETRY_SECONDS))
