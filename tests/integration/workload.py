"""A seeded random workload across tickets, complaints, calls, agents, customers and visits.

Each step picks an aggregate kind and an action at random and sends its command through the
real command handlers. A command the domain refuses in the aggregate's current state (a
DomainError) writes nothing and is simply counted: what is saved is always a valid history.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from kefu.bootstrap import Services
from kefu.commands import agents as ag
from kefu.commands import calls as ca
from kefu.commands import complaints as co
from kefu.commands import customers as cu
from kefu.commands import tickets as ti
from kefu.commands import visits as vi
from kefu.commands.base import Command
from kefu.domain.call_lifecycle import Direction
from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_values import ComplaintType, EscalationLevel, RemedyKind
from kefu.domain.deadlines import Priority
from kefu.domain.errors import DomainError, NotFound
from tests.integration.conftest import context

CHANNELS = list(Channel)
DEPARTMENTS = ["billing", "repairs", "sales", "quality"]
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def _ticket_commands(r: random.Random, agents: list[UUID]) -> dict[str, Command]:
    agent_id = _agent_ref(r, agents)
    return {
        "review": ti.ReviewTicket(note="checked"),
        "dispatch": ti.DispatchTicket(department=r.choice(DEPARTMENTS), agent_id=agent_id),
        "redispatch": ti.RedispatchTicket(department=r.choice(DEPARTMENTS), reason="moved"),
        "urge": ti.UrgeTicket(urged_by="customer", reason="still waiting"),
        "follow-ups": ti.FollowUpTicket(note="called back"),
        "start": ti.StartTicket(),
        "resolve": ti.ResolveTicket(resolution="fixed", code=r.choice(["fix", "refund"])),
        "feedback": ti.GiveFeedback(channel=r.choice(CHANNELS)),
        "rating": ti.RateTicket(score=r.randint(1, 5)),
        "close": ti.CloseTicket(),
        "reopen": ti.ReopenTicket(reason="not fixed"),
        "archive": ti.ArchiveTicket(),
    }


def _complaint_commands(
    r: random.Random, complaint: Complaint, agents: list[UUID]
) -> dict[str, Command]:
    task = next(iter(complaint.unfinished_tasks), None)
    agent = r.choice(agents[:3]) if agents else None
    commands: dict[str, Command] = {
        "acknowledge": co.AcknowledgeComplaint(message="sorry"),
        "facts": co.RecordFacts(facts="the seal is cracked"),
        "attribute": co.AttributeResponsibility(
            department=r.choice(DEPARTMENTS), cause=r.choice(list(ComplaintType))
        ),
        "proposals": co.ProposeResolution(
            remedies=[co.RemedyItem(kind=RemedyKind.REFUND, amount=Decimal("9.90"))]
        ),
        "accept": co.AcceptResolution(),
        "reject": co.RejectResolution(reason="too little"),
        "contact-attempts": co.RecordContactAttempt(channel=r.choice(CHANNELS)),
        "confirm": co.ConfirmOutcome(resolved=r.random() < 0.8, satisfaction=r.randint(1, 5)),
        "close": co.CloseComplaint(),
        "reopen": co.ReopenComplaint(reason="it leaks again"),
        "archive": co.ArchiveComplaint(),
        "major": co.MakeMajor(reason="a second customer was hurt"),
    }
    if agent is not None:  # the one escalated to and a task's owner are registered agents
        commands["escalate"] = co.EscalateComplaint(
            level=EscalationLevel.MANAGER, to=agent, reason="x"
        )
        commands["tasks"] = co.AssignTask(department="finance", owner=agent, due_at=FAR)
    if task is not None:
        outcome = r.choice(["tasks/complete", "tasks/fail"])
        commands[outcome] = co.FinishTask(task_id=task.task_id, note="done")
    return commands


def _agent_ref(r: random.Random, agents: list[UUID]) -> UUID | None:
    """No agent, or one of the first three registered (references must exist)."""
    return r.choice([None, *agents[:3]])


@dataclass
class Workload:
    """Sends `steps` random commands; keeps the ids it made and counts what it did."""

    services: Services
    seed: int
    ids: dict[str, list[UUID]] = field(default_factory=dict)
    saved: int = 0
    refused: int = 0

    def __post_init__(self) -> None:
        self.r = random.Random(self.seed)
        self.kinds: list[tuple[str, Callable[[], Any]]] = [
            ("ticket", self.ticket),
            ("complaint", self.complaint),
            ("call", self.call),
            ("agent", self.agent),
            ("customer", self.customer),
            ("visit", self.visit),
        ]

    def run(self, steps: int) -> Workload:
        for _ in range(steps):
            _, step = self.r.choices(self.kinds, weights=[5, 3, 4, 2, 3, 1])[0]
            try:
                step()
                self.saved += 1
            except (DomainError, NotFound):
                self.refused += 1
        return self

    def _pick(self, kind: str, create: Callable[[], UUID]) -> UUID | None:
        known = self.ids.setdefault(kind, [])
        if not known or self.r.random() < 0.25:
            known.append(create())
            return None
        return self.r.choice(known)

    def _act(self, handlers: Any, aggregate_id: UUID, commands: dict[str, Command]) -> None:
        """Mostly an action allowed now (so histories go deep), sometimes any (refused)."""
        allowed = self.services.app.repository.get(aggregate_id).allowed_now
        fitting = [a for a in commands if a in allowed or a.startswith("tasks/")]
        if not fitting or self.r.random() < 0.1:
            fitting = list(commands)
        action = self.r.choice(fitting)
        handlers.act(aggregate_id, action, commands[action], context())

    def ticket(self) -> None:
        ticket_id = self._pick("ticket", self._open_ticket)
        if ticket_id is not None:
            agents = self.ids.get("agent", [])
            self._act(self.services.tickets, ticket_id, _ticket_commands(self.r, agents))

    def _open_ticket(self) -> UUID:
        command = ti.OpenTicket(
            channel=self.r.choice(CHANNELS),
            category=self.r.choice(["billing", "repair", "delivery"]),
            subject="a problem",
            priority=self.r.choice(list(Priority)),
            customer_id=self._customer_ref(),
        )
        return self.services.tickets.open(command, context()).answer.id

    def complaint(self) -> None:
        complaint_id = self._pick("complaint", self._register_complaint)
        if complaint_id is not None:
            complaint = self.services.app.repository.get(complaint_id)
            commands = _complaint_commands(self.r, complaint, self.ids.get("agent", []))
            self._act(self.services.complaints, complaint_id, commands)

    def _register_complaint(self) -> UUID:
        command = co.RegisterComplaint(
            channel=self.r.choice(CHANNELS),
            customer_id=self._customer_ref() or self._new_customer(),
            type=self.r.choice(list(ComplaintType)),
            description="the kettle leaks",
            contact="138-0000-0000",
            severity=self.r.choice(list(Priority)),
            major=self.r.random() < 0.1,
        )
        return self.services.complaints.register(command, context()).answer.id

    def call(self) -> None:
        call_id = self._pick("call", self._start_call)
        if call_id is None:
            return
        agent_id = self.r.choice(self.ids.get("agent") or [None])
        commands: dict[str, Command] = {
            "queue": ca.QueueCall(group="sales"),
            "hold": ca.HoldCall(),
            "resume": ca.ResumeCall(),
            "end": ca.EndCall(hung_up_by=self.r.choice(["caller", "agent"])),
            "notes": ca.AddNote(what="asked about a refund"),
            "link": self._link(call_id),
            "miss": ca.MissOffer(),
        }
        if agent_id is not None:
            commands["offer"] = ca.OfferCall(agent_ids=(agent_id,))
            commands["answer"] = ca.AnswerCall(agent_id=agent_id)
        self._act(self.services.calls, call_id, commands)

    def _link(self, call_id: UUID) -> Command:
        """Link a call to a ticket, or (once it is known) to a customer."""
        customer, tickets = self._customer_ref(), self.ids.get("ticket")
        if customer is not None and (self.r.random() < 0.5 or not tickets):
            return ca.LinkCall(customer_id=customer)
        if not tickets:
            return ca.AddNote(what="no case to link yet")
        return ca.LinkCall(ticket_id=self.r.choice(tickets))

    def _start_call(self) -> UUID:
        number = f"1380000{self.r.randint(0, 9999):04d}"
        command = ca.StartCall(
            direction=Direction.INBOUND,
            customer_number=number,
            hotline="4008",
            customer_id=self._customer_ref(),
        )
        return self.services.calls.start(command, context()).answer.id

    def agent(self) -> None:
        agent_id = self._pick("agent", self._register_agent)
        if agent_id is not None:
            commands: dict[str, Command] = {
                "login": ag.LogIn(),
                "available": ag.BecomeAvailable(),
                "break": ag.GoOnBreak(reason="tea"),
                "logout": ag.LogOut(),
                "skills": ag.ChangeSkills(skill_groups=("sales", "vip")),
            }
            self._act(self.services.agents, agent_id, commands)

    def _register_agent(self) -> UUID:
        n = len(self.ids["agent"])
        command = ag.RegisterAgent(
            name=f"agent {n}", extension=f"8{n:03d}", skill_groups=("sales",), order=n
        )
        return self.services.agents.register(command, context()).answer.id

    def customer(self) -> None:
        customer_id = self._pick("customer", self._register_customer)
        if customer_id is not None:
            self._act(self.services.customers, customer_id, self._customer_commands())

    def _customer_commands(self) -> dict[str, Command]:
        r = self.r
        commands: dict[str, Command] = {
            "contact": cu.ChangeContact(tags=(r.choice(["vip", "new", "loyal"]),)),
            "owner": cu.AssignOwner(agent_id=_agent_ref(r, self.ids.get("agent", []))),
            "orders": cu.RecordOrder(
                number=f"o-{r.randint(1, 99999)}",
                amount=Decimal(r.randint(1, 9999)) / 100,
                ordered_on=date(2030, 1, r.randint(1, 28)),
            ),
            "surveys": cu.RecordSurvey(answered_on=date(2030, 2, 1), rating=r.randint(1, 5)),
        }
        if r.random() < 0.1 and len(self.ids["customer"]) > 1:
            commands["merge"] = cu.MergeCustomer(into=r.choice(self.ids["customer"]))
        return commands

    def _register_customer(self) -> UUID:
        n = len(self.ids["customer"])
        command = cu.RegisterCustomer(
            name=f"customer {n}", phones=(f"1390000{n:04d}",), tags=("new",)
        )
        return self.services.customers.register(command, context()).answer.id

    def _new_customer(self) -> UUID:
        known = self.ids.setdefault("customer", [])
        known.append(self._register_customer())
        return known[-1]

    def _customer_ref(self) -> UUID | None:
        known = self.ids.get("customer")
        return self.r.choice(known) if known and self.r.random() < 0.7 else None

    def visit(self) -> None:
        customers = self.ids.get("customer")
        if not customers:
            return self.customer()
        visit_id = self._pick("visit", lambda: self._schedule_visit(customers))
        if visit_id is not None:
            commands: dict[str, Command] = {
                "done": vi.FinishVisit(reached=True, satisfaction=self.r.randint(1, 5)),
                "reschedule": vi.RescheduleVisit(
                    due_on=date.today() + timedelta(days=3), reason="away"
                ),
            }
            agent = _agent_ref(self.r, self.ids.get("agent", []))
            if agent is not None:
                commands["assign"] = vi.AssignVisit(agent_id=agent)
            self._act(self.services.visits, visit_id, commands)
        return None

    def _schedule_visit(self, customers: list[UUID]) -> UUID:
        command = vi.ScheduleVisit(
            customer_id=self.r.choice(customers),
            purpose="how did it go",
            due_on=date.today() + timedelta(days=self.r.randint(0, 5)),
        )
        return self.services.visits.schedule(command, context()).answer.id
