"""GET /callbacks: the callbacks owed to abandoned and unreached calls, as work (回拨).

Every call that ended without reaching anyone is owed a callback by `callback_due_at` (the end
of its business day). `state` says where each stands: `due` (not made, not yet late), `overdue`
(not made, past due now) or `done` (an outbound call with `callback_for` made it); `in_time`
says whether a done callback was made by its due time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import falcon
import msgspec

from kefu.bootstrap import Services
from kefu.http.aggregates import read_your_writes
from kefu.http.customer_scope import customer_param
from kefu.http.listing import Condition, ListResource, Param, time_param
from kefu.projections.call_document import CallDocument
from kefu.projections.listing import ListQuery
from kefu.projections.sql import db_time

OWED = "callback_due_at IS NOT NULL"
STATES = {
    "due": "called_back_at IS NULL AND callback_due_at >= :callbacks_now",
    "overdue": "called_back_at IS NULL AND callback_due_at < :callbacks_now",
    "done": "called_back_at IS NOT NULL",
}


def state_condition(clock: Callable[[], datetime]) -> Condition:
    def condition(text: str) -> tuple[str, dict[str, object]]:
        if text not in STATES:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"state is one of: {', '.join(STATES)}"
            )
        return STATES[text], {"callbacks_now": db_time(clock())}

    return condition


def callback_item(view: CallDocument, now: datetime) -> dict[str, Any]:
    """A callback as a work item: the call, its state and whether it was made in time."""
    assert view.callback_due_at is not None
    if view.called_back_at is not None:
        state, in_time = "done", view.called_back_at <= view.callback_due_at
    else:
        state, in_time = ("overdue" if now > view.callback_due_at else "due"), None
    item: dict[str, Any] = msgspec.to_builtins(view)
    return {**item, "state": state, "in_time": in_time}


class CallbackList(ListResource):
    """GET /callbacks: owed callbacks by state, customer, number and due time."""

    def __init__(self, s: Services) -> None:
        params = [
            Param("state", condition=state_condition(s.clock)),
            customer_param(s),
            Param("number", "customer_number"),
            Param("due_to", "callback_due_at", "lt", time_param),
        ]
        sorts = {"due": "callback_due_at", "started": "started_at"}
        wait = read_your_writes(s, "call_views")
        super().__init__(s.read_models.calls, params, sorts, self.item, wait)
        self.clock = s.clock

    def item(self, view: CallDocument) -> dict[str, Any]:
        return callback_item(view, self.clock())

    def _query(self, req: falcon.Request) -> ListQuery:
        query = super()._query(req)
        return replace(query, extra_where=[*query.extra_where, OWED])
