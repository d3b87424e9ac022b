"""The call view (its table and list queries) and the projection that keeps it."""

from __future__ import annotations

from typing import ClassVar

from kefu.domain.call import Call
from kefu.projections.call_document import CallDocument
from kefu.projections.call_document import fold as fold_call
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.erased_documents import erased_call
from kefu.projections.sql import db_time


class CallView(DocumentView[CallDocument]):
    """One row per call, with the columns the call lists filter and sort on."""

    table = "call_views"
    document = CallDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "direction": ("TEXT NOT NULL", lambda v: v.direction),
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "agent_id": ("TEXT", lambda v: str(v.agent_id) if v.agent_id else None),
        "customer_id": ("TEXT", lambda v: v.customer_id),
        "customer_number": ("TEXT NOT NULL", lambda v: v.customer_number),
        "group_name": ("TEXT", lambda v: v.group),
        "started_at": ("TEXT NOT NULL", lambda v: db_time(v.started_at)),
        "ended_at": ("TEXT", lambda v: db_time(v.ended_at)),
        "callback_due_at": ("TEXT", lambda v: db_time(v.callback_due_at)),
        "called_back_at": ("TEXT", lambda v: db_time(v.called_back_at)),
        "updated_at": ("TEXT NOT NULL", lambda v: db_time(v.updated_at)),
    }

    def erased(self, doc: CallDocument) -> CallDocument:
        return erased_call(doc)

    # (filter, sort, id): each list order and its cursor is a range of one index (listing.py).
    indexes = (
        "started_at, id",
        "updated_at, id",
        "callback_due_at, id",
        "status, started_at, id",
        "agent_id",
        "customer_id",
    )


class CallProjection(FoldProjection[CallView]):
    """Keeps one row per call up to date."""

    erases_personal_data = True

    name = "call_views"
    event_classes = (
        Call.Started, Call.IvrChosen, Call.Queued, Call.Offered, Call.OfferMissed, Call.Answered,
        Call.Held, Call.Resumed, Call.Transferred, Call.TransferredOut, Call.Ended,
        Call.RecordingAttached, Call.NoteAdded, Call.Linked, Call.CalledBack, Call.CallingBack,
    )  # fmt: skip

    fold = staticmethod(fold_call)
