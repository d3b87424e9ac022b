"""infra/sql on a real PostgreSQL: the API role appends to the log and cannot rewrite it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import falcon.testing
import psycopg
import pytest

from kefu.bootstrap import build_services
from kefu.http.app import create_app
from kefu.settings import Settings
from tests.http.conftest import VALID_TICKET

pytestmark = pytest.mark.postgres

SQL = Path(__file__).resolve().parents[2] / "infra" / "sql"
ROLES = ("kefu_owner", "kefu_api", "kefu_worker", "kefu_backup")


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{role}:pw@{parts.hostname}:{parts.port}").geturl()


@pytest.fixture
def roles(fresh_postgres_url: str) -> Iterator[dict[str, str]]:
    """The roles of roles.sql, renamed uniquely (roles are cluster-wide), with a password."""
    suffix = uuid.uuid4().hex[:8]
    names = {role: f"{role}_{suffix}" for role in ROLES}

    def script(name: str) -> str:
        text = (SQL / name).read_text(encoding="utf-8")
        for role, unique in names.items():
            text = text.replace(role, unique)
        return text

    with psycopg.connect(fresh_postgres_url, autocommit=True) as db:
        db.execute(script("roles.sql").encode())
        for unique in names.values():
            db.execute(f"ALTER ROLE {unique} PASSWORD 'pw'".encode())
    owner_url = as_role(fresh_postgres_url, names["kefu_owner"])
    owner = build_services(Settings(database_url=owner_url, api_tokens="t:desk:service"))
    client = falcon.testing.TestClient(create_app(owner))  # the owner creates the tables
    client.simulate_post("/tickets", json=VALID_TICKET, headers={"Authorization": "Bearer t"})
    owner.close()
    with psycopg.connect(owner_url, autocommit=True) as db:
        db.execute(script("grants.sql").encode())
    yield {role: as_role(fresh_postgres_url, unique) for role, unique in names.items()}
    with psycopg.connect(fresh_postgres_url, autocommit=True) as db:
        db.execute(f"DROP OWNED BY {', '.join(names.values())} CASCADE".encode())
        for unique in names.values():
            db.execute(f"DROP ROLE {unique}".encode())


def test_the_api_role_appends_to_the_log_under_eventsourcings_insert_lock(
    roles: dict[str, str],
) -> None:
    with psycopg.connect(roles["kefu_api"]) as db:
        db.execute(b"LOCK TABLE kefu_events IN EXCLUSIVE MODE")
        db.execute(
            b"INSERT INTO kefu_events (originator_id, originator_version, topic, state) "
            b"VALUES (gen_random_uuid(), 1, 'probe', '')"
        )
        db.execute(b"SELECT count(*) FROM ticket_views")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE kefu_events SET state = state",
        "DELETE FROM kefu_events",
        "TRUNCATE kefu_events",
        "UPDATE event_chain SET log_hash = log_hash",
        "DELETE FROM event_chain",
    ],
)
@pytest.mark.parametrize("role", ["kefu_api", "kefu_worker"])
def test_neither_the_api_nor_the_worker_can_rewrite_history(
    roles: dict[str, str], role: str, statement: str
) -> None:
    with psycopg.connect(roles[role]) as db, pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute(statement.encode())
