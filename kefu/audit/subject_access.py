"""Subject access (查阅复制权): everything kefu holds about one person, in one document.

The document is built from the log, the source of truth: the customer file and every record
linked to it (the same set an erasure would shred: `ServiceDesk.subject_records`), each with
its kind and every event as auditors read it (what happened, when, by whom, with the personal
fields decrypted, or `[erased]` where they were erased). Attachments are named by file name
and SHA-256 in the thread entries; their bytes stay in the attachment store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from kefu.application import ServiceDesk
from kefu.audit.history import aggregate_state
from kefu.audit.records import event_record
from kefu.domain.customer import Customer


def personal_data(app: ServiceDesk, customer_id: UUID, now: datetime) -> dict[str, Any]:
    """The subject-access document of one customer file (NotFound when there is none)."""
    customer = app.load(Customer, customer_id)
    records = []
    for record_id in app.subject_records(customer):
        events = list(app.events.get(record_id))
        if not events:
            continue
        kind = getattr(events[0], "originator_topic", "").rpartition(".")[2]
        records.append({"id": record_id, "kind": kind, "events": [event_record(e) for e in events]})
    return {
        "customer_id": customer.id,
        "exported_at": now,
        "status": customer.status,
        "file": aggregate_state(customer),
        "records": records,
    }
