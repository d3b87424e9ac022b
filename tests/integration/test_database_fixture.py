"""The database fixtures hand each test a real, empty, writable store on both backends."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from urllib.parse import urlsplit

import psycopg
import pytest

USER_TABLES = (
    "SELECT count(*) FROM information_schema.tables"
    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
)


def _execute(database_url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
    """Run one statement on a new connection, commit, and return the rows it produced."""
    if database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as lite:
            rows = lite.execute(statement.replace("%s", "?"), params).fetchall()
            lite.commit()
            return rows
    with psycopg.connect(database_url) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def test_a_row_written_on_one_connection_is_read_back_on_another(database_url: str) -> None:
    _execute(database_url, "CREATE TABLE greetings (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    _execute(database_url, "INSERT INTO greetings (id, text) VALUES (%s, %s)", 1, "你好, kefu")

    assert _execute(database_url, "SELECT id, text FROM greetings") == [(1, "你好, kefu")]


@pytest.mark.postgres
def test_the_postgres_url_names_user_password_host_port_and_database(postgres_url: str) -> None:
    url = urlsplit(postgres_url)

    assert url.scheme == "postgresql"
    assert url.username and url.password and url.hostname and url.port
    assert url.path.strip("/")


@pytest.mark.postgres
def test_each_fresh_postgres_database_is_a_separate_empty_store(
    create_postgres_database: Callable[[], str],
) -> None:
    first, second = create_postgres_database(), create_postgres_database()
    assert urlsplit(first).path != urlsplit(second).path
    assert _execute(first, USER_TABLES) == _execute(second, USER_TABLES) == [(0,)]

    _execute(first, "CREATE TABLE only_in_first (id INTEGER)")

    assert _execute(first, USER_TABLES) == [(1,)]
    assert _execute(second, USER_TABLES) == [(0,)]
