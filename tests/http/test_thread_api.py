"""The thread over HTTP: entries, what a customer sees, replies queued, files, refusals."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

import falcon.testing

from kefu.bootstrap import Services
from tests.http.conftest import FakeClock, Headers

Client = falcon.testing.TestClient
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_thread_keeps_messages_replies_and_notes_and_hides_notes_from_the_customer(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    view: Callable[[str], dict[str, Any]],
    clock: FakeClock,
    catch_up: Callable[[], int],
) -> None:
    ticket = open_ticket(channel="email")["id"]
    post = _poster(client, auth, ticket)
    customer = post(
        kind="customer_message",
        html='<p onclick="steal()">发票金额不对<script>alert(1)</script></p>',
        address="li@example.com",
    )
    assert customer.status_code == 201, customer.text
    assert post(kind="internal_note", body="check the invoice system").status_code == 201
    clock.advance(minutes=30)
    reply = post(kind="public_reply", body="我们已核实，将退还差额。")
    assert reply.status_code == 201, reply.text
    catch_up()

    entries = client.simulate_get(f"/tickets/{ticket}/thread", headers=auth()).json["items"]
    assert [e["kind"] for e in entries] == ["customer_message", "internal_note", "public_reply"]
    assert entries[0]["body"] == "发票金额不对"
    assert entries[0]["html"] == "<p>发票金额不对</p>"
    assert entries[2]["address"] == "li@example.com"  # the customer's last address
    assert entries[2]["delivery"] == "queued" and entries[2]["message_id"]
    shown = client.simulate_get(
        f"/tickets/{ticket}/thread", params={"audience": "customer"}, headers=auth("reporter")
    ).json["items"]
    assert [e["kind"] for e in shown] == ["customer_message", "public_reply"]
    page = client.simulate_get(f"/tickets/{ticket}/thread", params={"limit": 2}, headers=auth())
    rest = client.simulate_get(
        f"/tickets/{ticket}/thread", params={"cursor": page.json["next_cursor"]}, headers=auth()
    )
    assert [e["id"] for e in page.json["items"] + rest.json["items"]] == [e["id"] for e in entries]
    streamed = client.simulate_get(
        "/events", params={"kinds": "Ticket.EntryPosted"}, headers=auth()
    ).json["events"]  # as a webhook subscriber gets them: the internal note too
    assert [(e["aggregate_kind"], e["payload"]["entry"]["kind"]) for e in streamed] == [
        ("ticket", "customer_message"), ("ticket", "internal_note"), ("ticket", "public_reply")
    ]  # fmt: skip

    ticket_view = view(ticket)
    assert ticket_view["first_reply_seconds"] == 1800
    assert ticket_view["first_response_seconds"] == 1800  # the reply was the first response
    message = client.simulate_get(f"/messages/{entries[2]['message_id']}", headers=auth("admin"))
    assert message.status_code == 200, message.text
    assert message.json["address"] == "li@example.com"


def test_a_customer_message_reopens_a_resolved_ticket(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    walk: Callable[..., list[dict[str, Any]]],
    view: Callable[[str], dict[str, Any]],
) -> None:
    ticket = open_ticket()["id"]
    walk(ticket, "dispatch", "start", "resolve")
    post = _poster(client, auth, ticket)
    assert post(kind="customer_message", body="还是不行", channel="sms").status_code == 201
    assert view(ticket)["status"] == "reopened"


def test_refusals_change_nothing(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    services: Services,
) -> None:
    ticket = open_ticket()["id"]  # a phone ticket
    post = _poster(client, auth, ticket)
    head = services.app.recorder.max_notification_id()
    assert post(kind="public_reply", body="hi").status_code == 409  # by phone: said there
    assert post(kind="internal_note", body="  ").status_code == 409
    unknown = post(kind="internal_note", body="x", attachments=[{"sha256": "a" * 64}])
    assert unknown.status_code == 422 and unknown.json["type"].endswith("unknown-attachment")
    assert post(kind="gossip", body="x").status_code == 422
    assert post(kind="internal_note", body="x", role="reporter").status_code == 403
    assert services.app.recorder.max_notification_id() == head
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.simulate_get(f"/tickets/{missing}/thread", headers=auth()).status_code == 404


def test_files_are_stored_by_digest_typed_from_their_bytes_and_served_to_readers_of_the_case(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    catch_up: Callable[[], int],
) -> None:
    upload = client.simulate_post(
        "/attachments", body=PNG, headers={**auth(), "Content-Type": "text/plain"}
    )
    assert upload.status_code == 201, upload.text
    assert upload.json == {
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "size": len(PNG),
        "content_type": "image/png",  # read from the bytes, not the header
    }
    digest = upload.json["sha256"]
    ticket, other = open_ticket()["id"], open_ticket()["id"]
    attached = _poster(client, auth, ticket)(
        kind="internal_note", body="", attachments=[{"sha256": digest, "filename": "发票.png"}]
    )
    assert attached.status_code == 201, attached.text
    catch_up()
    got = client.simulate_get(f"/tickets/{ticket}/attachments/{digest}", headers=auth("auditor"))
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    elsewhere = client.simulate_get(f"/tickets/{other}/attachments/{digest}", headers=auth())
    assert elsewhere.status_code == 404  # only through a case whose thread names it

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"\x00" * 5_000_000)
    refused = client.simulate_post("/attachments", body=bomb.getvalue(), headers=auth())
    assert refused.status_code == 422 and "zip bomb" in refused.json["detail"]
    empty = client.simulate_post("/attachments", body=b"", headers=auth())
    assert empty.status_code == 422


def _poster(client: Client, auth: Callable[..., Headers], ticket: str) -> Callable[..., Any]:
    def post(role: str = "service", **body: Any) -> Any:
        return client.simulate_post(f"/tickets/{ticket}/thread", json=body, headers=auth(role))

    return post


def test_the_ticket_list_finds_tickets_by_words_of_their_subject_and_thread(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    catch_up: Callable[[], int],
) -> None:
    invoice = open_ticket(subject="上月发票金额多收", channel="email")["id"]
    parcel = open_ticket(subject="快递没到", channel="email")["id"]
    open_ticket(subject="密码重置")
    _poster(client, auth, parcel)(kind="customer_message", body="包裹显示已签收但我没收到")
    catch_up()

    def found(q: str, **more: str) -> list[str]:
        answer = client.simulate_get("/tickets", params={"q": q, **more}, headers=auth())
        assert answer.status_code == 200, answer.text
        return [t["id"] for t in answer.json["items"]]

    assert found("发票金额") == [invoice]
    assert found("已签收") == [parcel]  # the thread's words
    assert found("已签收", status="closed") == []  # with the list's other filters
    assert found("天气预报") == []
    blank = client.simulate_get("/tickets", params={"q": "！？"}, headers=auth())
    assert blank.status_code == 400


def test_the_complaint_list_finds_complaints_by_words_of_their_description_and_thread(
    client: Client,
    auth: Callable[..., Headers],
    new_customer: Callable[..., str],
    catch_up: Callable[[], int],
) -> None:
    customer = new_customer()

    def register(kind: str, description: str) -> str:
        body = {"channel": "phone", "customer_id": customer, "type": kind,
                "description": description, "contact": "13800000001"}  # fmt: skip
        answer = client.simulate_post("/complaints", json=body, headers=auth())
        assert answer.status_code == 201, answer.text
        return str(answer.json["id"])

    invoice = register("price_dispute", "上月发票金额多收")
    kettle = register("product_defect", "水壶漏水")
    note = {"kind": "internal_note", "body": "客户要求上门取件"}
    thread = client.simulate_post(f"/complaints/{kettle}/thread", json=note, headers=auth())
    assert thread.status_code == 201, thread.text
    catch_up()

    def found(q: str, role: str = "service", **more: str) -> list[str]:
        answer = client.simulate_get("/complaints", params={"q": q, **more}, headers=auth(role))
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json["items"]]

    assert found("发票金额", role="reporter") == [invoice]
    assert found("上门取件") == [kettle]  # the thread's words
    assert found("漏水", type="product_defect") == [kettle]  # with the list's other filters
    assert found("漏水", type="price_dispute") == []
    assert found("天气预报") == []
    blank = client.simulate_get("/complaints", params={"q": "！？"}, headers=auth())
    assert blank.status_code == 400
    refused = client.simulate_get("/complaints", params={"q": "漏水"}, headers=auth("auditor"))
    assert refused.status_code == 403


def test_a_complaint_has_a_thread_and_its_sms_reply_goes_to_the_customers_number(
    client: Client,
    auth: Callable[..., Headers],
    new_customer: Callable[..., str],
    catch_up: Callable[[], int],
) -> None:
    customer = new_customer(phones=["+8613800000001"])
    complaint = client.simulate_post(
        "/complaints",
        json={"channel": "phone", "customer_id": customer, "type": "product_defect",
              "description": "水壶漏水", "contact": "13800000001", "severity": "important"},
        headers=auth(),
    )  # fmt: skip
    assert complaint.status_code == 201, complaint.text
    thread = f"/complaints/{complaint.json['id']}/thread"
    reply = {"kind": "public_reply", "body": "已安排换货", "channel": "sms"}
    assert client.simulate_post(thread, json=reply, headers=auth()).status_code == 201
    catch_up()
    [entry] = client.simulate_get(thread, headers=auth()).json["items"]
    assert (entry["record_kind"], entry["address"]) == ("complaint", "+8613800000001")


def test_search_ranks_tickets_complaints_and_articles_with_snippets(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    new_customer: Callable[..., str],
    catch_up: Callable[[], int],
) -> None:
    ticket = open_ticket(subject="上月发票金额多收", channel="email")["id"]
    complaint = client.simulate_post(
        "/complaints",
        json={"channel": "phone", "customer_id": new_customer(), "type": "price_dispute",
              "description": "发票金额与合同不符", "contact": "13800000001"},
        headers=auth(),
    ).json["id"]  # fmt: skip
    open_ticket(subject="密码重置")
    catch_up()
    answer = client.simulate_get("/search", params={"q": "发票金额"}, headers=auth("reporter"))
    assert answer.status_code == 200, answer.text
    found = {(i["kind"], i["id"]) for i in answer.json["items"]}
    assert found == {("ticket", ticket), ("complaint", complaint)}
    assert all("发票金额" in i["snippet"] for i in answer.json["items"])
    only = client.simulate_get(
        "/search", params={"q": "发票", "kinds": "complaint"}, headers=auth()
    )
    assert [i["id"] for i in only.json["items"]] == [complaint]
    assert (
        client.simulate_get(
            "/search", params={"q": "x", "kinds": "cat"}, headers=auth()
        ).status_code
        == 400
    )
    assert (
        client.simulate_get("/search", params={"q": "发票"}, headers=auth("auditor")).status_code
        == 403
    )
