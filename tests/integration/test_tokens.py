"""Managed API tokens on both backends: issued, used, revoked and rotated through the commands,
and checked by two authenticators on their own connections (two workers): each change is seen
by the other at once; the list and the history show every change and never a secret."""

from __future__ import annotations

from uuid import UUID, uuid4

import msgspec
import pytest

from kefu.auth import DelegationRefused, Role
from kefu.bootstrap import Services
from kefu.commands.agents import RegisterAgent
from kefu.commands.context import Context
from kefu.commands.errors import UnknownReference
from kefu.commands.tokens import ExpireToken, IssueToken, RevokeToken, RotateToken
from kefu.domain.access_token import compose
from kefu.domain.errors import ActionNotAllowed
from tests.integration.conftest import ServicesFactory
from tests.receivers import wait_until

ISSUE = IssueToken(
    actor_id="desk-app",
    role=Role.SERVICE,
    label="the desk application",
    departments=("after_sales", "finance"),
    queues=("vip",),
    may_delegate=True,
)


def admin() -> Context:
    return Context(actor_id="root", actor_role="admin", command_id=uuid4(), correlation_id=uuid4())


def issue(services: Services, command: IssueToken = ISSUE) -> tuple[UUID, str]:
    made = services.managed_tokens.issue(command, admin())
    assert made.outcome.status_code == 201 and made.token is not None
    return made.outcome.answer.id, made.token


@pytest.fixture
def workers(open_services: ServicesFactory) -> tuple[Services, Services]:
    return open_services(), open_services()


def test_every_change_on_one_worker_is_seen_by_the_other_at_once(
    workers: tuple[Services, Services],
) -> None:
    one, two = workers
    revoked_id, revoked = issue(one)
    caller = two.tokens.caller(revoked)
    assert caller is not None
    assert (caller.actor_id, caller.role, caller.token_id) == ("desk-app", Role.SERVICE, revoked_id)
    assert (caller.departments, caller.queues) == (frozenset({"after_sales", "finance"}), {"vip"})
    assert caller.may_delegate
    assert one.tokens.caller(revoked) == caller
    one.managed_tokens.act(revoked_id, "revoke", RevokeToken(reason="leaked"), admin())
    assert two.tokens.caller(revoked) is None
    assert one.tokens.caller(revoked) is None

    rotated_id, old = issue(one)
    assert two.tokens.caller(old) is not None
    rotated = one.managed_tokens.rotate(rotated_id, RotateToken(), admin())
    assert rotated.token is not None and rotated.token != old
    assert two.tokens.caller(old) is None
    new_caller = two.tokens.caller(rotated.token)
    assert new_caller is not None and new_caller.token_id == rotated_id

    expired_id, expired = issue(one)
    assert two.tokens.caller(expired) is not None
    one.managed_tokens.act(expired_id, "expire", ExpireToken(), admin())
    assert two.tokens.caller(expired) is None
    with pytest.raises(ActionNotAllowed, match="expired"):
        one.managed_tokens.rotate(expired_id, RotateToken(), admin())


def test_the_list_and_history_show_each_change_by_its_admin_never_a_secret_and_the_last_use(
    services: Services,
) -> None:
    unknown = msgspec.structs.replace(ISSUE, departments=("atlantis",))
    with pytest.raises(UnknownReference, match="atlantis"):
        services.managed_tokens.issue(unknown, admin())
    assert services.app.recorder.max_notification_id() in (None, 0)  # nothing was recorded

    token_id, token = issue(services)
    secret = token.split("_", 2)[2]  # kefu_<id>_<secret: may hold "_">
    assert len(secret) == 43  # 32 random bytes, URL-safe base64
    assert services.tokens.caller(token) is not None
    wait_until(lambda: token_id in services.read_models.token_use.last_used([token_id]))
    services.managed_tokens.rotate(token_id, RotateToken(overlap_seconds=60), admin())
    services.managed_tokens.act(token_id, "revoke", RevokeToken(reason="staff left"), admin())
    services.projection_runner().catch_up()

    doc = services.read_models.tokens.get(token_id)
    assert doc is not None
    assert (doc.status, doc.revoked_reason, doc.rotations, doc.issued_by) == (
        "revoked",
        "staff left",
        1,
        "root",
    )
    events = list(services.app.events.get(token_id))
    assert [type(e).__name__ for e in events] == ["Issued", "Rotated", "Revoked"]
    assert {(e.meta.actor_id, e.meta.actor_role) for e in events} == {("root", "admin")}
    stored = services.app.recorder.select_events(token_id)
    assert all(secret.encode() not in s.state for s in stored)
    assert secret not in repr(doc)


def test_on_behalf_of_names_an_existing_agent_only(services: Services) -> None:
    agent = services.agents.register(RegisterAgent(name="王芳", extension="8001"), admin())
    _, token = issue(services)
    caller = services.tokens.caller(token)
    assert caller is not None
    assert services.tokens.caller(compose(agent.answer.id, "guess")) is None  # not a token
    acting = services.tokens.on_behalf_of(caller, str(agent.answer.id))
    assert (acting.actor_id, acting.sent_by, acting.role) == (
        str(agent.answer.id),
        "desk-app",
        Role.SERVICE,
    )
    with pytest.raises(DelegationRefused) as unknown:
        services.tokens.on_behalf_of(caller, str(uuid4()))
    assert unknown.value.status == 422
    _, plain = issue(services, msgspec.structs.replace(ISSUE, may_delegate=False))
    not_delegating = services.tokens.caller(plain)
    assert not_delegating is not None
    with pytest.raises(DelegationRefused) as refused:
        services.tokens.on_behalf_of(not_delegating, str(agent.answer.id))
    assert refused.value.status == 403
