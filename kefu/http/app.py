"""create_app: the falcon WSGI application."""

from __future__ import annotations

import falcon

from kefu.bootstrap import Services
from kefu.console.resources import add_console_routes
from kefu.http.access_recording import add_access_recording
from kefu.http.appraisal import add_appraisal_routes
from kefu.http.articles import add_article_routes
from kefu.http.audit import add_audit_routes
from kefu.http.calls import add_call_centre_routes
from kefu.http.case_search import add_search_routes
from kefu.http.collaboration import add_collaboration_routes
from kefu.http.complaints import add_complaint_routes
from kefu.http.customers import add_customer_routes
from kefu.http.exports import add_export_routes
from kefu.http.health import HealthResource, ReadyResource
from kefu.http.intake import add_intake_routes
from kefu.http.messages import add_message_routes
from kefu.http.metrics import MetricsResource, pool_stats
from kefu.http.middleware import AuthMiddleware
from kefu.http.observability import ObservabilityMiddleware
from kefu.http.openapi import OpenApiResource
from kefu.http.phrases import add_phrase_routes
from kefu.http.privacy import add_privacy_routes
from kefu.http.problems import add_problem_handlers
from kefu.http.public_articles import add_public_article_routes
from kefu.http.quality import add_quality_routes
from kefu.http.reports import add_report_routes
from kefu.http.routes import ApiApp, Operation
from kefu.http.scoping import ScopeMiddleware
from kefu.http.thread import add_thread_routes
from kefu.http.tickets import add_ticket_routes
from kefu.http.tokens import add_token_routes
from kefu.http.visits import add_visit_routes
from kefu.http.webhooks import add_webhook_routes
from kefu.http.work import add_work_routes
from kefu.http.work_queues import add_work_queue_routes


def create_app(services: Services) -> falcon.App[falcon.Request, falcon.Response]:
    services = services.for_queries()  # views on the standby, when one is configured
    observe = ObservabilityMiddleware(pool_stats(services))
    auth = AuthMiddleware(services.tokens)
    app = ApiApp(middleware=[observe, *_tracing(services), auth, ScopeMiddleware(services)])
    app.req_options.strip_url_path_trailing_slash = True
    add_problem_handlers(app)
    _add_public_routes(app, services)
    add_ticket_routes(app, services)
    add_collaboration_routes(app, services)
    add_call_centre_routes(app, services)
    add_audit_routes(app, services)
    add_complaint_routes(app, services)
    add_customer_routes(app, services)
    add_privacy_routes(app, services)
    add_visit_routes(app, services)
    add_work_queue_routes(app, services)
    add_work_routes(app, services)
    add_report_routes(app, services)
    add_export_routes(app, services)
    add_article_routes(app, services)
    add_public_article_routes(app, services)
    add_phrase_routes(app, services)
    add_quality_routes(app, services)
    add_appraisal_routes(app, services)
    add_webhook_routes(app, services)
    add_token_routes(app, services)
    add_message_routes(app, services)
    add_console_routes(app, services)
    add_thread_routes(app, services)
    add_intake_routes(app, services.intake, services.chat_intake)
    add_search_routes(app, services)
    add_access_recording(app, services)
    return app


def _tracing(services: Services) -> list[object]:
    """OpenTelemetry's middleware when KEFU_OTLP_ENDPOINT names a collector (optional extra)."""
    if not services.settings.otlp_endpoint:
        return []
    from kefu.http.tracing import otlp_tracing

    return [otlp_tracing(services.settings.otlp_endpoint)]


def _add_public_routes(app: ApiApp, services: Services) -> None:
    """The routes that need no token: liveness, readiness and this API's description."""
    public: dict[str, tuple[object, str]] = {
        "/health": (HealthResource(), "The process answers"),
        "/ready": (ReadyResource(services), "The event store answers; how far projections lag"),
        "/openapi.json": (OpenApiResource(app.operations), "This document"),
        "/metrics": (MetricsResource(services), "Prometheus metrics"),
    }
    for path, (resource, summary) in public.items():
        app.add_route(path, resource, openapi={path: {"get": Operation(f"{summary} (no token)")}})
