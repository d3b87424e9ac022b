"""The managed API token as an event-sourced aggregate: issued, expired, revoked, rotated.

A bearer token reads `kefu_<token id as 32 hex digits>_<secret>`: the id names the record to
load, the secret proves the caller holds it. The record keeps only the SHA-256 of the whole
token, never the token, so no event, history, archive or backup can give it back; it is shown
once, in the answer that made it. Rotation gives a new secret for the same id (the id does not
change, so whoever lists or audits tokens follows one record); the old secret is refused at
once, or after an overlap of at most `MAX_OVERLAP`, for clients that need a moment to switch.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata

PREFIX = "kefu_"
_ID_DIGITS = 32
MAX_OVERLAP = timedelta(hours=1)


class TokenStatus(StrEnum):
    """A token is active until revoked; an expired one is active and refused after its time."""

    ACTIVE = "active"
    REVOKED = "revoked"


class TokenAction(StrEnum):
    """What may be done to a token; the values are the HTTP action names."""

    EXPIRE = "expire"
    REVOKE = "revoke"
    ROTATE = "rotate"


def digest(token: str) -> str:
    """The SHA-256 of a bearer token (hex): what is stored and compared, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def compose(token_id: UUID, secret: str) -> str:
    """The bearer token of the record `token_id` with `secret`."""
    return f"{PREFIX}{token_id.hex}_{secret}"


def token_id_of(token: str) -> UUID | None:
    """The record a managed bearer token names, or None when it is not of that form."""
    head = len(PREFIX) + _ID_DIGITS
    if not token.startswith(PREFIX) or len(token) <= head + 1 or token[head] != "_":
        return None
    try:
        return UUID(hex=token[len(PREFIX) : head])
    except ValueError:
        return None


class AccessToken(Aggregate):
    """Who a bearer token authenticates, in which role and scopes, until when.

    `departments` and `queues` are the scopes (None: unscoped); `may_delegate` lets the token
    name the agent at the keyboard (`X-On-Behalf-Of`). Public methods are the verbs; each checks,
    then records one event.
    """

    class Issued(Aggregate.Created):
        actor_id: str
        role: str
        label: str
        departments: tuple[str, ...] | None
        queues: tuple[str, ...] | None
        may_delegate: bool
        expires_at: datetime | None
        secret_hash: str
        meta: EventMetadata

    class ExpirySet(Aggregate.Event):
        """The token is refused from `expires_at` on."""

        expires_at: datetime
        meta: EventMetadata

    class Revoked(Aggregate.Event):
        reason: str
        meta: EventMetadata

    class Rotated(Aggregate.Event):
        """A new secret; the previous one is accepted until `previous_until` (maybe now)."""

        secret_hash: str
        previous_until: datetime
        meta: EventMetadata

    @event(Issued)
    def __init__(
        self,
        actor_id: str,
        role: str,
        label: str,
        departments: tuple[str, ...] | None,
        queues: tuple[str, ...] | None,
        may_delegate: bool,
        expires_at: datetime | None,
        secret_hash: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.actor_id = actor_id
        self.role = role
        self.label = label
        self.departments = departments
        self.queues = queues
        self.may_delegate = may_delegate
        self.expires_at = expires_at
        self.secret_hash = secret_hash
        self.previous_hash: str | None = None
        self.previous_until: datetime | None = None
        self.status = TokenStatus.ACTIVE

    @classmethod
    def issue(
        cls,
        *,
        token_id: UUID,
        actor_id: str,
        role: str,
        label: str,
        departments: tuple[str, ...] | None,
        queues: tuple[str, ...] | None,
        may_delegate: bool,
        expires_at: datetime | None,
        secret_hash: str,
        meta: EventMetadata,
        at: datetime,
    ) -> AccessToken:
        """A new token for `actor_id`; its record keeps only the hash of the secret."""
        if expires_at is not None and expires_at <= at:
            raise RuleViolated("expires_at must be in the future")
        # The id is chosen before the record exists: it is part of the bearer token hashed here.
        return cls._create(
            cls.Issued,
            id=token_id,
            actor_id=actor_id,
            role=role,
            label=label,
            departments=departments,
            queues=queues,
            may_delegate=may_delegate,
            expires_at=expires_at,
            secret_hash=secret_hash,
            meta=meta,
            timestamp=at,
        )

    @property
    def is_revoked(self) -> bool:
        return self.status is TokenStatus.REVOKED

    def allowed_at(self, now: datetime) -> tuple[str, ...]:
        if self.is_revoked or self.has_expired(now):
            return ()
        return tuple(a.value for a in TokenAction)

    def has_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def accepts(self, secret_hash: str, now: datetime) -> bool:
        """Whether a bearer token with this hash authenticates now."""
        if self.is_revoked or self.has_expired(now):
            return False
        if hmac.compare_digest(secret_hash, self.secret_hash):
            return True
        previous, until = self.previous_hash, self.previous_until
        if previous is None or until is None or now >= until:
            return False
        return hmac.compare_digest(secret_hash, previous)

    def expire(self, *, expires_at: datetime, meta: EventMetadata, at: datetime) -> None:
        """Refuse the token from `expires_at` on (now or later; an earlier time is now)."""
        self._check_usable(at, TokenAction.EXPIRE)
        self._expiry_set(expires_at=max(expires_at, at), meta=meta, timestamp=at)

    def revoke(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Refuse the token from now on, for good."""
        if self.is_revoked:
            raise ActionNotAllowed("the token is revoked already", ())
        self._revoked(reason=reason, meta=meta, timestamp=at)

    def rotate(
        self, *, secret_hash: str, overlap: timedelta, meta: EventMetadata, at: datetime
    ) -> None:
        """A new secret from now on; the old one is refused after `overlap` (0: at once)."""
        self._check_usable(at, TokenAction.ROTATE)
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise RuleViolated(f"the overlap is at most {int(MAX_OVERLAP.total_seconds())} s")
        if self.expires_at is not None and at + overlap > self.expires_at:
            overlap = self.expires_at - at
        self._rotated(secret_hash=secret_hash, previous_until=at + overlap, meta=meta, timestamp=at)

    def _check_usable(self, now: datetime, action: TokenAction) -> None:
        if self.is_revoked:
            raise ActionNotAllowed(f"a revoked token cannot {action.value}", ())
        if self.has_expired(now):
            raise ActionNotAllowed(f"an expired token cannot {action.value}", ())

    @event(ExpirySet)
    def _expiry_set(self, expires_at: datetime, meta: EventMetadata, timestamp: datetime) -> None:
        self.expires_at = expires_at

    @event(Revoked)
    def _revoked(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = TokenStatus.REVOKED

    @event(Rotated)
    def _rotated(
        self, secret_hash: str, previous_until: datetime, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.previous_hash = self.secret_hash
        self.previous_until = previous_until
        self.secret_hash = secret_hash
