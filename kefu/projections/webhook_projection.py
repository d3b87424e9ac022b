"""The webhook subscription view (its table) and the projection that keeps it."""

from __future__ import annotations

from typing import ClassVar

from kefu.domain.subscription import Subscription
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.sql import db_time
from kefu.projections.webhook_document import WebhookDocument
from kefu.projections.webhook_document import fold as fold_webhook


class WebhookView(DocumentView[WebhookDocument]):
    """One row per webhook subscription."""

    table = "webhook_views"
    document = WebhookDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "url": ("TEXT NOT NULL", lambda v: v.url),
        "registered_at": ("TEXT NOT NULL", lambda v: db_time(v.registered_at)),
    }
    indexes = ("status",)


class WebhookProjection(FoldProjection[WebhookView]):
    """Keeps one row per webhook subscription up to date."""

    name = "webhook_views"
    event_classes = (
        Subscription.Registered,
        Subscription.Changed,
        Subscription.Paused,
        Subscription.Resumed,
        Subscription.SecretRotated,
        Subscription.RedeliveryRequested,
    )

    fold = staticmethod(fold_webhook)
