"""Reading the whole log and its chain in batches, in position order."""

from __future__ import annotations

from collections.abc import Iterator

from eventsourcing.persistence import Notification

from kefu.application import ServiceDesk
from kefu.audit.access_tables import AccessLogStore
from kefu.audit.snapshots import verify_snapshots
from kefu.audit.verify import Progress, Verification, verify
from kefu.store.chain import ChainLink

BATCH = 2000


def all_events(app: ServiceDesk, batch: int = BATCH) -> Iterator[Notification]:
    position = 0
    while notifications := app.recorder.select_notifications(
        start=position, limit=batch, inclusive_of_start=False
    ):
        yield from notifications
        position = notifications[-1].id


def all_links(app: ServiceDesk, batch: int = BATCH) -> Iterator[ChainLink]:
    position = 0
    while links := app.chain.select_links(position, batch):
        yield from links
        position = links[-1].position


def verify_log(
    app: ServiceDesk, digest: tuple[int, bytes] | None = None, progress: Progress | None = None
) -> Verification:
    """The whole log and its chains verified with the store's key markers and `app`'s keys."""
    return verify(all_events(app), all_links(app), app.chain.keying(), digest, progress)


def verify_all(
    app: ServiceDesk,
    access_log: AccessLogStore,
    digest: tuple[int, bytes] | None = None,
    progress: Progress | None = None,
) -> Verification:
    """`kefu audit verify`: the log, its snapshots and the access log."""
    result = verify_log(app, digest, progress)
    result.findings.extend(verify_snapshots(app))
    access_log.verify(app.chain.keyring).add_to(result)
    return result
