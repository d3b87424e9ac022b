"""The event log: one eventsourcing application, one store and one notification log for all.

One log keeps a single order of everything that happened, which the commands, the
projections, the processes and the audit chain all share. It speaks of aggregates, versions,
positions and idempotency answers only: no command or HTTP types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording, Tracking
from eventsourcing.utils import get_topic

from kefu.domain.agent import Agent
from kefu.domain.customer import Customer
from kefu.domain.errors import NotFound
from kefu.domain.personal_data import PERSONAL_FIELDS
from kefu.domain.ticket import Ticket
from kefu.store.batch_plan import AnswerExists
from kefu.store.chain_keys import Keyring
from kefu.store.database import Backend, backend_of, eventsourcing_env
from kefu.store.idempotency import IdempotencyRecord, StoredAnswer
from kefu.store.key_store import SqlKeyStore
from kefu.store.mapper import MsgspecMapper
from kefu.store.master_key import default_master_key
from kefu.store.personal_crypto import DataKeys, MasterKey
from kefu.store.personal_fields import PersonalFields
from kefu.store.recorders import (
    IDEMPOTENCY_KWARG,
    AnswerStore,
    ChainQueries,
    KefuPostgresFactory,
    KefuPostgresRecorder,
    KefuSQLiteRecorder,
)

TAggregate = TypeVar("TAggregate", bound=Aggregate)

_RECORDERS = {Backend.SQLITE: KefuSQLiteRecorder, Backend.POSTGRES: KefuPostgresRecorder}

APPLICATION_NAME = "kefu"
SNAPSHOT_EVERY = 100


def store_env(database_url: str) -> dict[str, str]:
    """eventsourcing's settings for kefu's event store at `database_url`."""
    env = eventsourcing_env(database_url)
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(_RECORDERS[backend_of(database_url)])
    if backend_of(database_url) is Backend.POSTGRES:
        env["PERSISTENCE_MODULE"] = get_topic(KefuPostgresFactory)  # its snapshot recorder
    # Pinned, whatever the process environment says: the database-function insert path would
    # skip the hash chain and the idempotency records, and a compressor or cipher would hide
    # each event's time from the write-time index.
    env.update(
        POSTGRES_ENABLE_DB_FUNCTIONS="n", COMPRESSOR_TOPIC="", CIPHER_TOPIC="", CIPHER_KEY=""
    )
    return env


class StaleVersion(Exception):
    """The caller's expected version (`If-Match`) is not the record's current version."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the record is at version {actual}")
        self.expected = expected
        self.actual = actual


class ConcurrentChange(Exception):
    """Another command changed the record between our read and our write; nothing was saved."""


