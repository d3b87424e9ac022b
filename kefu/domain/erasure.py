"""Erasures made by retention (保留期限): a record's personal data erased when its period ran out.

One `Erasure` per record and retention rule, with an id made of both, so the retention process
erases a record once however often it runs (kefu/processes/retention.py). A customer's own
request is recorded on the file instead (`Customer.Erased`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.metadata import EventMetadata

ERASURE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:erasure")


def erasure_id(rule: str, record_id: UUID) -> UUID:
    return uuid5(ERASURE_NAMESPACE, f"{rule}:{record_id}")


class Erasure(Aggregate):
    """The record of one retention erasure: which rule, which records, the cut-off applied."""

    class Recorded(Aggregate.Created):
        rule: str
        records: tuple[UUID, ...]
        kept_until: datetime
        meta: EventMetadata

    @staticmethod
    def create_id(rule: str, records: tuple[UUID, ...]) -> UUID:
        return erasure_id(rule, records[0])

    @event(Recorded)
    def __init__(
        self,
        rule: str,
        records: tuple[UUID, ...],
        kept_until: datetime,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.rule = rule
        self.records = records
        self.kept_until = kept_until

    @classmethod
    def record(
        cls,
        *,
        rule: str,
        record_id: UUID,
        kept_until: datetime,
        meta: EventMetadata,
        at: datetime,
    ) -> Erasure:
        """The record's personal data was erased by `rule` (kept until `kept_until`)."""
        return cls(rule=rule, records=(record_id,), kept_until=kept_until, meta=meta, timestamp=at)
