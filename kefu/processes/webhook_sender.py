"""POSTs one delivery to its receiver, signed, and says what came of it."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from kefu.domain.signing import derive_secret, sign
from kefu.processes.outbox_ports import DueDelivery

USER_AGENT = "kefu-webhooks/1"
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class SendResult:
    """The receiver's answer: a 2xx is delivered; anything else (or no answer) is an error."""

    ok: bool
    status_code: int | None
    error: str | None
    latency_ms: float


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook is answered where it was sent: a redirect would re-send it as a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookSender:
    """Signs with the subscription's derived secret; the event id is the idempotency key."""

    def __init__(self, master_key: bytes, timeout_seconds: float) -> None:
        self.master_key = master_key
        self.timeout_seconds = timeout_seconds
        self._opener = urllib.request.build_opener(_NoRedirects())

    def send(self, due: DueDelivery) -> SendResult:
        body = due.body.encode()
        request = urllib.request.Request(
            due.url, data=body, method="POST", headers=self.headers(due, body)
        )
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as response:
                return _result(response.status, None, started)
        except urllib.error.HTTPError as answer:
            text = answer.read(MAX_ERROR_CHARS).decode(errors="replace")
            return _result(answer.code, f"HTTP {answer.code}: {text}".strip(), started)
        except (OSError, ValueError) as failure:  # refused, reset, timed out, bad URL
            return _result(None, f"{type(failure).__name__}: {failure}", started)

    def headers(self, due: DueDelivery, body: bytes) -> dict[str, str]:
        timestamp = int(time.time())
        secret = derive_secret(self.master_key, UUID(due.subscription_id), due.secret_version)
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": due.event_id,
            "Kefu-Event-Id": due.event_id,
            "Kefu-Subscription-Id": due.subscription_id,
            "Kefu-Timestamp": str(timestamp),
            "Kefu-Signature": sign(secret, timestamp, body),
            "Kefu-Attempt": str(due.attempts + 1),
        }


def _result(status_code: int | None, error: str | None, started: float) -> SendResult:
    latency_ms = (time.perf_counter() - started) * 1000
    ok = status_code is not None and 200 <= status_code < 300
    if not ok and error is None:
        error = f"HTTP {status_code}"
    return SendResult(ok, status_code, None if ok else (error or "")[:MAX_ERROR_CHARS], latency_ms)
