"""Auditors' reads of personal data leave a trace: each read is an event in the log."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from kefu.domain.metadata import EventMetadata


class AuditAccess(Aggregate):
    """One read through the audit endpoints: who read which record, how, and when."""

    class Recorded(Aggregate.Created):
        stream_id: str | None
        request: str
        meta: EventMetadata

    @event(Recorded)
    def __init__(
        self, stream_id: str | None, request: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.stream_id = stream_id
        self.request = request
