"""`kefu automation status|pause|resume`: the automation process, seen and steered."""

from __future__ import annotations

import sys
from dataclasses import replace
from uuid import UUID

from kefu.bootstrap import Services
from kefu.domain.complaint import Complaint
from kefu.domain.rules import COMPLAINT_ATTRIBUTED, TICKET_OPENED, Action
from kefu.domain.ticket import Ticket
from kefu.processes.automation import AUTOMATION_NAME


def print_status(services: Services) -> int:
    status = services.automation.status()
    state = "paused" if status.paused else "running"
    if services.settings.automation == "off":
        state = "off (KEFU_AUTOMATION=off)"
    next_due = status.next_due.isoformat() if status.next_due else "-"
    print(f"automation: {state}")
    print(
        f"position:   {status.position} of {status.head} (behind {status.head - status.position})"
    )
    print(f"timers:     {status.pending_timers} pending, next due {next_due}")
    return 0


def set_paused(services: Services, paused: bool) -> int:
    services.read_models.automation.set_paused(AUTOMATION_NAME, paused, services.clock())
    print(f"automation {'paused' if paused else 'resumed'}")
    return 0


def dry_run(services: Services, record_id: str, kind: str | None) -> int:
    """Prints the rules that would fire for the record as it stands now, and their actions."""
    rules = services.automation.rules
    try:
        record = UUID(record_id)
    except ValueError:
        print(f"kefu: {record_id!r} is not an id", file=sys.stderr)
        return 2
    now = services.clock()
    if services.app.exists(Ticket, record):
        facts = rules.ticket_facts(services.app.load(Ticket, record), kind or TICKET_OPENED, now)
    elif services.app.exists(Complaint, record):
        complaint = services.app.load(Complaint, record)
        facts = replace(rules.complaint_facts(complaint, now), kind=kind or COMPLAINT_ATTRIBUTED)
    else:
        print(f"kefu: no ticket or complaint {record_id}", file=sys.stderr)
        return 1
    fired = rules.firing(facts)
    print(f"{facts.kind}: {len(fired)} rule(s) fire")
    for rule in fired:
        actions = ", ".join(_describe(a) for a in rule.then)
        print(f"  {rule.name}{' (stop)' if rule.stop else ''}: {actions}")
    return 0


def _describe(action: Action) -> str:
    shown = {k: v for k, v in vars(action).items() if k != "kind" and v not in (None, (), False)}
    return f"{action.kind} {shown}" if shown else action.kind
