"""The WSGI entry point gunicorn loads: `kefu.http.wsgi:make_app()`.

A worker must boot while the database is down (gunicorn stops the whole service when a worker
fails to boot), so the application is built on the first request that finds the database
answering; until then every request but `/health` is a 503 problem with Retry-After.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import falcon

from kefu.bootstrap import build_services
from kefu.http.app import create_app
from kefu.http.health import HealthResource
from kefu.http.problems import add_problem_handlers, database_unavailable
from kefu.settings import Settings
from kefu.store.availability import is_database_unavailable, probe

log = logging.getLogger("kefu.http")
RETRY_EVERY_SECONDS = 1.0

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class DeferredApp:
    """The kefu application once it could be built; a 503 stand-in until then."""

    def __init__(self, build: Callable[[], WsgiApp]) -> None:
        self._build = build
        self._app: WsgiApp | None = None
        self._lock = threading.Lock()
        self._next_try = 0.0
        self._unavailable = _unavailable_app()
        self._try_build()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        app = self._app or self._try_build() or self._unavailable
        return app(environ, start_response)

    def _try_build(self) -> WsgiApp | None:
        # One thread builds at a time, at most once a second; the others answer 503 at once.
        if time.monotonic() < self._next_try or not self._lock.acquire(blocking=False):
            return self._app
        try:
            if self._app is None:
                self._app = self._build()
                # What is built now lives as long as the worker: moved out of the collector's
                # sight, a full collection no longer walks it (a 30 ms pause of every thread,
                # about every 8 s under load, before).
                gc.freeze()
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            log.warning("database unavailable, serving 503 until it answers: %s", error)
            self._next_try = time.monotonic() + RETRY_EVERY_SECONDS
        finally:
            self._lock.release()
        return self._app


def _unavailable_app() -> falcon.App[falcon.Request, falcon.Response]:
    app = falcon.App()
    add_problem_handlers(app)
    app.add_route("/health", HealthResource())
    app.add_sink(lambda req, resp, **_: database_unavailable(resp), "/")
    return app


def make_app() -> WsgiApp:
    settings = Settings.from_env()

    def build() -> WsgiApp:
        probe(settings.database_url)
        if settings.read_database_url:
            probe(settings.read_database_url)
        return create_app(build_services(settings))

    return DeferredApp(build)
