"""Database fixtures shared by every test tier.

PostgreSQL comes from, in order: ``KEFU_TEST_POSTGRES_URL``; testcontainers when a Docker
engine answers; a throwaway cluster started from the local PostgreSQL binaries
(pytest-postgresql). When none is available the PostgreSQL tests are skipped with the reason,
unless ``KEFU_REQUIRE_POSTGRES=1`` (set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from tests.pgcluster import ThrowawayCluster, postgres_bin_dir

POSTGRES_URL_VARIABLE = "KEFU_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "KEFU_REQUIRE_POSTGRES"
POSTGRES_IMAGE = "postgres:16-alpine"
USER = PASSWORD = "postgres"
DATABASE = "kefu_test"


def _no_postgres(reason: str) -> NoReturn:
    """Skip, or fail when the run demands PostgreSQL (CI must never skip it silently)."""
    hint = f"set {POSTGRES_URL_VARIABLE}=postgresql://user:pass@host:port/db or run .ci/run"
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(
            f"PostgreSQL required ({REQUIRE_POSTGRES_VARIABLE}=1): {reason}; {hint}", pytrace=False
        )
    pytest.skip(f"no PostgreSQL: {reason}; {hint}")


def _docker_engine_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _postgres_from_container() -> Iterator[str]:
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(
        POSTGRES_IMAGE, username=USER, password=PASSWORD, dbname=DATABASE, driver=None
    )
    with container:
        yield container.get_connection_url()


def _find_pg_ctl() -> str | None:
    versioned = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    newest = sorted(versioned, key=lambda path: int(Path(path).parts[-3]))[-1:]
    return shutil.which("pg_ctl") or next(iter(newest), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_from_local_binaries(base: Path) -> Iterator[str]:
    try:
        from pytest_postgresql.executors import PostgreSQLExecutor
    except ImportError:  # pytest-postgresql before the executors package
        from pytest_postgresql.executor import PostgreSQLExecutor

    pg_ctl = _find_pg_ctl()
    if pg_ctl is None:
        _no_postgres("no Docker engine and no pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0:
        _no_postgres("no Docker engine, and PostgreSQL refuses to start a cluster as root")
    port = _free_port()
    executor = PostgreSQLExecutor(
        executable=pg_ctl,
        host="127.0.0.1",
        port=port,
        datadir=str(base / "data"),
        unixsocketdir=str(base),
        logfile=str(base / "postgresql.log"),
        startparams="-w",
        dbname=DATABASE,
        user=USER,
        password=PASSWORD,
    )
    executor.start()
    try:
        url = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}"
        _create_database(f"{url}/postgres", DATABASE)
        yield f"{url}/{DATABASE}"
    finally:
        executor.stop()
        executor.clean_directory()


def _create_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``postgresql://user:pass@host:port/db`` URL of a server that lives for the session."""
    if url := os.environ.get(POSTGRES_URL_VARIABLE):
        yield url
    elif _docker_engine_answers():
        yield from _postgres_from_container()
    else:
        yield from _postgres_from_local_binaries(tmp_path_factory.mktemp("postgres"))


@pytest.fixture(scope="session")
def throwaway_cluster() -> Iterator[ThrowawayCluster]:
    """A PostgreSQL cluster of this test session's own, which fault tests stop and restart
    (never the shared server). Each test using it gets it running at its start."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        _no_postgres("fault tests need the PostgreSQL server binaries (initdb, pg_ctl)")
    cluster = ThrowawayCluster(bin_dir)
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def restartable_postgres_url(throwaway_cluster: ThrowawayCluster) -> str:
    """An empty database on the throwaway cluster (started if a test left it stopped)."""
    if not throwaway_cluster.is_running():
        throwaway_cluster.start()
    return throwaway_cluster.create_database(f"kefu_fault_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def create_postgres_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Make new, empty, uniquely named databases; all are dropped after the test."""
    created: list[str] = []

    def create() -> str:
        name = f"kefu_test_{uuid.uuid4().hex[:16]}"
        _create_database(postgres_url, name)
        created.append(name)
        return urlsplit(postgres_url)._replace(path=f"/{name}").geturl()

    yield create
    for name in created:
        _drop_database(postgres_url, name)


@pytest.fixture
def fresh_postgres_url(create_postgres_database: Callable[[], str]) -> str:
    """URL of an empty PostgreSQL database of this test's own, dropped afterwards."""
    return create_postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file in this test's temporary directory (absolute, so four slashes)."""
    return f"sqlite:///{tmp_path / 'kefu.sqlite3'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty store on each backend in turn: integration tests are written once, run twice."""
    fixture = "sqlite_url" if request.param == "sqlite" else "fresh_postgres_url"
    return str(request.getfixturevalue(fixture))
