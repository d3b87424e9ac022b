"""Department scopes, every role by scope, over every operation the API serves, on both backends.

The operations come from `/openapi.json` (which `tests/http/test_openapi_routes.py` proves is
exactly what falcon serves), so a new endpoint joins the matrix by itself. Two departments'
records are made by an unscoped admin: finance's (in scope) and refunds' (out of scope) —
tickets, a collaborative node, complaints, calls, agents and customer files. Then every
operation is called by a token of each role scoped to finance, with the path naming refunds'
records and with bodies (the document's examples) naming them too. Nothing of refunds' may be
answered (no id, no text), and nothing of refunds' may change (no event on its records).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import falcon.testing
import pytest

from kefu.bootstrap import Services, build_services
from kefu.http.app import create_app
from kefu.settings import Settings

ROLES = ("service", "reporter", "auditor", "admin")
SCOPED = {role: f"{role}-finance" for role in ROLES}  # token per role, scoped to finance
TOKENS = ",".join(
    ["root-token:root:admin", "desk-token:front-desk:service:customer_service"]
    + [f"{token}:{role}-fin:{role}:finance:billing_line" for role, token in SCOPED.items()]
)
EXAMPLE_UUID = "6f1c2a4e-1111-4a0b-9c39-4d4c2a7b9e01"  # kefu/http/body_examples.py
START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


@dataclass
class Department:
    """One department's records, and the words that mark its text."""

    name: str
    queue: str
    ids: dict[str, str]

    @property
    def mark(self) -> str:
        return f"MARK{self.name.upper()}"


