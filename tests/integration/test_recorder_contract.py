"""eventsourcing's own recorder contract, run against kefu's recorders on both backends.

The shipped test cases (insert and select, conflicts, concurrent writers with readers,
tracking) hold for the group-committing recorders too. The PostgreSQL recorder runs with a
pool of one connection: schema creation must not wait for a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    ProcessRecorderTestCase,
)

from kefu.store.recorders import KefuPostgresRecorder, KefuSQLiteRecorder


class _OnSQLite:
    database: str

    @pytest.fixture(autouse=True)
    def _sqlite_file(self, tmp_path: Path) -> None:
        self.database = str(tmp_path / "contract.sqlite3")

    def create_recorder(self) -> KefuSQLiteRecorder:
        recorder = KefuSQLiteRecorder(SQLiteDatastore(self.database, lock_timeout=10))
        recorder.create_table()
        return recorder


@pytest.mark.postgres
class _OnPostgres:
    url: str

    @pytest.fixture(autouse=True)
    def _postgres_database(self, create_postgres_database: Callable[[], str]) -> None:
        self.url = create_postgres_database()

    def create_recorder(self) -> KefuPostgresRecorder:
        parts = urlsplit(self.url)
        datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"),
            host=parts.hostname or "",
            port=parts.port or 5432,
            user=parts.username or "",
            password=parts.password or "",
            pool_size=1,
            max_overflow=0,
            connect_timeout=30,
        )
        recorder = KefuPostgresRecorder(datastore)
        recorder.create_table()
        return recorder


class TestApplicationRecorderOnSQLite(_OnSQLite, ApplicationRecorderTestCase[KefuSQLiteRecorder]):
    pass


class TestProcessRecorderOnSQLite(_OnSQLite, ProcessRecorderTestCase):
    pass


class TestApplicationRecorderOnPostgres(
    _OnPostgres, ApplicationRecorderTestCase[KefuPostgresRecorder]
):
    pass


class TestProcessRecorderOnPostgres(_OnPostgres, ProcessRecorderTestCase):
    pass
