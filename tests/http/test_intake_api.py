"""Intake over HTTP: a raw email and normalised chat messages, each taken in once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing

from tests.http.conftest import Headers

Client = falcon.testing.TestClient
MAIL = (
    "From: 韩梅梅 <han@example.com>\r\nTo: help@desk.example\r\nSubject: 快递没到\r\n"
    "Message-ID: <p1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "包裹显示已签收但我没收到"
).encode()


def test_a_raw_email_opens_a_ticket_once_and_an_auto_reply_none(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> None:
    raw = {**auth(), "Content-Type": "message/rfc822"}
    first = client.simulate_post("/intake/email", body=MAIL, headers=raw)
    assert first.status_code == 201 and first.json["outcome"] == "opened", first.text
    again = client.simulate_post("/intake/email", body=MAIL, headers=raw)
    assert again.json == {**first.json, "outcome": "duplicate"}
    auto = MAIL.replace(b"Message-ID: <p1", b"Auto-Submitted: auto-replied\r\nMessage-ID: <p2")
    ignored = client.simulate_post("/intake/email", body=auto, headers=raw)
    assert ignored.status_code == 200 and ignored.json["outcome"] == "ignored"
    assert client.simulate_post("/intake/email", body=b"", headers=raw).status_code == 400
    catch_up()
    listed = client.simulate_get("/tickets", params={"channel": "email"}, headers=auth())
    assert [t["subject"] for t in listed.json["items"]] == ["快递没到"]


def test_a_chat_conversation_stays_on_one_ticket_until_it_is_closed(
    client: Client, auth: Callable[..., Headers], walk: Callable[..., list[dict[str, Any]]]
) -> None:
    def say(message_id: str, text: str) -> Any:
        body = {"message_id": message_id, "conversation_id": "wx-open-id-1",
                "sender": "wx-open-id-1", "text": text}  # fmt: skip
        return client.simulate_post("/intake/wechat", json=body, headers=auth())

    first = say("w1", "在吗？我的订单还没发货")
    assert first.status_code == 201 and first.json["outcome"] == "opened", first.text
    ticket = first.json["ticket_id"]
    assert say("w2", "订单号 123").json == {"outcome": "joined", "ticket_id": ticket, "reason": ""}
    assert say("w2", "订单号 123").json["outcome"] == "duplicate"
    walk(ticket, "dispatch", "start", "resolve", "close")
    later = say("w3", "又有新问题")
    assert later.json["outcome"] == "opened" and later.json["ticket_id"] != ticket
    bad = client.simulate_post("/intake/chat", json={"message_id": "x"}, headers=auth())
    assert bad.status_code == 422


def test_an_sms_finds_the_senders_file_by_number_and_a_wechat_id_by_the_ids_files_keep(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> None:
    registered = {"name": "韩梅梅", "phones": ["138 0013 8000"], "tier": "member"}
    customer = client.simulate_post("/customers", json=registered, headers=auth()).json["id"]
    catch_up()

    def opened_by(channel: str, sender: str) -> Any:
        body = {"message_id": f"{channel}-{sender}", "conversation_id": sender,
                "sender": sender, "text": "快递没到"}  # fmt: skip
        answer = client.simulate_post(f"/intake/{channel}", json=body, headers=auth())
        assert answer.json["outcome"] == "opened", answer.text
        ticket = answer.json["ticket_id"]
        catch_up()
        return client.simulate_get(f"/tickets/{ticket}", headers=auth()).json["customer_id"]

    assert opened_by("sms", "+86 138-0013-8000") == customer  # written another way
    assert opened_by("sms", "13900139000") is None  # nobody's number
    assert opened_by("wechat", "13800138000") is None  # an open id is not a phone number

    def keep(file: str, ids: dict[str, list[str]]) -> falcon.testing.Result:
        return client.simulate_post(f"/customers/{file}/channel-ids", json=ids, headers=auth())

    assert keep(customer, {"wechat": ["oHan-1", "oShared"], "chat": ["han"]}).status_code == 200
    other = client.simulate_post("/customers", json={"name": "李雷"}, headers=auth()).json["id"]
    assert keep(other, {"wechat": ["oShared"]}).status_code == 200
    for refused in ({"email": ["han@example.com"]}, {"wechat": [" "]}, {"chat": "han"}):
        answer = keep(other, refused)
        assert answer.status_code == 422, answer.text
    catch_up()
    assert opened_by("wechat", "oHan-1") == customer
    assert opened_by("chat", "han") == customer
    assert opened_by("chat", "oHan-1") is None  # kept for WeChat, not for chat
    assert opened_by("wechat", "oShared") is None  # two files keep it: nobody is guessed
    shown = client.simulate_get(f"/customers/{customer}", headers=auth()).json
    assert shown["channel_ids"] == {"chat": ["han"], "wechat": ["oHan-1", "oShared"]}
