"""Import: history from another system, written as events at its own times (docs/import.md).

One line of the file is one record's history: a customer file, a ticket or a complaint, how it
was created and what happened to it since (its actions and thread entries), each at its own
time. A line goes through the same command Structs, reference checks, handlers and domain
verbs as the API's commands, so an import cannot write what the API would refuse; and a line is
written whole or not at all: its aggregate with every event of its history in one save.

- **Times.** Each event's time (`timestamp`, what reports and time travel read) is the original
  one; the metadata keeps when the import wrote it (`recorded_at`), who ran it (the actor) and
  the system it came from (`source_system`). Times must not decrease along a record and must
  not lie in the future.
- **Idempotent.** A record's id is derived from its source system, kind and source id, and the
  line is saved with the idempotency key `import:<system>:<kind>:<id>` (a digest of the line as
  its fingerprint): a line imported before is answered from its first import and writes
  nothing; a line changed since is refused.
- **Resumable.** Each line is saved on its own (lines written at the same moment share the
  group commit's transactions, each still checked alone), so after a crash a rerun finds the
  lines written before answered, in one look each, and writes the rest.
- **Followers.** Imported events carry `source_system`, and the processes that follow the log
  leave them alone (`kefu.domain.metadata.imported`): no rule, notification, visit or SLA timer
  follows from history. A public reply is recorded on the thread but not sent again.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import ConcurrentChange
from kefu.commands.actions import AggregateCommands, Env, UnknownAction
from kefu.commands.base import Command
from kefu.commands.complaints import ComplaintCommands, RegisterComplaint
from kefu.commands.context import Context
from kefu.commands.customers import CustomerCommands, RegisterCustomer
from kefu.commands.errors import IdempotencyKeyReused, UnknownReference
from kefu.commands.execution import Clock, Outcome
from kefu.commands.thread import PostEntry, ThreadCommands, UnknownAttachment
from kefu.commands.tickets import OpenTicket, TicketCommands
from kefu.domain.complaint import Complaint
from kefu.domain.errors import DomainError
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket

IMPORT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:import")
IMPORT_CHANNEL = "import"
IMPORTER_ROLE = "admin"
THREAD_ACTION = "thread"  # a step that posts a thread entry, as POST /tickets/{id}/thread does

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]
SourceId = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]


class _Record(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag_field="type"
):
    """What every line holds: the record's id in the source system, when it was created there,
    the fields of the command that creates it, and its history, oldest first (each step: `at`,
    `action`, and the fields of that action's command)."""

    id: SourceId
    at: AwareTime
    create: dict[str, Any]
    history: list[dict[str, Any]] = []


class CustomerRecord(_Record, frozen=True, tag="customer"):
    """A customer file (`RegisterCustomer`) and its history."""


class TicketRecord(_Record, frozen=True, tag="ticket"):
    """A ticket (`OpenTicket`) and its history; `customer` is a customer line's id."""

    customer: SourceId | None = None


class ComplaintRecord(_Record, frozen=True, tag="complaint"):
    """A complaint (`RegisterComplaint`) and its history; `customer` and `ticket` name lines
    of the same import."""

    customer: SourceId
    ticket: SourceId | None = None


ImportRecord = CustomerRecord | TicketRecord | ComplaintRecord
_decoder = msgspec.json.Decoder(ImportRecord)


def imported_id(source_system: str, kind: str, source_id: str) -> UUID:
    """The id an imported record gets: the same on every run of the same import."""
    return uuid5(IMPORT_NAMESPACE, f"{source_system}:{kind}:{source_id}")


class LineRefused(ValueError):
    """The line is well-formed JSON but not history kefu can hold (times out of order...)."""


# What makes one line refused: the line's fault, reported with its number. Anything else (the
# database going away) stops the import, which a rerun then resumes.
REFUSALS = (
    msgspec.ValidationError,
    msgspec.DecodeError,
    DomainError,
    UnknownReference,
    UnknownAction,
    UnknownAttachment,
    IdempotencyKeyReused,
    ConcurrentChange,
    LineRefused,
)


@dataclass(frozen=True)
class Rejection:
    """A line the import did not write, and why."""

    line: int
    source_id: str
    reason: str


@dataclass(frozen=True)
class Written:
    """A line's outcome: `replayed` when it had been imported before (nothing was written)."""

    line: int
    source_id: str
    outcome: Outcome


@dataclass(frozen=True)
class _Step:
    at: datetime
    action: str
    command: Command


class Importer:
    """Imports lines of one source system, as one actor (who runs the import)."""

    def __init__(
        self,
        *,
        tickets: TicketCommands,
        customers: CustomerCommands,
        complaints: ComplaintCommands,
        threads: ThreadCommands,
        clock: Clock,
        source_system: str,
        actor_id: str,
    ) -> None:
        if not source_system.strip() or ":" in source_system:
            raise ValueError("the source system is a name without ':' (zammad, znuny, ...)")
        self.tickets = tickets
        self.customers = customers
        self.complaints = complaints
        self.threads = threads
        self.clock = clock
        self.source_system = source_system
        self.actor_id = actor_id

    def import_line(self, number: int, line: bytes) -> Written | Rejection:
        """Writes one line's record (all of its history, or nothing)."""
        parsed = self._parse(number, line)
        return parsed if isinstance(parsed, Rejection) else self._import(number, line, parsed)

    def import_lines(
        self, lines: Iterable[tuple[int, bytes]], workers: int = 8
    ) -> Iterator[Written | Rejection]:
        """Imports numbered lines, `workers` at a time, and yields their outcomes in file order.

        Lines written together share the group commit's transactions (one commit for many
        lines instead of one each). A line waits for the lines before it that write a record
        it names (a ticket for its customer's line, a complaint for its ticket's): the pool
        starts lines in file order, so what it waits for has started and will finish."""
        in_flight: dict[str, Future[Written | Rejection]] = {}
        window: deque[tuple[str, Future[Written | Rejection]]] = deque()
        with ThreadPoolExecutor(workers, thread_name_prefix="kefu-import") as pool:
            for number, line in lines:
                parsed = self._parse(number, line)
                if isinstance(parsed, Rejection):
                    done: Future[Written | Rejection] = Future()
                    done.set_result(parsed)
                    window.append(("", done))
                else:
                    key = _key(parsed)
                    needs = [in_flight[k] for k in (key, *_names(parsed)) if k in in_flight]
                    task = pool.submit(self._import_after, needs, number, line, parsed)
                    in_flight[key] = task
                    window.append((key, task))
                while window and (len(window) > 4 * workers or window[0][1].done()):
                    yield self._settled(window.popleft(), in_flight)
            while window:
                yield self._settled(window.popleft(), in_flight)

    @staticmethod
    def _settled(
        entry: tuple[str, Future[Written | Rejection]],
        in_flight: dict[str, Future[Written | Rejection]],
    ) -> Written | Rejection:
        key, task = entry
        if in_flight.get(key) is task:
            del in_flight[key]
        return task.result()  # an error that is not the line's (the database) stops the import

    def _import_after(
        self,
        needs: Sequence[Future[Written | Rejection]],
        number: int,
        line: bytes,
        record: ImportRecord,
    ) -> Written | Rejection:
        wait(needs)
        return self._import(number, line, record)

    def _parse(self, number: int, line: bytes) -> ImportRecord | Rejection:
        try:
            return _decoder.decode(line)
        except msgspec.DecodeError as refusal:  # ValidationError is a DecodeError
            return Rejection(number, _id_of(line), _reason(refusal))

    def _import(self, number: int, line: bytes, record: ImportRecord) -> Written | Rejection:
        try:
            outcome = self._write(record, hashlib.sha256(line.strip()).hexdigest())
        except REFUSALS as refusal:
            return Rejection(number, record.id, _reason(refusal))
        return Written(number, record.id, outcome)

    def _write(self, record: ImportRecord, fingerprint: str) -> Outcome:
        kind = _kind(record)
        key = f"import:{self.source_system}:{_key(record)}"
        ctx = Context(
            actor_id=self.actor_id,
            actor_role=IMPORTER_ROLE,
            command_id=uuid5(IMPORT_NAMESPACE, key),
            correlation_id=uuid5(IMPORT_NAMESPACE, key),
            channel=IMPORT_CHANNEL,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            recorded_at=self.clock(),
            source_system=self.source_system,
        )
        before = self.tickets.runner.first_answer(ctx)  # a rerun: one look, nothing built
        if before is not None:
            return before
        record_id = imported_id(self.source_system, kind, record.id)
        if isinstance(record, TicketRecord):
            return self._ticket(record, record_id, ctx)
        if isinstance(record, ComplaintRecord):
            return self._complaint(record, record_id, ctx)
        return self._customer(record, record_id, ctx)

    def _customer(self, record: CustomerRecord, record_id: UUID, ctx: Context) -> Outcome:
        command = msgspec.convert(record.create, RegisterCustomer)
        steps = self._steps(record, self.customers)

        def make(env: Env) -> Aggregate:
            return self.customers.registered(command, env, record_id)

        return self._run(ctx, record.at, command, make, steps, self.customers)

    def _ticket(self, record: TicketRecord, record_id: UUID, ctx: Context) -> Outcome:
        fields = dict(record.create)
        if record.customer is not None:
            fields["customer_id"] = str(self._id("customer", record.customer))
        command = msgspec.convert(fields, OpenTicket)
        steps = self._steps(record, self.tickets)

        def make(env: Env) -> Aggregate:
            return self.tickets.opened(command, env, record_id)

        return self._run(ctx, record.at, command, make, steps, self.tickets)

    def _complaint(self, record: ComplaintRecord, record_id: UUID, ctx: Context) -> Outcome:
        fields = {**record.create, "customer_id": str(self._id("customer", record.customer))}
        if record.ticket is not None:
            fields["ticket_id"] = str(self._id("ticket", record.ticket))
        command = msgspec.convert(fields, RegisterComplaint)
        steps = self._steps(record, self.complaints)

        def make(env: Env) -> Aggregate:
            return self.complaints.registered(command, env, record_id)

        return self._run(ctx, record.at, command, make, steps, self.complaints)

    def _id(self, kind: str, source_id: str) -> UUID:
        return imported_id(self.source_system, kind, source_id)

    def _steps(self, record: ImportRecord, commands: AggregateCommands[Any]) -> list[_Step]:
        """Each step of the history decoded into its action's command Struct."""
        steps = []
        for index, given in enumerate(record.history):
            where = f"history[{index}]"
            fields = dict(given)
            try:
                at = msgspec.convert(fields.pop("at"), AwareTime)
                action = str(fields.pop("action"))
            except KeyError as missing:
                raise LineRefused(f"{where}: every step needs `at` and `action`") from missing
            except msgspec.ValidationError as error:
                raise LineRefused(f"{where}.at: {error}") from error
            cls = PostEntry if action == THREAD_ACTION else commands.command_for(action)
            try:
                command = msgspec.convert(fields, cls)
            except msgspec.ValidationError as error:
                raise LineRefused(f"{where} ({action}): {error}") from error
            steps.append(_Step(at, action, command))
        return steps

    def _run(
        self,
        ctx: Context,
        created_at: datetime,
        create: Command,
        make: Callable[[Env], Aggregate],
        steps: Sequence[_Step],
        commands: AggregateCommands[Any],
    ) -> Outcome:
        _check_times(created_at, [step.at for step in steps], ctx.recorded_at or self.clock())

        def change(meta: EventMetadata, _now: datetime) -> Sequence[Aggregate]:
            commands.check(create)  # in the change: a line imported before is answered first
            record = make(Env(meta, created_at, commands.policies))
            saved = [record]
            for step in steps:
                saved.extend(self._apply(record, step, meta, commands))
            return saved

        return commands.runner.run_together(ctx, 201, change)

    def _apply(
        self, record: Aggregate, step: _Step, meta: EventMetadata, commands: AggregateCommands[Any]
    ) -> Sequence[Aggregate]:
        """One step on the record; returns the other aggregates it changed (a merge's survivor)."""
        if isinstance(step.command, PostEntry):
            if not isinstance(record, Ticket | Complaint):
                raise LineRefused("only tickets and complaints have a thread")
            attachments = self.threads.attachments(step.command.attachments)
            # Only the case is kept: a public reply was sent by the source system, not again.
            self.threads.apply(record, step.command, attachments, meta, step.at)
            return ()
        commands.check(step.command)
        _, handler = commands.actions[step.action]
        others = handler(record, step.command, Env(meta, step.at, commands.policies))
        return [other for other in others or () if other is not record]


def _check_times(created_at: datetime, step_times: Sequence[datetime], now: datetime) -> None:
    previous = created_at
    for index, at in enumerate(step_times):
        if at < previous:
            raise LineRefused(
                f"history[{index}].at {at.isoformat()} is earlier than {previous.isoformat()}"
            )
        previous = at
    if previous > now:
        raise LineRefused(f"{previous.isoformat()} is in the future")


def _kind(record: ImportRecord) -> str:
    return str(type(record).__struct_config__.tag)


def _key(record: ImportRecord) -> str:
    """The record's kind and source id: what names it within one source system."""
    return f"{_kind(record)}:{record.id}"


def _names(record: ImportRecord) -> tuple[str, ...]:
    """The keys of the records this line refers to."""
    if isinstance(record, TicketRecord) and record.customer is not None:
        return (f"customer:{record.customer}",)
    if isinstance(record, ComplaintRecord):
        ticket = () if record.ticket is None else (f"ticket:{record.ticket}",)
        return (f"customer:{record.customer}", *ticket)
    return ()


def _reason(refusal: Exception) -> str:
    if isinstance(refusal, IdempotencyKeyReused):
        return "the line differs from the one imported before under the same id"
    if isinstance(refusal, ConcurrentChange):
        return "a record with this id exists already (imported by another actor?)"
    return str(refusal) or type(refusal).__name__


def _id_of(line: bytes) -> str:
    """The source id of a line that did not decode, if one can be read from it."""
    try:
        found = msgspec.json.decode(line)
    except msgspec.DecodeError:
        return ""
    value = found.get("id") if isinstance(found, dict) else None
    return value if isinstance(value, str) else ""
