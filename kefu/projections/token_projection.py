"""The managed token view (its table) and the projection that keeps it."""

from __future__ import annotations

from typing import ClassVar

from kefu.domain.access_token import AccessToken
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.sql import db_time
from kefu.projections.token_document import TokenDocument
from kefu.projections.token_document import fold as fold_token


class TokenView(DocumentView[TokenDocument]):
    """One row per managed token."""

    table = "token_views"
    document = TokenDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "actor_id": ("TEXT NOT NULL", lambda v: v.actor_id),
        "issued_at": ("TEXT NOT NULL", lambda v: db_time(v.issued_at)),
    }
    indexes = ("status", "actor_id")


class TokenProjection(FoldProjection[TokenView]):
    """Keeps one row per managed token up to date."""

    name = "token_views"
    event_classes = (
        AccessToken.Issued,
        AccessToken.ExpirySet,
        AccessToken.Revoked,
        AccessToken.Rotated,
    )

    fold = staticmethod(fold_token)
