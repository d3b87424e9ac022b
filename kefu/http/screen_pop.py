"""GET /calls/{id}/screen: what an agent's desktop pops up for a call (来电弹屏).

The call, the caller's customer file (the survivor's, if the file was merged) and the newest
entries of the customer's timeline — tickets, complaints, calls and visits — in one read, so
the agent sees who is calling and what happened last before saying a word.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.domain.errors import NotFound
from kefu.http.aggregates import VIEW_READERS
from kefu.http.reading import wait_for_position
from kefu.http.responses import write_json
from kefu.projections.customer_document import CustomerDocument
from kefu.projections.listing import ListQuery

RECENT = 10  # timeline entries shown, newest first
PROJECTIONS = ("call_views", "customer_views", "customer_timeline")


class ScreenPopResource:
    """The call, its customer file and the customer's recent history."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, s: Services) -> None:
        self.s = s

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        for name in PROJECTIONS:  # `?after=`: each read model has seen the caller's writes
            projection = self.s.read_models.projection(name)
            head = self.s.app.recorder.max_notification_id
            wait_for_position(req, projection, self.s.settings.read_wait_seconds, head)
        call = self.s.read_models.calls.get(aggregate_id)
        if call is None:
            raise NotFound("call", aggregate_id)
        customer = self._file(call.customer_id)
        write_json(
            resp,
            {
                "call": msgspec.to_builtins(call),
                "customer": None if customer is None else msgspec.to_builtins(customer),
                "recent": self._recent(customer),
            },
        )

    def _file(self, customer_id: str | None) -> CustomerDocument | None:
        try:
            file = (
                None if customer_id is None else self.s.read_models.customers.get(UUID(customer_id))
            )
        except ValueError:
            return None  # an id recorded before references were checked
        if file is not None and file.merged_into is not None:
            return self.s.read_models.customers.get(file.merged_into)
        return file

    def _recent(self, customer: CustomerDocument | None) -> list[Any]:
        if customer is None:
            return []
        ids = [str(i) for i in (customer.id, *customer.merged_from)]
        query = ListQuery(order_by="at", descending=True, limit=RECENT)
        entries, _ = self.s.read_models.timeline.for_customers(ids, query)
        return [msgspec.to_builtins(e) for e in entries]
