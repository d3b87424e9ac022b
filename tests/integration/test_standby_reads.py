"""Queries from a real streaming standby (KEFU_READ_DATABASE_URL): commands write on the
primary, the views are read on the standby, and `?after=` waits until the standby has replayed
the projection's position (a paused standby answers 503, never a stale document)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import falcon.testing
import psycopg
import pytest

from kefu.bootstrap import Services, build_services
from kefu.http.app import create_app
from kefu.settings import Settings
from tests.http.conftest import VALID_TICKET
from tests.pgcluster import StandbyCluster, ThrowawayCluster, postgres_bin_dir

pytestmark = pytest.mark.postgres

AUTH = {"Authorization": "Bearer t"}
DEADLINE_SECONDS = 90  # a loaded machine may replay slowly: a bound, not a timing assertion


@pytest.fixture
def primary_and_standby() -> Iterator[tuple[ThrowawayCluster, StandbyCluster]]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("a primary and a standby need the PostgreSQL server binaries (pg_ctl, ...)")
    primary = ThrowawayCluster(bin_dir)
    standby: StandbyCluster | None = None
    try:
        primary.start()
        primary.create_database("kefu")
        standby = StandbyCluster(primary)
        standby.start()
        yield primary, standby
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


@pytest.fixture
def services(primary_and_standby: tuple[ThrowawayCluster, StandbyCluster]) -> Iterator[Services]:
    primary, standby = primary_and_standby
    owner = Settings(database_url=primary.server_url("kefu"))
    build_services(owner).close()  # `kefu db migrate`: the schema, replicated to the standby
    settings = Settings(
        database_url=primary.server_url("kefu"),
        read_database_url=standby.server_url("kefu"),
        api_tokens="t:desk:service",
        read_wait_seconds=1,
    )
    services = build_services(settings)
    yield services
    services.close()


def eventually(answer: Callable[[], falcon.testing.Result], status: int) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while (result := answer()).status_code != status:
        assert time.monotonic() < deadline, result.text
        time.sleep(0.05)
    return result.json


def test_queries_read_the_standby_and_wait_for_it_to_replay_the_write(
    primary_and_standby: tuple[ThrowawayCluster, StandbyCluster], services: Services
) -> None:
    _, standby = primary_and_standby
    client = falcon.testing.TestClient(create_app(services))
    runner = services.projection_runner()  # the worker: follows the log on the primary

    first = client.simulate_post("/tickets", json=VALID_TICKET, headers=AUTH).json
    runner.catch_up()
    read = eventually(
        lambda: client.simulate_get(
            f"/tickets/{first['id']}", params={"after": first["position"]}, headers=AUTH
        ),
        200,
    )
    assert read["subject"] == VALID_TICKET["subject"]

    standby.replay(paused=True)
    with psycopg.connect(standby.server_url("kefu"), autocommit=True) as db:
        state = "SELECT pg_get_wal_replay_pause_state()"
        while db.execute(state).fetchone() != ("paused",):
            time.sleep(0.05)
    second = client.simulate_post("/tickets", json=VALID_TICKET, headers=AUTH).json
    runner.catch_up()
    assert services.read_models.tickets.get(second["id"]) is not None  # the primary's view

    path, after = f"/tickets/{second['id']}", {"after": second["position"]}
    assert client.simulate_get(path, headers=AUTH).status_code == 404  # not replayed yet
    behind = client.simulate_get(path, params=after, headers=AUTH)
    assert behind.status_code == 503, behind.text
    assert behind.json["title"] == "Projection behind"

    standby.replay(paused=False)
    assert eventually(lambda: client.simulate_get(path, params=after, headers=AUTH), 200)
    listed = client.simulate_get("/tickets", params=after, headers=AUTH).json
    assert second["id"] in {item["id"] for item in listed["items"]}
