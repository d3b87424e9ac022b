"""Retention (保留期限): personal data erased once a record has outlived its period.

The projection runner calls `catch_up` on every pass; a sweep runs at most once per `every`
(an hour by default). For each rule it asks the case views (`ClosedRecords`, injected by
kefu/bootstrap.py) which records of its kind were closed in the window from the previous
sweep's cut-off to this one's (the first sweep of a process looks at everything closed before
its cut-off), and for each: destroys the record's data keys, deletes its snapshots, then
records an `Erasure` whose id is made of rule and record. A record is erased once per rule:
one already recorded is skipped, and two runners sweeping at once conflict on that id and
only one saves. A crash after the keys were destroyed and before the record was saved is
mended by the next process's first sweep, which finds the record again and records it.

A view behind the log can at worst delay an erasure by a sweep: the window is taken again
from the last cut-off whose sweep finished.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.domain.erasure import Erasure, erasure_id
from kefu.domain.metadata import EventMetadata
from kefu.processes.retention_config import RecordKind, RetentionRule

RETENTION_ACTOR = "retention"
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:retention")

# The records of a kind closed in [since, until) (since None: any time before), with when.
ClosedRecords = Callable[[RecordKind, datetime | None, datetime], Sequence[tuple[UUID, datetime]]]


class Retention:
    """Erases what has outlived its rule's period, at most once per `every`."""

    def __init__(
        self,
        app: ServiceDesk,
        closed: ClosedRecords,
        rules: Sequence[RetentionRule],
        clock: Callable[[], datetime],
        every: timedelta = timedelta(hours=1),
    ) -> None:
        self.app = app
        self.closed = closed
        self.rules = tuple(rules)
        self.clock = clock
        self.every = every
        self._swept: dict[str, datetime] = {}  # each rule's last finished cut-off
        self._last_sweep: datetime | None = None

    def catch_up(self) -> int:
        """Sweeps if one is due; returns how many records it erased."""
        now = self.clock()
        if not self.rules or (self._last_sweep and now - self._last_sweep < self.every):
            return 0
        self._last_sweep = now
        return sum(self.sweep(rule, now) for rule in self.rules)

    def sweep(self, rule: RetentionRule, now: datetime) -> int:
        cutoff = now - rule.keep
        erased = 0
        for record_id, closed_at in self.closed(rule.kind, self._swept.get(rule.rule), cutoff):
            erased += self._erase(rule, record_id, closed_at + rule.keep, now)
        self._swept[rule.rule] = cutoff
        return erased

    def _erase(
        self, rule: RetentionRule, record_id: UUID, kept_until: datetime, now: datetime
    ) -> int:
        if self.app.exists(Erasure, erasure_id(rule.rule, record_id)):
            return 0
        self.app.data_keys.destroy([record_id], now)
        self.app.forget_snapshots([record_id])
        erasure = Erasure.record(
            rule=rule.rule,
            record_id=record_id,
            kept_until=kept_until,
            meta=_meta(rule, record_id),
            at=now,
        )
        try:
            self.app.record(erasure, None)
        except ConcurrentChange:
            return 0  # another runner recorded it
        return 1


def _meta(rule: RetentionRule, record_id: UUID) -> EventMetadata:
    command_id = uuid5(_NAMESPACE, f"{rule.rule}:{record_id}")
    return EventMetadata(
        actor_id=RETENTION_ACTOR,
        actor_role="process",
        command_id=command_id,
        correlation_id=command_id,
        causation_id=None,
        channel="process",
    )
