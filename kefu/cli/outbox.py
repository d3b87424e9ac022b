"""`kefu outbox run|status|redeliver`: the webhook outbox from a terminal."""

from __future__ import annotations

import getpass
import os
import signal
import sys
import threading
import uuid
from collections.abc import Sequence
from uuid import UUID

from kefu.bootstrap import Outbox, Services
from kefu.commands.context import Context
from kefu.commands.webhooks import RedeliverWebhook
from kefu.domain.subscription import SubscriptionAction
from kefu.projections.listing import ListQuery
from kefu.projections.outbox_tables import DEAD, DELIVERED, PENDING
from kefu.settings import SettingsError

OUTBOX_NICENESS = 5


def run(outbox: Outbox) -> int:
    """Follows the log, sends webhooks and messages until SIGINT or SIGTERM."""
    # Background delivery: the API and the projections answer callers who wait
    # (read-your-writes), so on a busy machine they get the CPU first.
    os.nice(OUTBOX_NICENESS)
    try:
        service = outbox.service()
    except SettingsError as e:
        print(f"kefu outbox run: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    service.run_forever(stop)
    return 0


def print_status(services: Services) -> int:
    """The follower's position against the head, and each subscription's deliveries."""
    position = services.outbox.position()
    head = services.app.recorder.max_notification_id() or 0
    print(f"outbox follower at {position} of {head} ({max(head - position, 0)} behind)")
    counts = services.outbox.tables.counts()
    views, _ = services.read_models.webhooks.page(_all_webhooks())
    print(f"{'subscription':36}  {'status':6}  {PENDING:>8} {DELIVERED:>10} {DEAD:>6}  url")
    for view in views:
        n = counts.get(str(view.id), {})
        print(
            f"{view.id!s:36}  {view.status:6}  {n.get(PENDING, 0):>8} "
            f"{n.get(DELIVERED, 0):>10} {n.get(DEAD, 0):>6}  {view.url}"
        )
    return 0


def redeliver(services: Services, subscription_id: str, event_ids: Sequence[str]) -> int:
    """Queues the named events (or every dead-lettered one) for sending again."""
    try:
        command = RedeliverWebhook(event_ids=tuple(UUID(e) for e in event_ids))
        target = UUID(subscription_id)
    except ValueError as e:
        print(f"kefu outbox redeliver: {e}", file=sys.stderr)
        return 2
    action = SubscriptionAction.REDELIVER.value
    outcome = services.webhooks.act(target, action, command, _cli_context())
    what = ", ".join(event_ids) or "every dead-lettered delivery"
    print(f"queued again for {subscription_id}: {what} (log position {outcome.answer.position})")
    return 0


def _cli_context() -> Context:
    command_id = uuid.uuid4()
    return Context(
        actor_id=f"cli:{getpass.getuser()}",
        actor_role="admin",
        command_id=command_id,
        correlation_id=command_id,
        channel="cli",
    )


def _all_webhooks() -> ListQuery:
    return ListQuery(order_by="registered_at", limit=500)
