"""Fixtures for the HTTP tier: the real falcon app over a SQLite store, with a clock we control."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from kefu.bootstrap import Services, build_services
from kefu.http.app import create_app
from kefu.settings import Settings

TOKENS = {
    "service": "svc-token",
    "auditor": "aud-token",
    "reporter": "rep-token",
    "admin": "adm-token",
}
ACTORS = {"service": "desk-app", "auditor": "alice", "reporter": "bob", "admin": "root"}
API_TOKENS = ",".join(f"{token}:{ACTORS[role]}:{role}" for role, token in TOKENS.items())
READ_WAIT_SECONDS = 0.2
START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)

VALID_TICKET = {
    "channel": "phone",
    "category": "billing",
    "subject": "Charged twice for March",
    "description": "The customer sees two debits of 59 yuan.",
    "priority": "normal",
}

# A body each action accepts, so a walk through the lifecycle reads as a list of action names.
ACTION_BODIES: dict[str, dict[str, Any]] = {
    "review": {"note": "content checked"},
    "dispatch": {"department": "billing"},
    "redispatch": {"department": "refunds", "reason": "refunds own double debits"},
    "urge": {"urged_by": "cust-42", "reason": "still waiting"},
    "follow-ups": {"note": "called the bank"},
    "start": {},
    "resolve": {"resolution": "refunded the second debit", "code": "refund"},
    "feedback": {"channel": "sms", "message": "your refund is on its way"},
    "rating": {"score": 5, "comment": "quick"},
    "close": {},
    "reopen": {"reason": "the refund never arrived"},
    "archive": {},
}

Headers = dict[str, str]
Result = falcon.testing.Result


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@contextmanager
def desk_services(tmp_path: Path, clock: FakeClock, **settings: Any) -> Iterator[Services]:
    """Services on the test's SQLite store with the test tokens and clock; `settings` adds to
    them (a module's own fixture: `with desk_services(tmp_path, clock, sla_file=...)`)."""
    built = build_services(
        Settings(
            database_url=f"sqlite:///{tmp_path}/kefu.sqlite3",
            api_tokens=API_TOKENS,
            read_wait_seconds=READ_WAIT_SECONDS,
            **settings,
        ),
        clock=clock,
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def services(tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    with desk_services(tmp_path, clock) as built:
        yield built


@pytest.fixture
def client(services: Services) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(services))


@pytest.fixture
def auth() -> Callable[..., Headers]:
    """`auth("auditor")` → the Authorization header of that role (service by default)."""

    def headers(role: str = "service") -> Headers:
        return {"Authorization": f"Bearer {TOKENS[role]}"}

    return headers


@pytest.fixture
def log_head(services: Services) -> Callable[[], int]:
    """The position of the newest event in the application's log (0 when empty)."""
    return lambda: services.app.recorder.max_notification_id() or 0


@pytest.fixture
def catch_up(services: Services) -> Callable[[], int]:
    """Brings the projections up to the head of the log, as the runner process would."""
    return lambda: services.projection_runner().catch_up()


@pytest.fixture
def open_ticket(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> Callable[..., dict[str, Any]]:
    """Opens a ticket (fields of the body may be overridden) and returns the 201 answer."""

    def open_(**overrides: Any) -> dict[str, Any]:
        result = client.simulate_post(
            "/tickets", json={**VALID_TICKET, **overrides}, headers=auth()
        )
        assert result.status_code == 201, result.text
        answer: dict[str, Any] = result.json
        return answer

    return open_


@pytest.fixture
def act(client: falcon.testing.TestClient, auth: Callable[..., Headers]) -> Callable[..., Result]:
    """POSTs one action on a ticket, with the action's valid body unless one is given."""

    def act_(
        ticket_id: str,
        action: str,
        body: Mapping[str, Any] | None = None,
        *,
        role: str = "service",
        headers: Mapping[str, str] | None = None,
    ) -> Result:
        payload = dict(ACTION_BODIES.get(action, {}) if body is None else body)
        return client.simulate_post(
            f"/tickets/{ticket_id}/{action}",
            json=payload,
            headers={**auth(role), **(headers or {})},
        )

    return act_


@pytest.fixture
def walk(act: Callable[..., Result]) -> Callable[..., list[dict[str, Any]]]:
    """Applies actions in order, each expected to succeed; returns their answers."""

    def walk_(ticket_id: str, *actions: str) -> list[dict[str, Any]]:
        answers = []
        for action in actions:
            result = act(ticket_id, action)
            assert result.status_code == 200, f"{action}: {result.text}"
            answers.append(result.json)
        return answers

    return walk_


@pytest.fixture
def history(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> Callable[[str], list[dict[str, Any]]]:
    """The ticket's events as an auditor reads them."""

    def history_(ticket_id: str) -> list[dict[str, Any]]:
        result = client.simulate_get(f"/tickets/{ticket_id}/history", headers=auth("auditor"))
        assert result.status_code == 200, result.text
        events: list[dict[str, Any]] = result.json["events"]
        return events

    return history_


@pytest.fixture
def view(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> Callable[[str], dict[str, Any]]:
    """The projected view of a ticket, after the projections have caught up."""

    def view_(ticket_id: str) -> dict[str, Any]:
        catch_up()
        result = client.simulate_get(f"/tickets/{ticket_id}", headers=auth())
        assert result.status_code == 200, result.text
        body: dict[str, Any] = result.json
        return body

    return view_


@pytest.fixture
def new_customer(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> Callable[..., str]:
    """Registers a customer file (李雷 by default) and returns its id."""

    def register(**fields: Any) -> str:
        body = {"name": "李雷", **fields}
        result = client.simulate_post("/customers", json=body, headers=auth())
        assert result.status_code == 201, result.text
        return str(result.json["id"])

    return register


@pytest.fixture
def new_agent(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> Callable[..., str]:
    """Registers an agent and returns its id."""

    def register(name: str = "王芳", extension: str = "8001", **fields: Any) -> str:
        body = {"name": name, "extension": extension, **fields}
        result = client.simulate_post("/agents", json=body, headers=auth())
        assert result.status_code == 201, result.text
        return str(result.json["id"])

    return register
