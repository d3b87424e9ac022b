"""The /customers routes: files, lookups by phone, and the one-customer timeline (服务中台)."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.customers import RegisterCustomer
from kefu.domain.customer import Customer
from kefu.domain.errors import NotFound
from kefu.http.aggregates import (
    VIEW_READERS,
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.listing import ListResource, Param
from kefu.http.reading import wait_for_position
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.http.words_search import words_condition
from kefu.phones import InvalidPhone, normalise_phone
from kefu.projections.batch import BatchProjection
from kefu.projections.customer_projection import CustomerView
from kefu.projections.timeline import TimelineEntry

# The roles that read customer files (personal data): every GET under /customers allows them,
# and `GET /search` returns files to them only.
CUSTOMER_READERS = VIEW_READERS


def phone_condition(text: str) -> tuple[str, dict[str, object]]:
    """`?phone=138 0013 8000` finds the file of that number, however it was written."""
    try:
        phone = normalise_phone(text)
    except InvalidPhone as e:
        raise falcon.HTTPBadRequest(title="Bad query parameter", description=str(e)) from None
    return CustomerView.key_condition("phone", phone)


def customer_list(s: Services) -> ListResource:
    """GET /customers: by phone, name prefix, tier, owner agent, tag, status or words."""
    params = [
        Param("phone", condition=phone_condition),
        Param("name", "name", "prefix"),
        Param("tier", "tier"),
        Param("owner", "owner_id"),
        Param("status", "status"),
        Param("tag", condition=lambda tag: CustomerView.key_condition("tag", tag)),
        Param("q", search=words_condition(s.read_models.customers.search)),
    ]
    sorts = {"registered": "registered_at", "name": "name"}
    return ListResource(
        s.read_models.customers, params, sorts, wait=read_your_writes(s, "customer_views")
    )


class TimelineResource(ListResource):
    """GET /customers/{id}/timeline: every case and fact of the customer (and of the duplicates
    merged into it), in time order (`sort=-at`: newest first), a page at a time."""

    def __init__(self, s: Services, projection: BatchProjection[Any]) -> None:
        # `after` (read-your-writes) is honoured by on_get before the page is read.
        params = [Param("kind", "kind"), Param("after", condition=lambda _: ("1 = 1", {}))]
        super().__init__(s.read_models.timeline, params, {"at": "at"})
        self.services = s
        self.projection = projection

    def on_get(  # type: ignore[override]
        self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID
    ) -> None:
        wait_for_position(
            req,
            self.projection,
            self.services.settings.read_wait_seconds,
            self.services.app.recorder.max_notification_id,
        )
        customer = self.services.read_models.customers.get(aggregate_id)
        if customer is None:
            raise NotFound("customer", aggregate_id)
        ids = [str(i) for i in (customer.id, *customer.merged_from)]
        timeline = self.services.read_models.timeline
        entries, next_cursor = timeline.for_customers(ids, self._query(req))
        items = [msgspec.to_builtins(e) for e in entries]
        write_json(resp, {"customer_id": customer.id, "items": items, "next_cursor": next_cursor})


class DuplicatesResource:
    """GET /customers/{id}/duplicates: files that are likely the same customer, and why."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": CUSTOMER_READERS}

    def __init__(self, s: Services) -> None:
        self.services = s
        self.wait = read_your_writes(s, "customer_views")

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        self.wait(req)
        customers = self.services.read_models.customers
        customer = customers.get(aggregate_id)
        if customer is None:
            raise NotFound("customer", aggregate_id)
        found = customers.likely_duplicates(customer)
        items = [
            {"customer": msgspec.to_builtins(view), "reasons": sorted(set(found[view.id]))}
            for view in filter(None, map(customers.get, found))
        ]
        write_json(resp, {"customer_id": customer.id, "items": items})


def add_customer_routes(app: ApiApp, s: Services) -> None:
    projection = s.read_models.projection("customer_views")
    add_aggregate_routes(
        app,
        "/customers",
        CreateResource(RegisterCustomer, s.customers.register, "/customers", customer_list(s)),
        AggregateResource(s.customers, projection, s.settings.read_wait_seconds),
        HistoryResource(s.app, Customer),
        post="Open a customer file (建档)",
        get="Find files: phone, name prefix, tier, owner, tag, status, words",
    )
    timeline = TimelineResource(s, s.read_models.projection("customer_timeline"))
    summary = "The one-customer timeline (服务中台)"
    documented = {
        "/customers/{customer_id}/timeline": {"get": Operation(summary, page_of=TimelineEntry)}
    }
    app.add_route("/customers/{aggregate_id:uuid}/timeline", timeline, openapi=documented)
    duplicates = {
        "/customers/{customer_id}/duplicates": {
            "get": Operation("Likely duplicates of a file (查重), with the reasons")
        }
    }
    app.add_route(
        "/customers/{aggregate_id:uuid}/duplicates", DuplicatesResource(s), openapi=duplicates
    )
