"""The personal-data routes of a customer file: erasure (被遗忘权) and subject access (查阅复制权).

Both are for admins only: an erasure cannot be undone, and the export holds everything kefu
knows about a person. docs/privacy.md explains what is erased and what is exported.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import falcon

from kefu.audit.subject_access import personal_data
from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.execution import Answer
from kefu.commands.privacy import EraseCustomer
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json, write_outcome
from kefu.http.routes import ApiApp, Operation

ADMINS = frozenset[Role]()  # the middleware always lets admin through


class ErasureResource:
    """POST /customers/{id}/erasure: destroy the keys of the customer's personal data."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": ADMINS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        body = read_body(req)
        command = decode(body, EraseCustomer)
        outcome = self.services.privacy.erase(aggregate_id, command, command_context(req, body))
        write_outcome(resp, outcome)


class PersonalDataResource:
    """GET /customers/{id}/personal-data: everything kefu holds about the customer."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": ADMINS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        s = self.services
        write_json(resp, personal_data(s.app, aggregate_id, s.clock()))
        resp.set_header(
            "Content-Disposition", f'attachment; filename="personal-data-{aggregate_id}.json"'
        )


def add_privacy_routes(app: ApiApp, s: Services) -> None:
    erase = Operation("Erase the customer's personal data (被遗忘权; admin)", EraseCustomer, Answer)
    app.add_route(
        "/customers/{aggregate_id:uuid}/erasure",
        ErasureResource(s),
        openapi={"/customers/{customer_id}/erasure": {"post": erase}},
    )
    export = Operation("Everything kefu holds about the customer (查阅复制权; admin)")
    app.add_route(
        "/customers/{aggregate_id:uuid}/personal-data",
        PersonalDataResource(s),
        openapi={"/customers/{customer_id}/personal-data": {"get": export}},
    )
