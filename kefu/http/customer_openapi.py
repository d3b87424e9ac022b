"""The customer-file and return-visit part of the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu.commands import customers, visits
from kefu.commands.execution import Answer
from kefu.projections.customer_document import CustomerDocument
from kefu.projections.timeline import TimelineEntry
from kefu.projections.visit_document import VisitDocument

Operation = Callable[..., dict[str, Any]]


def customer_schemas() -> list[type]:
    """Every Struct the /customers and /visits routes decode or answer with."""
    return [
        customers.RegisterCustomer,
        *customers.COMMANDS.values(),
        visits.ScheduleVisit,
        *visits.COMMANDS.values(),
        CustomerDocument,
        VisitDocument,
        TimelineEntry,
    ]


def customer_paths(operation: Operation) -> dict[str, Any]:
    """The /customers and /visits paths; `operation(summary, body, answer, status)` builds each."""
    item, visit = "/customers/{customer_id}", "/visits/{visit_id}"
    paths: dict[str, Any] = {
        "/customers": {
            "post": operation(
                "Open a customer file (建档)", customers.RegisterCustomer, Answer, "201"
            ),
            "get": operation(
                "Find files: phone, name prefix, tier, owner, tag, status", None, None
            ),
        },
        item: {"get": operation("The customer file", None, CustomerDocument)},
        f"{item}/history": {"get": operation("Every event of the file", None, None)},
        f"{item}/timeline": {"get": operation("The one-customer timeline (服务中台)", None, None)},
        "/visits": {
            "post": operation("Schedule a visit by hand", visits.ScheduleVisit, Answer, "201"),
            "get": operation("Visits: due=today|overdue|late, assignee, customer", None, None),
        },
        visit: {"get": operation("The visit task", None, VisitDocument)},
        f"{visit}/history": {"get": operation("Every event of the visit", None, None)},
    }
    for action, body in customers.COMMANDS.items():
        paths[f"{item}/{action}"] = {"post": operation(f"Customer action: {action}", body, Answer)}
    for action, body in visits.COMMANDS.items():
        paths[f"{visit}/{action}"] = {"post": operation(f"Visit action: {action}", body, Answer)}
    return paths
