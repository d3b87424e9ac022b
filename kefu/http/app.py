"""create_app: the falcon WSGI application."""

from __future__ import annotations

import falcon

from kefu.bootstrap import Services
from kefu.http.audit import add_audit_routes
from kefu.http.calls import add_call_centre_routes
from kefu.http.complaints import add_complaint_routes
from kefu.http.customers import add_customer_routes
from kefu.http.health import HealthResource, ReadyResource
from kefu.http.middleware import AuthMiddleware
from kefu.http.openapi import OpenApiResource
from kefu.http.problems import add_problem_handlers
from kefu.http.reports import add_report_routes
from kefu.http.routes import ApiApp, Operation, Paths
from kefu.http.tickets import add_ticket_routes
from kefu.http.visits import add_visit_routes
from kefu.http.work_queues import add_work_queue_routes


def create_app(services: Services) -> falcon.App[falcon.Request, falcon.Response]:
    app = ApiApp(middleware=[AuthMiddleware(services.tokens)])
    app.req_options.strip_url_path_trailing_slash = True
    add_problem_handlers(app)
    app.add_route("/health", HealthResource(), openapi=_document("/health", "Alive (no auth)"))
    ready = "Ready: the store answers and projections keep up (no auth)"
    app.add_route("/ready", ReadyResource(services), openapi=_document("/ready", ready))
    openapi = _document("/openapi.json", "This document (no auth)")
    app.add_route("/openapi.json", OpenApiResource(app.operations), openapi=openapi)
    add_ticket_routes(app, services)
    add_call_centre_routes(app, services)
    add_audit_routes(app, services)
    add_complaint_routes(app, services)
    add_customer_routes(app, services)
    add_visit_routes(app, services)
    add_work_queue_routes(app, services)
    add_report_routes(app, services)
    return app


def _document(path: str, summary: str) -> Paths:
    return {path: {"get": Operation(summary)}}
