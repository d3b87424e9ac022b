"""协同工单 commands: a ticket's department nodes (open, complete, escalate, override).

They are ticket actions (rows of the ticket lifecycle table), so `kefu/commands/tickets.py` puts
them in its action table and they reach HTTP as `POST /tickets/{id}/<action>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from kefu.commands.actions import Env
from kefu.commands.base import Command, Name, Note, Text
from kefu.commands.references import InDepartment, Names, Reference
from kefu.domain.agent import Agent
from kefu.domain.collaboration import warning_time
from kefu.domain.ticket import Ticket

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class OpenNode(Command, frozen=True):
    """Give a department its part of the ticket: a deliverable, an owner and a deadline."""

    department: Name
    due_at: AwareTime
    owner_id: UUID | None = None
    deliverable: Note = ""

    def references(self) -> Sequence[Reference]:
        return (
            InDepartment("department", self.department),
            Names("owner_id", Agent, self.owner_id),
        )


class CompleteNode(Command, frozen=True):
    """A department delivered its part."""

    department: Name
    note: Note = ""


class EscalateNode(Command, frozen=True):
    """逾期升级预警 by a person (the collaboration watch does it at the deadline)."""

    department: Name
    reason: Text


class OverrideNodes(Command, frozen=True):
    """The lead department closes the open nodes without their deliverables."""

    reason: Text


def open_node(ticket: Ticket, command: OpenNode, env: Env) -> None:
    ticket.open_node(
        department=command.department,
        owner_id=None if command.owner_id is None else str(command.owner_id),
        deliverable=command.deliverable,
        warn_at=warning_time(env.at, command.due_at, env.policies.node_warn_share),
        due_at=command.due_at,
        meta=env.meta,
        at=env.at,
    )


def complete_node(ticket: Ticket, command: CompleteNode, env: Env) -> None:
    ticket.complete_node(department=command.department, note=command.note, meta=env.meta, at=env.at)


def escalate_node(ticket: Ticket, command: EscalateNode, env: Env) -> None:
    ticket.escalate_node(
        department=command.department, reason=command.reason, meta=env.meta, at=env.at
    )


def override_nodes(ticket: Ticket, command: OverrideNodes, env: Env) -> None:
    ticket.override_nodes(reason=command.reason, meta=env.meta, at=env.at)
