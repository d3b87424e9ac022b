"""Webhook signatures: HMAC-SHA256 over the timestamp and the body, and derived secrets.

A receiver recomputes `sign(secret, timestamp, body)` and compares it in constant time; the
timestamp is signed too, so a receiver that refuses old timestamps refuses replays.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

SIGNATURE_SCHEME = "v1"


def derive_secret(master_key: bytes, subscription_id: UUID, secret_version: int) -> str:
    """The subscription's signing secret: only the desk's key and the id make it, so it is
    never stored anywhere and a rotation (a new version) invalidates the old one."""
    message = f"kefu-webhook:{subscription_id}:{secret_version}".encode()
    return "whsec_" + hmac.new(master_key, message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` with the subscription's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_SCHEME}={digest.hexdigest()}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """Whether `signature` is the one `sign` makes (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
