"""Erasure (被遗忘权): a customer's personal data shredded on request, with the act on record.

The customer's personal fields, and those of every record linked to the customer, are sealed
with data keys of each record's own (kefu/store/personal_fields.py). Erasing destroys those
keys, so every stored copy in the log (and in backups of it) reads as erased from then on,
while the log's bytes, and so its hash chain, stay as they were. The records are the file, the
files merged into it, and every record the key store links to any of them (the tickets,
complaints, calls and visits whose events named the customer).

Order: the keys are destroyed first, then `Customer.Erased` is saved. If the save fails, the
request fails and a retry finds nothing left to destroy and records the erasure; an erasure is
never reported done while a key survives. Snapshots of the records (which hold decoded state)
are deleted with the keys; the read models rewrite their rows when they fold the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.base import Command, Name
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.domain.customer import Customer
from kefu.domain.metadata import EventMetadata


class EraseCustomer(Command, frozen=True):
    """Erase the customer's personal data: why, and the request's reference (a ticket, a
    letter's number) that the act answers."""

    reason: Name
    request_ref: Name


class PersonalDataCommands:
    """The erasure of one customer's personal data."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner) -> None:
        self.app = app
        self.runner = runner

    def erase(self, customer_id: UUID, command: EraseCustomer, ctx: Context) -> Outcome:
        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            customer = self.app.load(Customer, customer_id, ctx.expected_version)
            records = self.app.subject_records(customer)
            if not customer.erased:
                shred(self.app, records, at)
            customer.erase(
                reason=command.reason,
                request_ref=command.request_ref,
                records=records,
                meta=meta,
                at=at,
            )
            return (customer,)

        return self.runner.run_together(ctx, 200, change)


def shred(app: ServiceDesk, records: Sequence[UUID], at: datetime) -> None:
    """Destroys the records' data keys and deletes their snapshots."""
    app.data_keys.destroy(list(records), at)
    app.forget_snapshots(records)
