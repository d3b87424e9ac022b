"""`insert_events` through the group commit, the same for both backends.

A backend supplies `_commit_once(writes, key_rows)`: in one transaction it takes the events
table's write lock, reads the state the writes touch, inserts the accepted writes with their
idempotency records, tracking rows and chain links, and the personal data keys and subject
links made since the last batch (`KeyRows`: an event never commits without the key it was
sealed with), and commits; it returns the plan and the positions, which are handed to the
callers only after COMMIT returned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)

from kefu.store.availability import is_pool_timeout
from kefu.store.batch_plan import BatchPlan
from kefu.store.group_commit import GroupCommit, Write
from kefu.store.key_store import KeyRows, PendingKeyRows

IDEMPOTENCY_KWARG = "idempotency"
ATTEMPTS = 10
RETRY_WAIT_SECONDS = 0.2


class BatchingRecorder:
    """Mixin: every `insert_events` call joins the next batch of its process."""

    _group: GroupCommit
    _key_rows: PendingKeyRows | None = None

    def _start_batching(self) -> None:
        self._group = GroupCommit(self._commit_batch)

    def carry_key_rows(self, source: PendingKeyRows) -> None:
        """Every batch writes the key rows `source` has pending (taken after the batch's
        writes, so they include every key those writes' events were sealed with)."""
        self._key_rows = source

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        write = Write(list(stored_events), kwargs.get(IDEMPOTENCY_KWARG), kwargs.get("tracking"))
        if not write.events and write.idempotency is None and write.tracking is None:
            return []
        return self._group.submit(write)

    def _commit_once(self, writes: list[Write], key_rows: KeyRows) -> tuple[BatchPlan, list[int]]:
        raise NotImplementedError

    def _commit_batch(self, writes: list[Write]) -> None:
        """Commits the batch; a lost connection is retried (the checks made under the lock
        refuse whatever a commit that did go through wrote), and a constraint the checks did
        not foresee sends every write through alone, so it fails only its own caller."""
        for attempt in range(1, ATTEMPTS + 1):
            key_rows = KeyRows() if self._key_rows is None else self._key_rows.pending()
            try:
                plan, positions = self._commit_once(writes, key_rows)
            except IntegrityError as error:
                self._commit_alone(writes, error)
                return
            except (InterfaceError, OperationalError) as error:
                if attempt == ATTEMPTS or is_pool_timeout(error):  # down: answer 503 at once
                    raise
                time.sleep(RETRY_WAIT_SECONDS)
            else:
                if self._key_rows is not None:
                    self._key_rows.written(key_rows)
                plan.deliver(positions)
                return

    def _commit_alone(self, writes: list[Write], error: IntegrityError) -> None:
        if len(writes) == 1:
            writes[0].fail(error)
            return
        for write in writes:
            self._commit_batch([write])
