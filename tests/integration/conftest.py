"""Fixtures for the integration tier: the real stores, both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from uuid import uuid4

import pytest

from kefu.bootstrap import Services, build_services
from kefu.commands.context import Context
from kefu.commands.execution import Clock, utc_now
from kefu.settings import Settings

ServicesFactory = Callable[[], Services]


def _opening(database_url: str, clock: Clock) -> Iterator[ServicesFactory]:
    """Opens Services on the test's database as often as a test asks (a restart is a new one),
    and closes them all after the test."""
    opened: list[Services] = []

    def open_() -> Services:
        opened.append(build_services(Settings(database_url=database_url), clock=clock))
        return opened[-1]

    yield open_
    for services in opened:
        services.close()


@pytest.fixture
def open_services(database_url: str) -> Iterator[ServicesFactory]:
    yield from _opening(database_url, utc_now)


@pytest.fixture
def services(open_services: ServicesFactory) -> Services:
    return open_services()


@pytest.fixture
def open_desk(database_url: str, clock: MovableClock) -> Iterator[ServicesFactory]:
    """As `open_services`, at the `clock` fixture of the test's module, which the test moves."""
    yield from _opening(database_url, clock)


def context(key: str | None = None, fingerprint: str = "request", actor: str = "desk") -> Context:
    return Context(
        actor_id=actor,
        actor_role="service",
        command_id=uuid4(),
        correlation_id=uuid4(),
        idempotency_key=key,
        request_fingerprint=fingerprint,
    )


class MovableClock:
    """The services' clock in a test: it shows `now`, which the test moves."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
