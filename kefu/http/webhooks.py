"""The /webhooks routes (admin): subscriptions, their secret and their delivery log."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.webhooks import RegisterWebhook
from kefu.domain.signing import derive_secret
from kefu.domain.subscription import Subscription
from kefu.http.aggregates import (
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.events import EventStreamResource
from kefu.http.listing import ListResource, Param
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.event_stream import EventStream
from kefu.projections.outbox_tables import DEAD, DELIVERED, PENDING

ADMIN_ONLY = frozenset[Role]()  # the middleware always lets admin through
STATUSES = (PENDING, DELIVERED, DEAD)


class SecretResource:
    """GET /webhooks/{id}/secret: the signing secret receivers verify with."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": ADMIN_ONLY}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        subscription = self.services.app.load(Subscription, aggregate_id)
        if not self.services.settings.webhook_key:
            raise falcon.HTTPConflict(
                title="Not configured", description="set KEFU_WEBHOOK_KEY to sign webhooks"
            )
        secret = derive_secret(
            self.services.webhook_key(), subscription.id, subscription.secret_version
        )
        write_json(resp, {"secret": secret, "secret_version": subscription.secret_version})
        resp.cache_control = ["no-store"]


class DeliveriesResource:
    """GET /webhooks/{id}/deliveries: each delivery's status, attempts, last error, latency;
    `?status=pending|delivered|dead`, pages by `?after=<position>` and `limit`."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": ADMIN_ONLY}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        status = req.get_param("status")
        if status is not None and status not in STATUSES:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"status is one of {', '.join(STATUSES)}"
            )
        self.services.app.load(Subscription, aggregate_id)  # 404 for an unknown subscription
        after = req.get_param_as_int("after", min_value=0, default=0)
        limit = req.get_param_as_int("limit", min_value=1, max_value=500, default=100)
        rows = self.services.outbox.tables.deliveries(str(aggregate_id), status, after, limit)
        next_after = rows[-1]["position"] if len(rows) == limit else None
        write_json(resp, {"items": rows, "next_after": next_after})


def _admin(resource: Any) -> Any:
    resource.roles = {method: ADMIN_ONLY for method in resource.roles}
    return resource


def add_webhook_routes(app: ApiApp, s: Services) -> None:
    lister = _admin(
        ListResource(
            s.read_models.webhooks,
            [Param("status", "status")],
            {"registered": "registered_at"},
            wait=read_your_writes(s, "webhook_views"),
        )
    )
    projection = s.read_models.projection("webhook_views")
    add_aggregate_routes(
        app,
        "/webhooks",
        _admin(CreateResource(RegisterWebhook, s.webhooks.register, "/webhooks", lister)),
        _admin(AggregateResource(s.webhooks, projection, s.settings.read_wait_seconds)),
        _admin(HistoryResource(s.app, Subscription)),
        post="Subscribe a receiver to events (admin; docs/outbox.md)",
        get="Webhook subscriptions (admin)",
    )
    item = "/webhooks/{subscription_id}"
    secret = Operation("The signing secret receivers verify with (admin)")
    app.add_route(
        "/webhooks/{aggregate_id:uuid}/secret",
        SecretResource(s),
        openapi={f"{item}/secret": {"get": secret}},
    )
    log = Operation("The delivery log: status, attempts, last error, latency (admin)")
    app.add_route(
        "/webhooks/{aggregate_id:uuid}/deliveries",
        DeliveriesResource(s),
        openapi={f"{item}/deliveries": {"get": log}},
    )
    stream = EventStreamResource(EventStream(s.app), s.settings.events_max_wait_seconds)
    pull = Operation("Public events after a position, kinds filter, long-polling")
    app.add_route("/events", stream, openapi={"/events": {"get": pull}})
