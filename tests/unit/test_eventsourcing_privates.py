"""eventsourcing's private names that kefu relies on: each one still exists, has the shape kefu
calls it with. (kefu overrides no private hook any more: its recorders replace the public
`insert_events` with the group commit.)

Private names are not eventsourcing's promise: an upgrade may rename, reshape or stop calling
them without notice, and kefu would then lose idempotency rows, the hash chain or tracking
positions quietly. This test names each one and what depends on it, so that such an upgrade
fails here first, saying what to change.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteTrackingRecorder

ES_VERSION = version("eventsourcing")


@dataclass(frozen=True)
class Private:
    """A private method kefu calls or overrides, and the positional parameters it passes."""

    owner: type
    name: str
    parameters: int  # positional parameters after self
    kwargs: bool  # kefu passes keyword arguments through it (**kwargs)
    used_by: str

    def __str__(self) -> str:
        return f"{self.owner.__name__}.{self.name}"


def upgrade_risk(private: Private | str, problem: str, used_by: str) -> str:
    return (
        f"eventsourcing {ES_VERSION}: {private} {problem}. kefu relies on it in {used_by}. "
        "This private name is not part of eventsourcing's API: adapt that code to the new "
        "version (or keep the version pinned in pyproject.toml) before upgrading."
    )


BATCH = (
    "kefu/store/sqlite_batch.py and kefu/store/postgres_batch.py (the group commit writes "
    "events, idempotency rows, tracking and the hash chain in one transaction per batch)"
)
VIEWS = "kefu/projections/sql.py (views write rows and their tracking position in one transaction)"
SAVE = "kefu/application.py (ServiceDesk._save and record_processed: saving without save())"
PRIVATES = [
    Private(
        SQLiteApplicationRecorder,
        "_insert_events",
        2,
        True,
        f"{BATCH}; it inserts a batch's events and uses the notification ids returned",
    ),
    Private(SQLiteTrackingRecorder, "_insert_tracking", 2, False, f"{VIEWS}; {BATCH}"),
    Private(SQLiteTrackingRecorder, "_max_tracking_id", 2, False, f"{VIEWS}; {BATCH}"),
    Private(PostgresTrackingRecorder, "_insert_tracking", 2, False, f"{VIEWS}; {BATCH}"),
    Private(PostgresTrackingRecorder, "_max_tracking_id", 2, False, VIEWS),
    Private(Application, "_record", 1, False, SAVE),
    Private(Application, "_take_snapshots", 1, False, SAVE),
    Private(Application, "_notify", 1, False, SAVE),
]


def _positional(method: Callable[..., Any]) -> list[inspect.Parameter]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p for p in inspect.signature(method).parameters.values() if p.kind in kinds][1:]


def _takes_kwargs(method: Callable[..., Any]) -> bool:
    kinds = {p.kind for p in inspect.signature(method).parameters.values()}
    return inspect.Parameter.VAR_KEYWORD in kinds


@pytest.mark.parametrize("private", PRIVATES, ids=str)
def test_each_private_method_kefu_uses_is_still_there_with_its_shape(private: Private) -> None:
    method = getattr(private.owner, private.name, None)
    assert callable(method), upgrade_risk(private, "no longer exists", private.used_by)
    assert len(_positional(method)) == private.parameters, upgrade_risk(
        private, f"now takes {inspect.signature(method)}", private.used_by
    )
    assert _takes_kwargs(method) or not private.kwargs, upgrade_risk(
        private, "no longer passes **kwargs through", private.used_by
    )


class _Projection(Projection[Any]):
    def process_event(self, domain_event: Any, tracking: Any) -> None:
        pass


def test_a_projection_keeps_its_view_in_the_view_attribute() -> None:
    view = object()
    projection = _Projection(view)
    assert vars(projection).get("_view") is view and projection.view is view, upgrade_risk(
        "Projection._view",
        "is no longer where a Projection keeps its view",
        "kefu/projections/rebuild.py (a rebuild swaps a copied projection's view)",
    )


def test_the_events_table_keeps_what_the_batch_commit_builds_on() -> None:
    source = inspect.getsource(PostgresApplicationRecorder.__init__)
    assert all(
        name in source
        for name in ("notification_id bigserial", "lock_table_statements", "channel_name")
    ), upgrade_risk(
        "PostgresApplicationRecorder's events table (notification_id bigserial, "
        "lock_table_statements, channel_name)",
        "changed",
        f"{BATCH}: positions are drawn from the bigserial's sequence under the table lock",
    )


def test_an_aggregate_keeps_its_identity_and_pending_events_under_these_names() -> None:
    aggregate = Aggregate()
    expected = {"_id", "_version", "_created_on", "_modified_on", "_pending_events"}
    assert expected <= set(vars(aggregate)), upgrade_risk(
        "Aggregate's instance attributes " + ", ".join(sorted(expected)),
        f"are now {sorted(vars(aggregate))}",
        "kefu/audit/history.py and kefu/audit/snapshots.py (state at a time, snapshot checks)",
    )


def test_an_aggregate_is_still_created_under_a_given_id_by_create() -> None:
    signature = inspect.signature(Aggregate._create)
    assert {"event_class", "id"} <= set(signature.parameters), upgrade_risk(
        "Aggregate._create",
        f"now takes {signature}",
        "kefu/domain/ticket.py, customer.py and complaint.py (an import creates each record "
        "under the id derived from its source system and source id)",
    )
