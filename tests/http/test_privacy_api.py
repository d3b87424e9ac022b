"""Erasure and subject access over HTTP: admin only, a problem for a bad body, and after an
erasure the file reads as erased wherever a client looks."""

from __future__ import annotations

from collections.abc import Callable

import falcon.testing

from tests.http.conftest import Headers

Client = falcon.testing.TestClient
ERASE = {"reason": "PIPL erasure request", "request_ref": "REQ-7"}


def test_only_an_admin_erases_and_a_bad_body_changes_nothing(
    client: Client,
    auth: Callable[..., Headers],
    new_customer: Callable[..., str],
    catch_up: Callable[[], int],
) -> None:
    customer = new_customer(email="lilei@example.cn")
    path = f"/customers/{customer}/erasure"
    for role in ("service", "auditor", "reporter"):
        assert client.simulate_post(path, json=ERASE, headers=auth(role)).status_code == 403
    refused = client.simulate_post(path, json={"reason": "no reference"}, headers=auth("admin"))
    assert refused.status_code == 422
    assert (
        client.simulate_get(f"/customers/{customer}/personal-data", headers=auth()).status_code
        == 403
    )

    before = client.simulate_get(f"/customers/{customer}/personal-data", headers=auth("admin"))
    assert before.status_code == 200 and "lilei@example.cn" in before.text
    assert before.json["records"][0]["events"][0]["data"]["name"] == "李雷"

    erased = client.simulate_post(path, json=ERASE, headers=auth("admin"))
    assert erased.status_code == 200 and erased.json["status"] == "erased"
    catch_up()
    file = client.simulate_get(f"/customers/{customer}", headers=auth()).json
    assert (file["status"], file["name"], file["email"]) == ("erased", "[erased]", "[erased]")
    after = client.simulate_get(f"/customers/{customer}/personal-data", headers=auth("admin"))
    assert "李雷" not in after.text and "lilei@example.cn" not in after.text
    history = client.simulate_get(f"/customers/{customer}/history", headers=auth("auditor"))
    assert "李雷" not in history.text and history.json["events"][-1]["type"] == "Erased"
    again = client.simulate_post(path, json=ERASE, headers=auth("admin"))
    assert again.status_code == 409