class Desk:
    """The app with two departments' records, made by an unscoped admin."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.client = falcon.testing.TestClient(create_app(services))
        # the knowledge base is shared: one article, named in both departments' paths
        self.article = str(
            self.admin(
                "POST",
                "/articles",
                {"title": "退款流程", "category": "billing", "author_id": "root"},
            )["id"]
        )
        self.finance = self._department("finance", "billing_line")
        self.refunds = self._department("refunds", "refund_line")
        # refunds' ticket with a finance node (协同工单): finance sees it through its node
        self.shared = self._ticket("refunds", "MARKSHARED")
        self.admin(
            "POST",
            f"/tickets/{self.shared}/nodes",
            {"department": "finance", "due_at": "2030-03-08T09:00:00+08:00"},
        )
        services.projection_runner().catch_up()

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        result = self.client.simulate_request(
            method, path, json=body, headers={"Authorization": "Bearer root-token"}
        )
        assert result.status_code in (200, 201), f"{method} {path}: {result.text}"
        return result.json

    def _ticket(self, department: str, mark: str, customer_id: str | None = None) -> str:
        body = {"channel": "phone", "category": "billing", "subject": f"{mark} 发票金额多收"}
        ticket = self.admin("POST", "/tickets", {**body, "customer_id": customer_id})["id"]
        self.admin("POST", f"/tickets/{ticket}/dispatch", {"department": department})
        self.admin(
            "POST", f"/tickets/{ticket}/thread", {"kind": "internal_note", "body": f"{mark} note"}
        )
        return str(ticket)

    def _department(self, name: str, queue: str) -> Department:
        mark = f"MARK{name.upper()}"
        customer = self.admin("POST", "/customers", {"name": f"{mark}客户"})["id"]
        ticket = self._ticket(name, mark, customer)
        complaint = self.admin(
            "POST",
            "/complaints",
            {"channel": "phone", "customer_id": customer, "type": "price_dispute",
             "description": f"{mark} 价格争议", "contact": "13800138000"},
        )["id"]  # fmt: skip
        self.admin("POST", f"/complaints/{complaint}/acknowledge", {})
        self.admin(
            "POST", f"/complaints/{complaint}/attribute", {"department": name, "cause": "other"}
        )
        agent = self.admin(
            "POST", "/agents", {"name": f"{mark}坐席", "extension": "8001", "skill_groups": [queue]}
        )["id"]
        call = self.admin(
            "POST",
            "/calls",
            {"direction": "inbound", "customer_number": "+8613800138000",
             "hotline": "+864008001234", "customer_id": customer},
        )["id"]  # fmt: skip
        self.admin("POST", f"/calls/{call}/queue", {"group": queue})
        ids = {
            "ticket": ticket, "complaint": complaint, "customer": customer, "agent": agent,
            "call": call,
        }  # fmt: skip
        named = {kind: str(i) for kind, i in ids.items()}
        return Department(name, queue, {**named, "article": self.article})

    def versions(self, ids: set[str]) -> dict[str, int]:
        return {i: self.services.app.repository.get(UUID(i)).version for i in ids}


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    settings = Settings(
        database_url=database_url,
        api_tokens=TOKENS,
        read_wait_seconds=0.2,
        attachments_dir=str(tmp_path / "attachments"),
    )
    services = build_services(settings, clock=lambda: START)
    try:
        yield Desk(services)
    finally:
        services.close()


# Path parameters (as /openapi.json names them) → which record of a department they name.
_KINDS = {
    "ticket_id": "ticket", "complaint_id": "complaint", "customer_id": "customer",
    "agent_id": "agent", "call_id": "call", "stream_id": "ticket", "article_id": "article",
}  # fmt: skip
_UUID_FIELDS = {
    "ticket_id": "ticket", "original_id": "ticket", "complaint_id": "complaint",
    "customer_id": "customer", "into": "customer", "agent_id": "agent", "owner_agent_id": "agent",
    "owner_id": "agent", "owner": "agent", "to": "agent", "assignee_id": "agent",
    "agent_ids": "agent", "call_id": "call", "callback_for": "call",
}  # fmt: skip


def _path(template: str, department: Department) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _KINDS:
            return department.ids[_KINDS[name]]
        if name == "name":
            return department.name
        if name == "actor_id":
            return "root"
        return {"task_id": "1", "sha256": "0" * 64}.get(name, EXAMPLE_UUID)

    return re.sub(r"\{(\w+)\}", value, template)


def _body(example: Any, department: Department, kind: str = "ticket") -> Any:
    """The document's example body with every id naming the department's record of its kind
    (by the field's name; `case_id` by its `case_kind`)."""
    if isinstance(example, dict):
        kinds = {**_UUID_FIELDS, "case_id": example.get("case_kind", "ticket")}
        return {k: _body(v, department, kinds.get(k, "ticket")) for k, v in example.items()}
    if isinstance(example, list):
        return [_body(v, department, kind) for v in example]
    if example == EXAMPLE_UUID:
        return department.ids[kind]
    return example


def _query(operation: dict[str, Any], department: Department) -> dict[str, str]:
    """Query parameters that search or filter towards the department's records."""
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    wanted = {"q": department.mark, "customer": department.ids["customer"]}
    return {name: value for name, value in wanted.items() if name in declared}


def _operations(desk: Desk) -> list[tuple[str, str, dict[str, Any]]]:
    paths = desk.client.simulate_get("/openapi.json").json["paths"]
    return [(method.upper(), path, op) for path, ops in paths.items() for method, op in ops.items()]


def _new_events(desk: Desk, after: int) -> set[str]:
    recorder = desk.services.app.recorder
    notifications = recorder.select_notifications(start=after + 1, limit=10_000)
    return {str(n.originator_id) for n in notifications}


def test_a_scoped_token_reads_and_changes_nothing_outside_its_departments(desk: Desk) -> None:
    _reads_its_own_records(desk)
    inside, outside = desk.finance, desk.refunds
    nowhere = Department("nowhere", "", {kind: str(uuid4()) for kind in inside.ids})
    nowhere.ids["article"] = desk.article
    own = {kind: i for kind, i in outside.ids.items() if kind != "article"}  # not shared
    secrets = {outside.mark, *own.values()}
    before = desk.versions(set(own.values()))
    leaks: list[str] = []
    for method, path, operation in _operations(desk):
        example = (
            operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        ).get("example")
        for role, token in SCOPED.items():
            calls = [(outside, outside)]
            if example is not None and EXAMPLE_UUID in json.dumps(example):
                calls += [(inside, nowhere), (inside, outside)]  # ids in the body
            answers = []
            for in_path, in_body in calls:
                url = _path(path, in_path)
                head = desk.services.app.recorder.max_notification_id() or 0
                body = None if example is None else _body(example, in_body)
                result = desk.client.simulate_request(
                    method,
                    url,
                    params=_query(operation, outside) if method == "GET" else None,
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
                answers.append(result.status_code)
                said = f"{role} {method} {url} {json.dumps(body, ensure_ascii=False)}"
                named = {i for i in own.values() if i in url or i in json.dumps(body)}
                shown = {s for s in secrets - named if s in result.text}
                if shown:
                    leaks.append(f"{said}: {result.status_code} shows {shown}")
                if named & set(url.split("/")) and result.status_code < 400:
                    leaks.append(f"{said}: {result.status_code} on refunds' record")
                changed = _new_events(desk, head) & set(before)
                if changed:
                    leaks.append(f"{said}: changed {changed}")
            if len(answers) == 3 and answers[1] != answers[2]:
                leaks.append(f"{role} {method} {path}: {answers[2]} for refunds' ids in the "
                             f"body, {answers[1]} for ids of nothing")  # fmt: skip
    assert not leaks, "\n".join(leaks)
    assert desk.versions(set(before)) == before


def _reads_its_own_records(desk: Desk) -> None:
    """The scoped service token reads and acts on finance's records: the matrix is not
    vacuous (a token refused everything would pass it)."""
    inside = desk.finance
    headers = {"Authorization": f"Bearer {SCOPED['service']}"}
    for kind in ("ticket", "complaint", "call", "agent", "customer"):
        one = desk.client.simulate_get(f"/{kind}s/{inside.ids[kind]}", headers=headers)
        assert one.status_code == 200, f"{kind}: {one.text}"
        listed = desk.client.simulate_get(f"/{kind}s", headers=headers).json["items"]
        expected = {inside.ids[kind], *([desk.shared] if kind == "ticket" else [])}
        assert {item["id"] for item in listed} == expected, kind
    for searched in ("/search", "/tickets"):  # GET /search and a list's ?q=
        found = desk.client.simulate_get(searched, params={"q": "发票金额"}, headers=headers)
        assert {i["id"] for i in found.json["items"]} == {inside.ids["ticket"], desk.shared}
    nodes = desk.client.simulate_get("/ticket-nodes", headers=headers).json["items"]
    assert [node["ticket_id"] for node in nodes] == [desk.shared]
    action = desk.client.simulate_post(
        f"/tickets/{inside.ids['ticket']}/follow-ups", json={"note": "called"}, headers=headers
    )
    assert action.status_code == 200, action.text
    # The front desk finds every customer file and opens tickets for any of them.
    front = {"Authorization": "Bearer desk-token"}
    files = desk.client.simulate_get("/customers", headers=front).json["items"]
    assert {f["id"] for f in files} == {inside.ids["customer"], desk.refunds.ids["customer"]}
    opened = desk.client.simulate_post(
        "/tickets",
        json={"channel": "phone", "category": "billing", "subject": "again",
              "customer_id": desk.refunds.ids["customer"]},
        headers=front,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
