"""Input that once stalled every read model or answered 500: now a clear 4xx, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from kefu.bootstrap import Services
from tests.http.conftest import VALID_TICKET
from tests.http.test_customers_api import FILE

Client = falcon.testing.TestClient
Headers = dict[str, str]


def head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


@pytest.mark.parametrize("field", ["customer_id", "subject", "description"])
def test_a_nul_character_in_a_body_is_422_and_writes_nothing(
    client: Client, auth: Callable[..., Headers], services: Services, field: str
) -> None:
    before = head(services)

    result = client.simulate_post(
        "/tickets", json={**VALID_TICKET, field: "x\u0000y"}, headers=auth()
    )

    assert result.status_code == 422, result.text
    assert head(services) == before


def new_file(client: Client, auth: Callable[..., Headers]) -> str:
    result = client.simulate_post("/customers", json=FILE, headers=auth())
    assert result.status_code == 201, result.text
    return str(result.json["id"])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("orders", {"number": "o1", "amount": "1", "ordered_on": "9999-12-31"}),
        ("orders", {"number": "o1", "amount": "NaN", "ordered_on": "2030-03-01"}),
        ("orders", {"number": "o1", "amount": "1E+999999", "ordered_on": "2030-03-01"}),
        ("milestones", {"kind": "viewing", "on": "9999-12-31"}),
        ("milestones", {"kind": "viewing", "on": "0001-01-01"}),
    ],
)
def test_out_of_range_dates_and_amounts_are_422_and_write_nothing(
    client: Client,
    auth: Callable[..., Headers],
    services: Services,
    path: str,
    body: dict[str, Any],
) -> None:
    customer = new_file(client, auth)
    before = head(services)

    result = client.simulate_post(f"/customers/{customer}/{path}", json=body, headers=auth())

    assert result.status_code == 422, result.text
    assert head(services) == before
    services.projection_runner().catch_up()  # and the read side keeps following the log


@pytest.mark.parametrize(
    "query",
    [
        "opened_from=0001-01-01T00:00:00%2B14:00",
        "updated_to=9999-12-31T23:59:59-14:00",
        "status=%00",
        "customer=a%00b",
    ],
)
def test_extreme_or_nul_query_parameters_are_400(
    client: Client, auth: Callable[..., Headers], query: str
) -> None:
    result = client.simulate_get("/tickets", query_string=query, headers=auth())

    assert result.status_code == 400, result.text
    assert result.headers["content-type"] == "application/problem+json"


def test_a_nul_in_a_path_is_400(client: Client, auth: Callable[..., Headers]) -> None:
    result = client.simulate_get("/audit/actors/a%00b/events", headers=auth("auditor"))

    assert result.status_code == 400


def test_a_visit_not_reached_cannot_carry_a_satisfaction_score(
    client: Client, auth: Callable[..., Headers], services: Services
) -> None:
    customer = new_file(client, auth)
    order = {"number": "A-1", "amount": "10.00", "ordered_on": "2030-03-02"}
    client.simulate_post(f"/customers/{customer}/orders", json=order, headers=auth())
    services.projection_runner().catch_up()
    visits = client.simulate_get("/visits", params={"customer": customer}, headers=auth())
    path = f"/visits/{visits.json['items'][0]['id']}/done"

    result = client.simulate_post(path, json={"reached": False, "satisfaction": 5}, headers=auth())

    assert result.status_code == 409, result.text


def test_reading_after_a_position_the_log_has_not_reached_is_400_not_a_503_forever(
    client: Client, auth: Callable[..., Headers]
) -> None:
    opened = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth()).json

    result = client.simulate_get(
        f"/tickets/{opened['id']}", params={"after": 9_000_000_000}, headers=auth()
    )

    assert result.status_code == 400
    assert "beyond the log" in result.json["detail"]


def test_a_list_waits_for_the_callers_own_write(
    client: Client, auth: Callable[..., Headers], services: Services
) -> None:
    opened = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth()).json
    after = {"after": opened["position"]}

    behind = client.simulate_get("/tickets", params=after, headers=auth())
    services.projection_runner().catch_up()
    caught_up = client.simulate_get("/tickets", params=after, headers=auth())

    assert behind.status_code == 503
    assert [t["id"] for t in caught_up.json["items"]] == [opened["id"]]