class AnsweredBefore(ConcurrentChange):
    """The idempotency key was used already (perhaps in the same batch): nothing was saved,
    and the first answer to that key is `answer`."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("this idempotency key was answered before")
        self.answer = answer


class ServiceDesk(Application[UUID]):
    """kefu's event-sourced application: loads and saves every aggregate."""

    name = APPLICATION_NAME
    mapper: MsgspecMapper  # made by `construct_mapper`
    # Long streams are read from their latest snapshot (state-at-time included). An aggregate
    # is snapshotted only when it annotates every attribute (snapshots decode by those types).
    # Agents live for years and take thousands of events a month: without snapshots every
    # offer would replay an agent's whole history.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Ticket: SNAPSHOT_EVERY,
        Agent: SNAPSHOT_EVERY,
    }

    def __init__(
        self,
        database_url: str,
        keyring: Keyring,
        master_key: MasterKey | None = None,
        *,
        seal_personal_data: bool = True,
    ) -> None:
        """`keyring`: the chain keys this process links new events with and verifies with.
        `master_key` wraps the personal data keys (docs/privacy.md); without one, the
        development key of the database is used (kefu/store/master_key.py, with a warning).
        `seal_personal_data=False` stores new personal fields in plaintext (for comparison
        only: such events can never be shredded)."""
        self.database_url = database_url
        self.personal = PersonalFields(PERSONAL_FIELDS, sealing=seal_personal_data)
        super().__init__(env=store_env(database_url))
        self.chain.use_keyring(keyring)
        master = master_key or default_master_key(database_url)
        recorder = self._kefu_recorder()
        self.personal.keys = DataKeys(SqlKeyStore(recorder), master, carried=True)
        recorder.carry_key_rows(self.personal.keys)

    def construct_mapper(self) -> MsgspecMapper:
        return MsgspecMapper(
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
            personal=self.personal,
        )

    @property
    def data_keys(self) -> DataKeys:
        """The personal data keys: erasure destroys them (kefu/commands/privacy.py)."""
        assert self.personal.keys is not None
        return self.personal.keys

    def subject_records(self, customer: Customer) -> tuple[UUID, ...]:
        """The records holding the customer's personal data: the file, the files merged into
        it, and every record the key store links to any of them (in id order)."""
        files = (customer.id, *customer.duplicates)
        linked = {record for file in files for record in self.data_keys.store.linked(str(file))}
        return tuple(sorted({*files, *linked}, key=str))

    def forget_snapshots(self, record_ids: Sequence[UUID]) -> None:
        """Deletes the records' snapshots (they hold decoded state, personal fields included);
        later loads replay the events, which read as erased once the keys are gone."""
        if self.snapshots is None:
            return
        recorder = self._kefu_recorder()
        table = self.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
        recorder.write(
            f"DELETE FROM {table} WHERE originator_id = ?",
            [(recorder.stream_key(r),) for r in record_ids],
        )

    def _kefu_recorder(self) -> KefuSQLiteRecorder | KefuPostgresRecorder:
        recorder = self.recorder
        assert isinstance(recorder, KefuSQLiteRecorder | KefuPostgresRecorder)
        return recorder

    @property
    def chain(self) -> ChainQueries:
        recorder = self.recorder
        assert isinstance(recorder, KefuSQLiteRecorder | KefuPostgresRecorder)
        return recorder

    @property
    def answers(self) -> AnswerStore:
        recorder = self.recorder
        assert isinstance(recorder, KefuSQLiteRecorder | KefuPostgresRecorder)
        return recorder

    def load(
        self, kind: type[TAggregate], aggregate_id: UUID, expected_version: int | None = None
    ) -> TAggregate:
        """The aggregate as it stands now; refuses one not at `expected_version`, if given."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(kind.__name__.lower(), aggregate_id) from None
        if not isinstance(aggregate, kind):
            raise NotFound(kind.__name__.lower(), aggregate_id)
        if expected_version is not None and expected_version != aggregate.version:
            raise StaleVersion(expected_version, aggregate.version)
        return aggregate

    def exists(self, kind: type[Aggregate], aggregate_id: UUID) -> bool:
        """Whether a record of that kind exists (its first event names the kind's topic)."""
        first = self.recorder.select_events(aggregate_id, limit=1)
        if not first:
            return False
        event = self.mapper.to_domain_event(first[0])
        return getattr(event, "originator_topic", None) == get_topic(kind)

    def record(self, aggregate: Aggregate, idempotency: IdempotencyRecord | None) -> int:
        """Saves the pending events (and the idempotency record); returns the last position.

        The save joins the process's next group commit; it raises `AnsweredBefore` when the
        key has an answer already and `ConcurrentChange` when the version was taken."""
        try:
            recordings = self._save((aggregate,), idempotency)
        except AnswerExists as refusal:
            raise AnsweredBefore(refusal.answer) from None
        except IntegrityError:
            raise ConcurrentChange(
                f"{type(aggregate).__name__.lower()} {aggregate.id} was changed by another "
                "command at the same time; read it again and retry"
            ) from None
        return recordings[-1].notification.id

    def record_together(
        self, aggregates: Sequence[Aggregate], idempotency: IdempotencyRecord | None
    ) -> int:
        """Saves several aggregates' events (a call and its agents) atomically, or none.

        Each aggregate's version is checked on insert, so a concurrent change to any of them
        refuses the whole save: two calls can never both book one agent. The first aggregate
        is written last: the command's position is its last event, as the idempotency record's.
        """
        ordered = (*aggregates[1:], *aggregates[:1])
        try:
            recordings = self._save(ordered, idempotency)
        except AnswerExists as refusal:
            raise AnsweredBefore(refusal.answer) from None
        except IntegrityError:
            names = " or ".join(f"{type(a).__name__.lower()} {a.id}" for a in aggregates)
            raise ConcurrentChange(
                f"{names} was changed by another command at the same time; retry"
            ) from None
        return recordings[-1].notification.id

    def _save(
        self, aggregates: Sequence[Aggregate], idempotency: IdempotencyRecord | None
    ) -> list[Recording[UUID]]:
        """`Application.save` for aggregates we know are aggregates: its runtime protocol
        checks cost a quarter of a command's CPU, which group commit makes the bottleneck."""
        processing = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs[IDEMPOTENCY_KWARG] = idempotency
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def record_processed(self, tracking: Tracking, *aggregates: Aggregate) -> None:
        """Saves what a process policy made of one log position, with that position, atomically.

        Re-processing the same position fails (the tracking row exists), so a policy that is
        restarted or replayed never creates its aggregates twice.
        """
        processing = ProcessingEvent[UUID](tracking=tracking)
        processing.collect_events(*aggregates)
        self._record(processing)

    def processed_position(self, policy_name: str) -> int:
        recorder = self.recorder
        assert isinstance(recorder, KefuSQLiteRecorder | KefuPostgresRecorder)
        return recorder.max_tracking_id(policy_name) or 0

    def answer_for(self, scope: str, key: str) -> StoredAnswer | None:
        """The first answer stored under an idempotency key, if a command used it already."""
        return self.answers.find_answer(scope, key)
