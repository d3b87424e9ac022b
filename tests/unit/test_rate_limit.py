"""The public API's token buckets."""

from __future__ import annotations

import pytest

from kefu.http.rate_limit import RateLimited, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_one_request_per_interval() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=6, burst=2, clock=clock)  # one token every 10 s
    buckets.take("a")
    buckets.take("a")
    with pytest.raises(RateLimited) as limited:
        buckets.take("a")
    assert limited.value.retry_after == 10
    buckets.take("b")  # another address has its own bucket
    clock.now = 10.0
    buckets.take("a")


def test_forgotten_clients_beyond_the_cap_start_full() -> None:
    buckets = TokenBuckets(per_minute=1, burst=1, clock=Clock(), max_clients=1)
    buckets.take("a")
    buckets.take("b")  # forgets a
    buckets.take("a")
