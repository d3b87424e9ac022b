"""The WSGI entry point gunicorn loads: `kefu.http.wsgi:make_app()`."""

from __future__ import annotations

import falcon

from kefu.bootstrap import build_services
from kefu.http.app import create_app
from kefu.settings import Settings


def make_app() -> falcon.App[falcon.Request, falcon.Response]:
    return create_app(build_services(Settings.from_env()))
