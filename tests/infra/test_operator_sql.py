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
from kefu.cli.main import main as kefu_main
from kefu.http.app import create_app
from kefu.settings import Settings
from kefu.store.schema import SchemaNotCurrent
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
    assert main(["db", "migrate"], {"KEFU_DATABASE_URL": owner_url}) == 0
    owner = build_services(Settings(database_url=owner_url, api_tokens="t:desk:service"))
    client = falcon.testing.TestClient(create_app(owner))  # a first event, to rewrite in vain
    client.simulate_post("/tickets", json=VALID_TICKET, headers={"Authorization": "Bearer t"})
    owner.close()
    with psycopg.connect(owner_url, autocommit=True) as db:
        db.execute(script("grants.sql").encode())
    yield {role: as_role(fresh_postgres_url, unique) for role, unique in names.items()}
    with psycopg.connect(fresh_postgres_url, autocommit=True) as db:
        for unique in names.values():  # one by one: the owner's default ACLs name the others
            db.execute(f"DROP OWNED BY {unique} CASCADE".encode())
        for unique in names.values():
            db.execute(f"DROP ROLE {unique}".encode())


def main(argv: list[str], env: dict[str, str]) -> int:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return kefu_main(argv)


def test_the_api_serves_commands_and_reads_as_kefu_api_without_any_ddl(
    roles: dict[str, str],
) -> None:
    api = build_services(Settings(database_url=roles["kefu_api"], api_tokens="t:desk:service"))
    worker = build_services(Settings(database_url=roles["kefu_worker"]))
    try:
        client = falcon.testing.TestClient(create_app(api))
        auth = {"Authorization": "Bearer t"}
        opened = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth)
        assert opened.status_code == 201, opened.text
        worker.projection_runner().catch_up()
        path = f"/tickets/{opened.json['id']}"
        read = client.simulate_get(path, params={"after": opened.json["position"]}, headers=auth)
        assert read.status_code == 200, read.text
        assert read.json["subject"] == VALID_TICKET["subject"]
        review = client.simulate_post(f"{path}/review", json={"note": "ok"}, headers=auth)
        assert review.status_code == 200, review.text
    finally:
        api.close()
        worker.close()
    with (
        psycopg.connect(roles["kefu_api"]) as db,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        db.execute(b"CREATE TABLE kefu_probe (x int)")


def test_the_api_role_refuses_to_start_on_a_schema_it_would_have_to_change(
    roles: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(roles["kefu_owner"], autocommit=True) as db:
        db.execute(b"DELETE FROM kefu_schema")  # as before an upgrade's migration
    with pytest.raises(SchemaNotCurrent, match="kefu db migrate"):
        build_services(Settings(database_url=roles["kefu_api"]))
    assert main(["projections", "status"], {"KEFU_DATABASE_URL": roles["kefu_api"]}) == 2
    assert "run `kefu db migrate` as the schema's owner" in capsys.readouterr().err


def test_start_up_runs_no_ddl_once_migrated_and_migrate_repairs_what_was_dropped(
    fresh_postgres_url: str,
) -> None:
    env = {"KEFU_DATABASE_URL": fresh_postgres_url}
    assert main(["db", "migrate"], env) == 0
    with psycopg.connect(fresh_postgres_url, autocommit=True) as db:
        digests = db.execute(b"SELECT count(*) FROM kefu_schema").fetchone()
        db.execute(b"DROP TABLE ticket_views")
    build_services(Settings(database_url=fresh_postgres_url)).close()
    exists = b"SELECT to_regclass('ticket_views') IS NOT NULL"
    with psycopg.connect(fresh_postgres_url) as db:
        assert db.execute(exists).fetchone() == (False,)  # recorded: nothing ran
    assert main(["db", "migrate"], env) == 0
    with psycopg.connect(fresh_postgres_url) as db:
        assert db.execute(exists).fetchone() == (True,)
        assert db.execute(b"SELECT count(*) FROM kefu_schema").fetchone() == digests


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
