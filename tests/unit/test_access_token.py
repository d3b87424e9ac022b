"""Managed API tokens: the bearer token's form, its hash, and the record's verbs and refusals;
the coarse last-use note; metadata of events recorded before `sent_by` existed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import msgspec
import pytest

from kefu.auth import USE_GRANULARITY, CoarseUse, hash_token
from kefu.domain.access_token import (
    MAX_OVERLAP,
    AccessToken,
    TokenStatus,
    compose,
    digest,
    token_id_of,
)
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.store.mapper import MsgspecMapper

T0 = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)
TOKEN_ID = UUID("0f1e2d3c-4b5a-4968-8776-655443322110")
META = EventMetadata(
    actor_id="root",
    actor_role="admin",
    command_id=UUID(int=1),
    correlation_id=UUID(int=2),
    causation_id=None,
    channel="api",
)


def issued(secret: str = "first-secret", expires_at: datetime | None = None) -> AccessToken:
    return AccessToken.issue(
        token_id=TOKEN_ID,
        actor_id="desk-app",
        role="service",
        label="the desk application",
        departments=("after_sales",),
        queues=None,
        may_delegate=True,
        expires_at=expires_at,
        secret_hash=digest(compose(TOKEN_ID, secret)),
        meta=META,
        at=T0,
    )


def later(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def accepts(token: AccessToken, secret: str, at: datetime) -> bool:
    return token.accepts(digest(compose(TOKEN_ID, secret)), at)


def test_a_bearer_token_names_its_record_and_anything_else_names_none() -> None:
    token = compose(TOKEN_ID, "a_secret_with_underscores")
    assert token.startswith("kefu_0f1e2d3c4b5a49688776655443322110_")
    assert token_id_of(token) == TOKEN_ID
    for other in ("svc-token", "kefu_", "kefu_0f1e2d3c", f"kefu_{'z' * 32}_x", token[:37]):
        assert token_id_of(other) is None, other


def test_the_hash_is_sha256_of_the_whole_token_as_for_static_tokens() -> None:
    token = compose(TOKEN_ID, "s")
    assert digest(token) == hash_token(token)
    assert digest(token) == hashlib.sha256(token.encode()).hexdigest()


def test_the_record_keeps_the_hash_and_never_the_secret() -> None:
    token = issued("never-stored-anywhere")
    stored = MsgspecMapper().to_stored_event(token.collect_events()[0])
    assert b"never-stored-anywhere" not in stored.state
    assert digest(compose(TOKEN_ID, "never-stored-anywhere")).encode() in stored.state
    assert token.id == TOKEN_ID and token.status is TokenStatus.ACTIVE


def test_an_active_token_accepts_its_secret_only() -> None:
    token = issued()
    assert accepts(token, "first-secret", later(days=400))
    assert not accepts(token, "other-secret", T0)


def test_a_token_is_refused_from_its_expiry_on() -> None:
    token = issued(expires_at=later(hours=1))
    assert accepts(token, "first-secret", later(minutes=59))
    assert not accepts(token, "first-secret", later(hours=1))


def test_expire_sets_the_time_and_a_past_time_means_now() -> None:
    token = issued()
    token.expire(expires_at=later(days=-3), meta=META, at=later(minutes=5))
    assert token.expires_at == later(minutes=5)
    assert not accepts(token, "first-secret", later(minutes=5))
    with pytest.raises(ActionNotAllowed, match="expired"):
        token.expire(expires_at=later(days=1), meta=META, at=later(minutes=6))


def test_issuing_with_an_expiry_in_the_past_is_refused() -> None:
    with pytest.raises(RuleViolated, match="future"):
        issued(expires_at=T0)


def test_a_revoked_token_is_refused_for_good_and_cannot_change_again() -> None:
    token = issued()
    token.revoke(reason="laptop stolen", meta=META, at=later(minutes=1))
    assert token.status is TokenStatus.REVOKED
    assert not accepts(token, "first-secret", later(minutes=1))
    for verb in (
        lambda: token.revoke(reason="again", meta=META, at=later(minutes=2)),
        lambda: token.rotate(secret_hash="x", overlap=timedelta(0), meta=META, at=later(minutes=2)),
        lambda: token.expire(expires_at=later(days=1), meta=META, at=later(minutes=2)),
    ):
        with pytest.raises(ActionNotAllowed):
            verb()


def test_rotation_refuses_the_old_secret_at_once_by_default() -> None:
    token = issued()
    new_hash = digest(compose(TOKEN_ID, "second-secret"))
    token.rotate(secret_hash=new_hash, overlap=timedelta(0), meta=META, at=later(minutes=1))
    assert accepts(token, "second-secret", later(minutes=1))
    assert not accepts(token, "first-secret", later(minutes=1))


def test_rotation_with_an_overlap_accepts_both_secrets_until_it_ends() -> None:
    token = issued()
    new_hash = digest(compose(TOKEN_ID, "second-secret"))
    token.rotate(secret_hash=new_hash, overlap=timedelta(minutes=10), meta=META, at=T0)
    assert accepts(token, "first-secret", later(minutes=9))
    assert accepts(token, "second-secret", later(minutes=9))
    assert not accepts(token, "first-secret", later(minutes=10))
    third = digest(compose(TOKEN_ID, "third-secret"))
    token.rotate(secret_hash=third, overlap=timedelta(0), meta=META, at=later(minutes=11))
    assert not accepts(token, "second-secret", later(minutes=11))
    assert not accepts(token, "first-secret", later(minutes=11))


def test_an_overlap_longer_than_an_hour_is_refused() -> None:
    token = issued()
    with pytest.raises(RuleViolated, match="3600"):
        token.rotate(secret_hash="x", overlap=MAX_OVERLAP + timedelta(seconds=1), meta=META, at=T0)


def test_old_events_without_sent_by_read_as_sent_by_nobody() -> None:
    encoded = msgspec.json.encode(META)
    old = encoded.replace(b',"sent_by":null', b"")
    assert b"sent_by" not in old
    assert msgspec.json.decode(old, type=EventMetadata) == META


class Sink:
    def __init__(self) -> None:
        self.uses: list[tuple[UUID, datetime]] = []

    def record_use(self, token_id: UUID, at: datetime) -> None:
        self.uses.append((token_id, at))


def test_a_use_is_noted_at_most_once_a_minute_per_token() -> None:
    sink = Sink()
    use = CoarseUse(sink)
    one, two = uuid4(), uuid4()
    for seconds in (0, 1, 30, 59):
        use.seen(one, later(seconds=seconds))
    use.seen(two, later(seconds=2))
    use.seen(one, T0 + USE_GRANULARITY)
    use.close()  # waits for the writer thread
    assert sink.uses == [(one, T0), (two, later(seconds=2)), (one, T0 + USE_GRANULARITY)]
