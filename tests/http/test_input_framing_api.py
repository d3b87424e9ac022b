"""Input the stores cannot hold or the server cannot frame: 4xx problems, never a 500 or a body
silently read as empty; a database that does not answer is a 503 with Retry-After."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest
from eventsourcing.persistence import OperationalError

from kefu.bootstrap import Services
from tests.http.conftest import VALID_TICKET, Headers
from tests.http.test_errors_api import assert_problem

Client = falcon.testing.TestClient
OpenTicket = Callable[..., dict[str, Any]]
HUGE = 2**63  # one past the largest integer SQLite and PostgreSQL keep


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/audit/streams/{ticket}/state", {"version": HUGE}),
        ("/audit/streams/{ticket}/diff", {"from": 1, "to": HUGE}),
        ("/audit/streams/{ticket}/diff", {"from": HUGE, "to": 1}),
        ("/audit/actors/desk-app/events", {"cursor": HUGE}),
        ("/audit/reads", {"cursor": HUGE}),
        ("/tickets/{ticket}", {"after": HUGE}),
        ("/tickets", {"after": HUGE}),
    ],
)
def test_a_query_integer_beyond_what_the_store_keeps_is_400(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket, path: str, query: Any
) -> None:
    ticket = open_ticket()["id"]

    result = client.simulate_get(path.format(ticket=ticket), params=query, headers=auth("admin"))

    assert_problem(result, 400)


def test_a_forged_list_cursor_with_a_huge_number_is_400(
    client: Client, auth: Callable[..., Headers]
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps([HUGE, "x"]).encode()).decode()

    result = client.simulate_get(
        "/agents", params={"sort": "order", "cursor": cursor}, headers=auth("admin")
    )

    assert_problem(result, 400)


def test_after_beyond_the_log_is_refused_without_waiting_for_the_projection(
    client: Client, auth: Callable[..., Headers], services: Services, open_ticket: OpenTicket
) -> None:
    ticket = open_ticket()
    view = services.read_models.tickets
    waits: list[Any] = []
    view.wait = lambda *args, **kwargs: waits.append(args)  # type: ignore[method-assign]

    result = client.simulate_get(
        f"/tickets/{ticket['id']}", params={"after": ticket["position"] + 1}, headers=auth()
    )

    assert_problem(result, 400)
    assert waits == []


def test_a_chunked_body_the_server_cannot_end_is_411_not_an_empty_body(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    # A server that does not end a chunked input stream for the app (wsgiref, falcon's test
    # server); gunicorn does, and tests/e2e/test_resilience.py reads a chunked body exactly.
    headers = {**auth(), "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    env = falcon.testing.create_environ(
        "/tickets", method="POST", headers=headers, body=json.dumps(VALID_TICKET)
    )
    del env["CONTENT_LENGTH"]  # chunked framing has no length
    env["SERVER_SOFTWARE"] = "WSGIServer/0.2"  # wsgiref (falcon's test server says gunicorn)
    answer = falcon.testing.StartResponseMock()

    body = b"".join(client.app(env, answer))

    assert answer.status.startswith("411")
    assert json.loads(body)["type"] == "/problems/length-required"
    assert log_head() == 0


def test_a_database_that_does_not_answer_is_503_with_retry_after(
    client: Client, auth: Callable[..., Headers], services: Services, monkeypatch: Any
) -> None:
    def unavailable(*_: Any, **__: Any) -> None:
        raise OperationalError("couldn't get a connection after 2.00 sec")

    monkeypatch.setattr(services.app.recorder, "max_notification_id", unavailable)
    monkeypatch.setattr(services.app.recorder, "insert_events", unavailable)

    ready = client.simulate_get("/ready")
    write = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth())

    assert (ready.status_code, ready.json["reasons"]) == (503, ["database unreachable"])
    assert "2.00 sec" not in ready.text
    problem = assert_problem(write, 503)
    assert problem["type"] == "/problems/database-unavailable"
    assert write.headers["retry-after"] == "2"
