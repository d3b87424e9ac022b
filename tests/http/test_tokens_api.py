"""The /tokens routes over the real app: the token in the issuing answer only, admin only,
refused once revoked; X-On-Behalf-Of recorded in the history beside the sender, or refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing

from tests.http.conftest import VALID_TICKET, Headers

Client = falcon.testing.TestClient
DESK = {"actor_id": "desk-app", "role": "service", "label": "the desk", "may_delegate": True}


def bearer(token: str, **more: str) -> Headers:
    return {"Authorization": f"Bearer {token}", **more}


def issue(client: Client, auth: Callable[..., Headers], **body: Any) -> dict[str, Any]:
    result = client.simulate_post("/tokens", json={**DESK, **body}, headers=auth("admin"))
    assert result.status_code == 201, result.text
    assert result.headers["cache-control"] == "no-store"
    answer: dict[str, Any] = result.json
    return answer


def test_an_issued_token_works_until_revoked_and_is_shown_only_once(
    client: Client, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> None:
    answer = issue(client, auth, departments=["customer_service"])  # the front desk opens
    token = answer["token"]
    assert token.startswith(f"kefu_{answer['id'].replace('-', '')}_")
    opened = client.simulate_post("/tickets", json=VALID_TICKET, headers=bearer(token))
    assert opened.status_code == 201, opened.text
    catch_up()
    listed = client.simulate_get("/tokens", headers=auth("admin"))
    read = client.simulate_get(f"/tokens/{answer['id']}", headers=auth("admin"))
    assert listed.status_code == read.status_code == 200
    assert [item["id"] for item in listed.json["items"]] == [answer["id"]]
    assert read.json["departments"] == ["customer_service"] and read.json["status"] == "active"
    secret = token.split("_", 2)[2]  # kefu_<id>_<secret: may hold "_">
    assert len(secret) == 43  # 32 random bytes, URL-safe base64
    assert secret not in listed.text and secret not in read.text
    for role in ("service", "auditor", "reporter"):
        refused = client.simulate_post("/tokens", json=DESK, headers=auth(role))
        assert refused.status_code == 403, role

    revoked = client.simulate_post(
        f"/tokens/{answer['id']}/revoke", json={"reason": "leaked"}, headers=auth("admin")
    )
    assert revoked.status_code == 200, revoked.text
    assert client.simulate_get("/tickets", headers=bearer(token)).status_code == 401
    history = client.simulate_get(f"/tokens/{answer['id']}/history", headers=auth("auditor"))
    assert [e["type"] for e in history.json["events"]] == ["Issued", "Revoked"]
    assert history.json["events"][1]["metadata"]["actor_id"] == "root"


def test_a_keyed_retry_of_an_issue_answers_the_first_id_without_a_token(
    client: Client, auth: Callable[..., Headers]
) -> None:
    headers = {**auth("admin"), "Idempotency-Key": "issue-desk-1"}
    first = client.simulate_post("/tokens", json=DESK, headers=headers)
    retry = client.simulate_post("/tokens", json=DESK, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json["id"] == first.json["id"] and first.json["token"]
    assert retry.json["token"] is None


def test_on_behalf_of_records_the_agent_and_the_sender_or_is_refused(
    client: Client, auth: Callable[..., Headers]
) -> None:
    agent = client.simulate_post(
        "/agents", json={"name": "王芳", "extension": "8001"}, headers=auth("admin")
    ).json["id"]
    delegating = issue(client, auth)["token"]
    opened = client.simulate_post(
        "/tickets", json=VALID_TICKET, headers=bearer(delegating, **{"X-On-Behalf-Of": agent})
    )
    assert opened.status_code == 201, opened.text
    history = client.simulate_get(f"/tickets/{opened.json['id']}/history", headers=auth())
    metadata = history.json["events"][0]["metadata"]
    assert (metadata["actor_id"], metadata["sent_by"], metadata["actor_role"]) == (
        agent,
        "desk-app",
        "service",
    )
    audited = client.simulate_get(
        f"/audit/streams/{opened.json['id']}/events", headers=auth("auditor")
    )
    assert audited.json["events"][0]["metadata"]["sent_by"] == "desk-app", audited.text

    plain = issue(client, auth, may_delegate=False)["token"]
    refusals = {
        "not delegating": (bearer(plain, **{"X-On-Behalf-Of": agent}), 403),
        "no such agent": (
            bearer(delegating, **{"X-On-Behalf-Of": "7a0c9c1e-0000-4000-8000-000000000000"}),
            422,
        ),
        "not an id": (bearer(delegating, **{"X-On-Behalf-Of": "wang"}), 422),
        "static token": ({**auth(), "X-On-Behalf-Of": agent}, 403),
    }
    for case, (headers, status) in refusals.items():
        refused = client.simulate_post("/tickets", json=VALID_TICKET, headers=headers)
        assert refused.status_code == status, (case, refused.text)
        assert refused.headers["content-type"] == "application/problem+json", case
