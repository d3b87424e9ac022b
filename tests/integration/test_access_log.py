"""Reads of personal data over the falcon app go on record, on both backends, and the access
log is tamper-evident."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import falcon.testing
import pytest

from kefu.audit.log_reading import verify_all
from kefu.audit.verify import Tamper
from kefu.bootstrap import Services, build_services
from kefu.http.app import create_app
from kefu.settings import Settings

TOKENS = {"service": "svc", "auditor": "aud", "reporter": "rep", "admin": "adm"}
ACTORS = {"service": "desk-app", "auditor": "alice", "reporter": "bob", "admin": "root"}
API_TOKENS = ",".join(f"{token}:{ACTORS[role]}:{role}" for role, token in TOKENS.items())


def headers(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture
def desk(database_url: str) -> Iterator[tuple[Services, falcon.testing.TestClient]]:
    services = build_services(Settings(database_url=database_url, api_tokens=API_TOKENS))
    yield services, falcon.testing.TestClient(create_app(services))
    services.close()


def get(client: falcon.testing.TestClient, path: str, role: str, **params: Any) -> Any:
    result = client.simulate_get(path, params=params, headers=headers(role))
    assert result.status_code == 200, result.text
    return result.json


def file_and_ticket(services: Services, client: falcon.testing.TestClient) -> tuple[str, str]:
    customer = client.simulate_post(
        "/customers",
        json={"name": "韩梅梅", "phones": ["138 0013 8000"], "tier": "member"},
        headers=headers("service"),
    ).json["id"]
    ticket = client.simulate_post(
        "/tickets",
        json={"channel": "phone", "category": "billing", "subject": "Charged twice",
              "description": "two debits", "customer_id": customer},
        headers=headers("service"),
    ).json["id"]  # fmt: skip
    client.simulate_post(
        "/customers", json={"name": "李雷", "tier": "member"}, headers=headers("service")
    )
    services.projection_runner().catch_up()
    return str(customer), str(ticket)


def test_reads_of_a_file_a_list_a_timeline_and_a_ticket_are_on_record(
    desk: tuple[Services, falcon.testing.TestClient],
) -> None:
    services, client = desk
    customer, ticket = file_and_ticket(services, client)

    get(client, f"/customers/{customer}", "service")
    listed = get(client, "/customers", "reporter", tier="member")
    get(client, f"/customers/{customer}/timeline", "service")
    get(client, f"/tickets/{ticket}", "service")
    found = get(client, "/search", "service", q="韩梅梅", kinds="customer")
    get(client, "/agents", "service")  # no personal data: not recorded
    services.access_log.flush()
    entries = get(client, "/audit/access", "auditor")["items"]

    rows = [(e["actor_id"], e["actor_role"], e["kind"], e["records"], e["fields"])
            for e in entries]  # fmt: skip
    assert rows[0] == ("desk-app", "service", "customer", [customer], ["name", "phones"])
    assert len(listed["items"]) == 2
    assert rows[1] == (
        "bob",
        "reporter",
        "customer",
        [i["id"] for i in listed["items"]],
        ["name", "phones"],
    )
    assert rows[2] == ("desk-app", "service", "customer-timeline", [customer], ["title"])
    assert rows[3] == ("desk-app", "service", "ticket", [ticket], ["description", "subject"])
    assert rows[4] == ("desk-app", "service", "search", [customer], ["snippet"])
    assert [hit["id"] for hit in found["items"]] == [customer]
    assert len(rows) == 5
    assert [e["route"] for e in entries[:2]] == ["/customers/{aggregate_id:uuid}", "/customers"]

    one_file = get(client, "/audit/access", "admin", record=customer)["items"]
    kinds = ["customer", "customer", "customer-timeline", "search"]
    assert [e["kind"] for e in one_file] == kinds
    assert get(client, "/audit/access", "auditor", actor="bob")["items"] == entries[1:2]
    first = get(client, "/audit/access", "auditor", limit=2)
    rest = get(client, "/audit/access", "auditor", cursor=first["next_cursor"])
    assert first["items"] + rest["items"] == entries
    denied = client.simulate_get("/audit/access", headers=headers("reporter"))
    assert denied.status_code == 403


def test_a_tampered_or_removed_access_log_batch_is_caught(
    desk: tuple[Services, falcon.testing.TestClient],
) -> None:
    services, client = desk
    customer, ticket = file_and_ticket(services, client)
    for path in (f"/customers/{customer}", f"/tickets/{ticket}", f"/customers/{customer}"):
        get(client, path, "service")
        services.access_log.flush()  # three batches
    store = services.access_log.store
    assert verify_all(services.app, store).ok

    with store.tables.write() as tx:  # someone with database access hides what was seen
        tx.execute("UPDATE access_log SET fields = 'name' WHERE batch = 2")
    altered = verify_all(services.app, store)
    with store.tables.write() as tx:
        tx.execute("DELETE FROM access_log WHERE batch = 2")
        tx.execute("DELETE FROM access_batches WHERE batch = 2")
    removed = verify_all(services.app, store)
    answer = get(client, "/audit/verify", "auditor")

    assert [(f.kind, f.position) for f in altered.findings] == [(Tamper.ACCESS_ALTERED, 2)]
    assert [(f.kind, f.position) for f in removed.findings] == [
        (Tamper.ACCESS_ALTERED, 3),  # batch 3 no longer follows batch 1
        (Tamper.ACCESS_DELETED, 2),
    ]
    assert answer["ok"] is False
    assert {f["kind"] for f in answer["findings"]} == {"access-log-altered", "access-log-deleted"}


def test_reading_a_tickets_thread_is_on_record_with_the_entries_fields(
    desk: tuple[Services, falcon.testing.TestClient],
) -> None:
    services, client = desk
    _, ticket = file_and_ticket(services, client)
    posted = client.simulate_post(
        f"/tickets/{ticket}/thread",
        json={"kind": "customer_message", "body": "第二次扣款了"},
        headers=headers("service"),
    )
    assert posted.status_code == 201, posted.text
    services.projection_runner().catch_up()

    get(client, f"/tickets/{ticket}/thread", "service")
    services.access_log.flush()
    (entry,) = get(client, "/audit/access", "auditor")["items"]

    assert (entry["kind"], entry["records"], entry["fields"]) == (
        "ticket-thread",
        [ticket],
        ["body"],
    )


def test_an_export_puts_every_page_it_sends_on_record(
    desk: tuple[Services, falcon.testing.TestClient],
) -> None:
    services, client = desk
    customer, _ = file_and_ticket(services, client)

    exported = client.simulate_get(
        "/exports/customers", params={"format": "jsonl"}, headers=headers("service")
    )
    assert exported.status_code == 200, exported.text
    files = [json.loads(line)["id"] for line in exported.text.splitlines()]
    services.access_log.flush()
    entries = get(client, "/audit/access", "auditor")["items"]

    assert len(files) == 2 and customer in files
    assert [(e["kind"], e["route"]) for e in entries] == [("customer", "/exports/customers")]
    assert sorted(entries[0]["records"]) == sorted(files)
    assert "name" in entries[0]["fields"]
