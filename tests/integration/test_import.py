"""`kefu import` on both backends: a few thousand records land at their original times (reports,
state at a time), a crash is resumed without duplicates, a second run writes nothing, rejected
lines are reported with reasons, the followers leave history alone; and the user exports over
HTTP (CSV and JSON lines) give the imported records back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from kefu.audit.history import state_at
from kefu.bootstrap import Services, build_services
from kefu.cli.importing import EXIT_REJECTED
from kefu.cli.main import main
from kefu.commands.importing import Rejection, Written, imported_id
from kefu.http.app import create_app
from kefu.settings import Settings

CUSTOMERS, TICKETS, COMPLAINTS = 200, 1700, 100
MAY = datetime(2024, 5, 1, tzinfo=UTC)  # the imported history happened in May 2024
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
TOKEN = "exp-token"
SOURCE = "zammad"


class Clock:
    def __call__(self) -> datetime:
        return NOW


def _at(minutes: int) -> str:
    return (MAY + timedelta(minutes=minutes)).isoformat()


def _customer(n: int) -> dict[str, Any]:
    return {
        "type": "customer",
        "id": f"c{n}",
        "at": _at(n),
        "create": {
            "name": f"客户{n}",
            "phones": [f"+8613800{n:06d}"],
            "email": f"c{n}@example.cn",
            "source_channel": "phone",
        },
    }


def _ticket(n: int) -> dict[str, Any]:
    """Every third ticket stays open (dispatched), the others are resolved and closed; every
    tenth has a thread (the customer's message and a public reply)."""
    start = 2000 + n * 20  # spread over May: 1,700 tickets 20 minutes apart
    history: list[dict[str, Any]] = [
        {"at": _at(start + 2), "action": "dispatch", "department": "after_sales"},
    ]
    if n % 10 == 0:
        history += [
            {
                "at": _at(start + 3),
                "action": "thread",
                "kind": "customer_message",
                "body": "漏水了",
            },
            {
                "at": _at(start + 4),
                "action": "thread",
                "kind": "public_reply",
                "body": "已安排上门",
            },
        ]
    if n % 3:
        history += [
            {"at": _at(start + 9), "action": "resolve", "resolution": "换了水管", "code": "fixed"},
            {"at": _at(start + 12), "action": "close"},
        ]
    return {
        "type": "ticket",
        "id": f"t{n}",
        "at": _at(start),
        "customer": f"c{n % CUSTOMERS}",
        "create": {"channel": "email", "category": "repairs", "subject": f"洗衣机漏水 {n}"},
        "history": history,
    }


def _complaint(n: int) -> dict[str, Any]:
    return {
        "type": "complaint",
        "id": f"p{n}",
        "at": _at(40_000 + n),
        "customer": f"c{n}",
        "ticket": f"t{n}",
        "create": {
            "channel": "phone",
            "type": "service_failure",
            "description": "上门迟到",
            "contact": f"客户{n}",
        },
        "history": [{"at": _at(40_100 + n), "action": "acknowledge"}],
    }


# Lines kefu must refuse, each for its reason (by a word of it), in the middle of the file.
BAD_LINES = {
    "{not json": "JSON",
    json.dumps({**_ticket(1), "id": "late", "history": [{"at": _at(10), "action": "start"}]}):
    "earlier than",
    json.dumps({**_ticket(1), "id": "future", "at": "2031-01-01T00:00:00+00:00", "history": []}):
    "future",
    json.dumps({**_ticket(1), "id": "shut", "history": [{"at": _at(3000), "action": "close"}]}):
    "cannot close",
    json.dumps({**_ticket(1), "id": "nowhere", "customer": "no-such-customer"}): "does not exist",
    json.dumps(
        {**_ticket(1), "id": "dept", "history": [{"at": _at(3000), "action": "dispatch",
                                                  "department": "nowhere"}]}
    ): "not in the directory",
}  # fmt: skip


@pytest.fixture
def import_file(tmp_path: Path) -> Path:
    lines = [json.dumps(_customer(n)) for n in range(CUSTOMERS)]
    lines += [json.dumps(_ticket(n)) for n in range(TICKETS // 2)]
    lines += list(BAD_LINES)
    lines += [json.dumps(_ticket(n)) for n in range(TICKETS // 2, TICKETS)]
    lines += [json.dumps(_complaint(n)) for n in range(COMPLAINTS)]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    settings = Settings(database_url=database_url, api_tokens=f"{TOKEN}:ann:reporter")
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def _kefu_import(path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    rejected = path.with_suffix(".rejected")
    return main(["import", str(path), "--source", SOURCE, "--actor", "ops-li",
                 "--rejected", str(rejected)])  # fmt: skip


def test_an_import_lands_at_its_original_times_once_and_resumes_after_a_crash(
    services: Services,
    import_file: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A first run stops after 1,000 lines (as if killed: the lines in flight finish or not).
    importer = services.importer(SOURCE, "ops-li")
    lines = enumerate(import_file.read_bytes().splitlines(), 1)
    for result in importer.import_lines(lines):
        assert isinstance(result, Written), result
        if result.line == 1000:
            break

    # The rerun finishes the file: what was written before is answered, not written again.
    assert _kefu_import(import_file, database_url, monkeypatch) == EXIT_REJECTED
    head = services.app.recorder.max_notification_id()
    rejected = [json.loads(line) for line in import_file.with_suffix(".rejected").open()]
    assert [r["line"] for r in rejected] == [CUSTOMERS + TICKETS // 2 + i for i in range(1, 7)]
    for entry, (line, reason) in zip(rejected, BAD_LINES.items(), strict=True):
        assert reason in entry["reason"], entry
        assert entry["id"] == ("" if line.startswith("{not") else json.loads(line)["id"])
    closed = TICKETS - len(range(0, TICKETS, 3))
    events = _count_events(services)
    assert events["Ticket.Opened"] == TICKETS
    assert events["Ticket.Closed"] == closed
    assert events["Customer.Registered"] == CUSTOMERS
    assert events["Complaint.Registered"] == COMPLAINTS
    assert "Message.Created" not in events  # imported public replies are not sent again

    # A second run of the same file writes nothing: the log's head stays where it was.
    assert _kefu_import(import_file, database_url, monkeypatch) == EXIT_REJECTED
    assert services.app.recorder.max_notification_id() == head

    # The followers (automation, SLA timers, notifier, visit planner) act on none of it.
    # Nor does the no-contact sweep on views that hold it all: every imported customer's
    # silence (since May 2024) was past due before the import.
    runner = services.projection_runner()
    while runner.catch_up():
        pass
    assert services.visit_planner.sweep() == 0
    assert services.app.recorder.max_notification_id() == head

    # Time travel: a ticket as it stood in May 2024, and its metadata says who imported it when.
    ticket_id = imported_id(SOURCE, "ticket", "t4")
    dispatched = MAY + timedelta(minutes=2000 + 4 * 20 + 2)
    then = state_at(services.app, ticket_id, dispatched + timedelta(seconds=30), None)
    assert then["state"]["status"] == "dispatched"
    meta = then["produced_by"]["metadata"]
    assert (meta["actor_id"], meta["source_system"]) == ("ops-li", SOURCE)
    assert meta["recorded_at"].startswith("2030-03-04")
    assert then["produced_by"]["at"] == dispatched

    client = falcon.testing.TestClient(create_app(services))
    headers = {"Authorization": f"Bearer {TOKEN}"}

    # The tickets report counts them in May 2024, none in the month they were imported.
    def created_by_month(start: str, end: str) -> dict[str, dict[str, Any]]:
        params = {"from": start, "to": end, "period": "month"}
        answer = client.simulate_get("/reports/tickets", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return {row["period"][:7]: row for row in answer.json["rows"]}

    then_months = created_by_month("2024-04-01T00:00:00Z", "2024-07-01T00:00:00Z")
    may = then_months["2024-05"]
    assert (may["created"], may["closed"]) == (TICKETS, closed)
    assert sum(row["created"] for row in then_months.values()) == TICKETS
    import_month = created_by_month("2030-03-01T00:00:00Z", "2030-04-01T00:00:00Z")
    assert sum(row["created"] for row in import_month.values()) == 0

    _exports_give_the_records_back(client, headers, closed)


def _exports_give_the_records_back(
    client: falcon.testing.TestClient, headers: dict[str, str], closed: int
) -> None:
    tickets = client.simulate_get(
        "/exports/tickets", params={"format": "csv", "status": "closed"}, headers=headers
    )
    assert tickets.status_code == 200, tickets.text
    assert tickets.headers["content-type"].startswith("text/csv")
    assert not tickets.content.startswith(b"\xef\xbb\xbf")  # a script, not a browser
    rows = list(csv.DictReader(io.StringIO(tickets.text)))
    assert len(rows) == closed  # three pages of the list, one after another
    assert len({row["id"] for row in rows}) == closed
    assert all(row["opened_at"].startswith("2024-05") for row in rows)

    browser = {**headers, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"}
    jsonl = {"format": "jsonl"}
    customers = client.simulate_get("/exports/customers", params=jsonl, headers=browser)
    assert customers.status_code == 200
    assert customers.headers["content-type"].startswith("application/jsonl")
    files = [json.loads(line) for line in customers.text.splitlines()]
    assert sorted(file["name"] for file in files) == sorted(f"客户{n}" for n in range(CUSTOMERS))

    complaints = client.simulate_get("/exports/complaints", params={"bom": "1"}, headers=headers)
    assert complaints.content.startswith(b"\xef\xbb\xbf")
    text = complaints.content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text)))) == COMPLAINTS

    bad = client.simulate_get("/exports/tickets", params={"format": "xlsx"}, headers=headers)
    unknown = client.simulate_get("/exports/tickets", params={"colour": "red"}, headers=headers)
    cursor = client.simulate_get("/exports/tickets", params={"cursor": "x"}, headers=headers)
    assert (bad.status_code, unknown.status_code, cursor.status_code) == (400, 400, 400)


def _count_events(services: Services) -> dict[str, int]:
    counts: dict[str, int] = {}
    position = 0
    while page := services.app.recorder.select_notifications(
        start=position, limit=1000, inclusive_of_start=False
    ):
        for notification in page:
            name = ".".join(notification.topic.split(":")[-1].split(".")[-2:])
            counts[name] = counts.get(name, 0) + 1
        position = page[-1].id
    return counts


def test_a_line_changed_since_its_import_is_refused_and_rejections_name_the_line(
    services: Services,
) -> None:
    importer = services.importer(SOURCE, "ops-li")
    line = json.dumps(_customer(1)).encode()
    assert isinstance(importer.import_line(1, line), Written)
    changed = json.dumps({**_customer(1), "create": {"name": "改名", "source_channel": "web"}})
    refused = importer.import_line(2, changed.encode())
    assert isinstance(refused, Rejection)
    assert (refused.line, refused.source_id) == (2, "c1")
    assert "differs" in refused.reason


# Two tickets as Zammad answers `GET /api/v1/tickets/{id}?expand=true`, with their articles and
# customer added as `kefu convert zammad` takes them (docs/import.md).
ZAMMAD_CUSTOMER = {
    "id": 7,
    "login": "wangfang@example.cn",
    "firstname": "芳",
    "lastname": "王",
    "email": "wangfang@example.cn",
    "mobile": "+86 138 0013 8000",
    "created_at": "2024-04-30T02:00:00.000Z",
}
ZAMMAD_TICKETS = [
    {
        "id": 101,
        "number": "24050210001",
        "title": "洗衣机漏水",
        "group": "Service",
        "state": "closed",
        "priority": "3 high",
        "created_at": "2024-05-02T01:00:00.000Z",
        "updated_at": "2024-05-03T04:00:00.000Z",
        "close_at": "2024-05-03T04:00:00.000Z",
        "customer_user": ZAMMAD_CUSTOMER,
        "articles": [
            {"id": 1, "type": "email", "sender": "Customer", "internal": False,
             "from": "王芳 <wangfang@example.cn>", "to": "service@example.cn",
             "subject": "洗衣机漏水", "body": "<p>漏水了</p>", "content_type": "text/html",
             "message_id": "<a1@example.cn>", "created_at": "2024-05-02T01:00:00.000Z"},
            {"id": 2, "type": "note", "sender": "Agent", "internal": True, "body": "已派单",
             "content_type": "text/plain", "created_at": "2024-05-02T01:30:00.000Z"},
            {"id": 3, "type": "email", "sender": "Agent", "internal": False,
             "from": "service@example.cn", "to": "wangfang@example.cn", "subject": "RE: 洗衣机漏水",
             "body": "已安排上门", "content_type": "text/plain",
             "created_at": "2024-05-02T02:00:00.000Z"},
        ],
    },
    {
        "id": 102,
        "number": "24050610002",
        "title": "发票",
        "group": "Billing",
        "state": "pending reminder",
        "priority": "2 normal",
        "created_at": "2024-05-06T03:00:00.000Z",
        "updated_at": "2024-05-06T05:00:00.000Z",
        "customer_user": ZAMMAD_CUSTOMER,
        "articles": [
            {"id": 4, "type": "phone", "sender": "Customer", "internal": False,
             "body": "要发票", "content_type": "text/plain",
             "created_at": "2024-05-06T03:00:00.000Z"},
            {"id": 5, "type": "phone", "sender": "Agent", "internal": False,
             "body": "请提供税号", "content_type": "text/plain",
             "created_at": "2024-05-06T04:00:00.000Z"},
        ],
    },
]  # fmt: skip


def test_zammad_tickets_convert_into_lines_that_import_whole(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "zammad.jsonl"
    export.write_text("\n".join(json.dumps(t) for t in ZAMMAD_TICKETS) + "\n", encoding="utf-8")
    assert main(["convert", "zammad", str(export), "--department", "Billing=billing"]) == 0
    lines = capsys.readouterr().out.encode().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["customer", "ticket", "ticket"]

    importer = services.importer(SOURCE, "ops-li")
    results = list(importer.import_lines(enumerate(lines, 1)))
    assert [r for r in results if isinstance(r, Rejection)] == []
    closed = services.app.repository.get(imported_id(SOURCE, "ticket", "24050210001"))
    pending = services.app.repository.get(imported_id(SOURCE, "ticket", "24050610002"))
    assert (closed.status, closed.department, closed.priority) == (
        "closed", "customer_service", "important",
    )  # fmt: skip
    assert (pending.status, pending.department) == ("pending", "billing")
    assert closed.customer_id == str(imported_id(SOURCE, "customer", "7"))
    kinds = [e.entry.kind for e in services.app.events.get(closed.id) if hasattr(e, "entry")]
    assert kinds == ["customer_message", "internal_note", "public_reply"]
