"""A seeded, random but valid day-to-day workload across every aggregate, through the commands.

Each step advances a fake clock by whole seconds and issues one command that the current state
allows; a command a business rule refuses (a second rating, closing too early ...) is skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import allowed_actions as agent_actions
from kefu.domain.call_lifecycle import Direction
from kefu.domain.complaint_lifecycle import ComplaintStatus
from kefu.domain.complaint_lifecycle import allowed_actions as complaint_actions
from kefu.domain.complaint_values import ComplaintType, EscalationLevel, RemedyKind
from kefu.domain.deadlines import Priority
from kefu.domain.errors import DomainError, NotFound
from kefu.domain.ticket_lifecycle import TicketStatus
from kefu.domain.ticket_lifecycle import allowed_actions as ticket_actions
from tests.integration.conftest import context

# Collaborative nodes change no ticket report (the node report has tests of its own).
NODE_ACTIONS = frozenset({"nodes", "complete-node", "escalate-node", "override-nodes"})

CATEGORIES = ("billing", "delivery", "account", "product")
DEPARTMENTS = ("billing", "refunds", "logistics", "technical")
QUEUES = ("default", "vip", "sales")
CHANNELS = ("phone", "email", "chat", "wechat")


class FakeClock:
    """Stands still until the workload moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Workload:
    """Drives `services` with `steps` random commands; remembers only ids and statuses."""

    services: Services
    clock: FakeClock
    seed: int
    rng: random.Random = field(init=False)
    agents: list[UUID] = field(default_factory=list)
    tickets: dict[UUID, str] = field(default_factory=dict)
    calls: dict[UUID, str] = field(default_factory=dict)
    complaints: dict[UUID, tuple[str, int]] = field(default_factory=dict)
    customers: list[UUID] = field(default_factory=list)
    regulars: list[UUID] = field(default_factory=list)
    visits: list[UUID] = field(default_factory=list)
    issued: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def run(self, steps: int) -> None:
        for n in range(6):
            cmd = ag.RegisterAgent(name=f"agent {n}", extension=f"80{n}", skill_groups=QUEUES)
            self.agents.append(self._do(lambda c=cmd: self.services.agents.register(c, context())))
        for n in range(15):  # the regulars: tickets and complaints name real files
            file = cu.RegisterCustomer(name=f"regular {n}")
            self.regulars.append(
                self._do(lambda f=file: self.services.customers.register(f, context()))
            )
        moves: list[tuple[float, Callable[[], None]]] = [
            (8, self.open_ticket), (30, self.ticket_step), (8, self.inbound_call),
            (2, self.outbound_call), (5, self.express_call), (25, self.call_step),
            (12, self.presence_step),
            (3, self.register_complaint), (12, self.complaint_step), (1, self.register_customer),
            (2, self.schedule_visit), (4, self.visit_step),
        ]  # fmt: skip
        weights = [w for w, _ in moves]
        while self.issued < steps:
            pause = self.rng.choice((self.rng.randint(1, 30), self.rng.randint(5, 600)))
            self.clock.now += timedelta(seconds=pause)
            self.rng.choices([m for _, m in moves], weights)[0]()

    def _do(self, command: Callable[[], Any]) -> Any:
        """Issues a command; returns the answer's id, or None when a rule refused it."""
        try:
            outcome = command()
        except (DomainError, NotFound):
            return None
        self.issued += 1
        self.last_status = outcome.answer.status
        return outcome.answer.id

    def pick(self, items: Any) -> Any:
        return self.rng.choice(list(items))

    # Tickets
    def open_ticket(self) -> None:
        cmd = ti.OpenTicket(
            channel=self.pick(CHANNELS), category=self.pick(CATEGORIES), subject="help",
            priority=self.pick(list(Priority)), customer_id=self.pick(self.regulars),
        )  # fmt: skip
        ticket_id = self._do(lambda: self.services.tickets.open(cmd, context()))
        self.tickets[ticket_id] = self.last_status

    def ticket_step(self) -> None:
        live = [t for t, s in self.tickets.items() if s != TicketStatus.ARCHIVED]
        if not live:
            return
        ticket_id = self.pick(live)
        allowed = ticket_actions(TicketStatus(self.tickets[ticket_id]))
        action = self.pick(a for a in allowed if a not in NODE_ACTIONS)
        cmd = self._ticket_command(action)
        if self._do(lambda: self.services.tickets.act(ticket_id, action, cmd, context())):
            self.tickets[ticket_id] = self.last_status

    def _ticket_command(self, action: str) -> Any:
        agent = self.pick([*self.agents, None])
        return {
            "review": lambda: ti.ReviewTicket(note="ok"),
            "dispatch": lambda: ti.DispatchTicket(
                department=self.pick(DEPARTMENTS), agent_id=agent
            ),
            "redispatch": lambda: ti.RedispatchTicket(
                department=self.pick(DEPARTMENTS), agent_id=agent, reason="better fit"
            ),
            "urge": lambda: ti.UrgeTicket(urged_by="customer", reason="waiting"),
            "follow-ups": lambda: ti.FollowUpTicket(note="called"),
            "start": lambda: ti.StartTicket(),
            "resolve": lambda: ti.ResolveTicket(resolution="fixed", code="fix"),
            "feedback": lambda: ti.GiveFeedback(channel="sms"),
            "rating": lambda: ti.RateTicket(score=self.rng.randint(1, 5)),
            "close": lambda: ti.CloseTicket(),
            "reopen": lambda: ti.ReopenTicket(reason="not solved"),
            "archive": lambda: ti.ArchiveTicket(),
            "await-customer": lambda: ti.AwaitCustomer(note="which order?"),
            "customer-reply": lambda: ti.RecordCustomerReply(message="this one"),
            "escalate": lambda: ti.EscalateTicket(
                reason="slow", priority=self.pick(list(Priority)), department=self.pick(DEPARTMENTS)
            ),
            "priority": lambda: ti.SetPriority(priority=self.pick(list(Priority))),
            "category": lambda: ti.SetCategory(category=self.pick(CATEGORIES)),
            "tags": lambda: ti.TagTicket(tag="followed"),
            "cancel": lambda: ti.CancelTicket(reason="opened by mistake"),
            "duplicate": lambda: ti.MarkDuplicate(original_id=self.pick(self.tickets)),
        }[action]()

    # Agents and calls
    def agent_status(self, agent_id: UUID) -> str:
        agent: Agent = self.services.app.repository.get(agent_id)
        return str(agent.status)

    def presence_step(self) -> None:
        agent_id = self.pick(self.agents)
        actions = [a for a in agent_actions(self.agent_status(agent_id)) if a != "skills"]
        if actions:
            favoured = "available" in actions and self.rng.random() < 0.6
            action = "available" if favoured else self.pick(actions)
            cmd = self.services.agents.command_for(action)()
            self._do(lambda: self.services.agents.act(agent_id, action, cmd, context()))

    def inbound_call(self) -> None:
        cmd = ca.StartCall(
            direction=Direction.INBOUND, customer_number="13800000000", hotline="95000"
        )
        call_id = self._do(lambda: self.services.calls.start(cmd, context()))
        self.calls[call_id] = self.last_status

    def express_call(self) -> None:
        """A caller queues and, when an agent is free, is answered within seconds, served and
        let go; the agent wraps up and is available again."""
        self.inbound_call()
        call_id = list(self.calls)[-1]
        if not self._call_act(call_id, *self._queue(), pause=(1, 5)):
            return
        free = [a for a in self.agents if self.agent_status(a) == "available"]
        if not free:
            return
        agent = self.pick(free)
        steps = [
            ("offer", ca.OfferCall(agent_ids=(agent,)), (1, 15)),
            ("answer", ca.AnswerCall(agent_id=agent), (1, 20)),
            ("end", ca.EndCall(), (30, 400)),
        ]
        if all(self._call_act(call_id, action, cmd, pause) for action, cmd, pause in steps):
            self.clock.now += timedelta(seconds=self.rng.randint(5, 90))
            cmd = ag.BecomeAvailable()
            self._do(lambda: self.services.agents.act(agent, "available", cmd, context()))

    def _call_act(self, call_id: UUID, action: str, cmd: Any, pause: tuple[int, int]) -> bool:
        self.clock.now += timedelta(seconds=self.rng.randint(*pause))
        if self._do(lambda: self.services.calls.act(call_id, action, cmd, context())) is None:
            return False
        self.calls[call_id] = self.last_status
        return True

    def outbound_call(self) -> None:
        free = [a for a in self.agents if self.agent_status(a) in ("available", "not_ready")]
        if free:
            cmd = ca.StartCall(
                direction=Direction.OUTBOUND, customer_number="13900000000", hotline="95000",
                agent_id=self.pick(free), callback_for=self._owed_callback(),
            )  # fmt: skip
            call_id = self._do(lambda: self.services.calls.start(cmd, context()))
            self.calls[call_id] = self.last_status

    def _owed_callback(self) -> UUID | None:
        """Now and then an outbound call is the callback an abandoned call is owed."""
        abandoned = [c for c, s in self.calls.items() if s == "abandoned"]
        if not abandoned or self.rng.random() < 0.5:
            return None
        return self.pick(abandoned)

    def call_step(self) -> None:
        live = [c for c, s in self.calls.items() if s not in ("ended", "abandoned", "unreached")]
        if not live:
            return
        call_id = live[-1] if self.rng.random() < 0.5 else self.pick(live)  # calls move fast
        choice = self._call_command(call_id, self.calls[call_id])
        if choice is not None:
            action, cmd = choice
            if self._do(lambda: self.services.calls.act(call_id, action, cmd, context())):
                self.calls[call_id] = self.last_status

    def _call_command(self, call_id: UUID, status: str) -> tuple[str, Any] | None:
        end = ("end", ca.EndCall())
        if status == "arrived" or status == "in_ivr":
            return self.pick(
                [("ivr", ca.ChooseIvr(path=("1",))), self._queue(), self._queue(), end]
            )
        if status == "queued":
            free = [a for a in self.agents if self.agent_status(a) == "available"]
            offers = [("offer", ca.OfferCall(agent_ids=(a,))) for a in free]
            return self.pick([*offers, *offers, *offers, end] if offers else [None, None, end])
        if status == "offered":
            rung = self.services.app.repository.get(call_id).offered_to
            return self.pick(
                [("answer", ca.AnswerCall(agent_id=rung[0]))] * 4 + [("miss", ca.MissOffer()), end]
            )
        if status == "dialing":
            return self.pick([("answer", ca.AnswerCall()), end])
        if status == "connected":
            to_queue = ("transfer", ca.TransferCall(group=self.pick(QUEUES)))
            return self.pick([("hold", ca.HoldCall()), to_queue, end, end, end])
        if status == "on_hold":
            return self.pick([("resume", ca.ResumeCall()), end])
        return end  # external

    def _queue(self) -> tuple[str, Any]:
        return "queue", ca.QueueCall(group=self.pick(QUEUES))

    # Complaints
    def register_complaint(self) -> None:
        cmd = co.RegisterComplaint(
            channel=self.pick(CHANNELS), customer_id=self.pick(self.regulars),
            type=self.pick(list(ComplaintType)), description="broken", contact="138",
            severity=self.pick(list(Priority)), major=self.rng.random() < 0.2,
        )  # fmt: skip
        complaint_id = self._do(lambda: self.services.complaints.register(cmd, context()))
        self.complaints[complaint_id] = (self.last_status, 0)

    def complaint_step(self) -> None:
        live = [c for c, (s, _) in self.complaints.items() if s != ComplaintStatus.ARCHIVED]
        if not live:
            return
        complaint_id = self.pick(live)
        status, tasks = self.complaints[complaint_id]
        action = self.pick(complaint_actions(ComplaintStatus(status)))
        cmd = self._complaint_command(action, tasks)
        if self._do(lambda: self.services.complaints.act(complaint_id, action, cmd, context())):
            tasks += action == "tasks"
            self.complaints[complaint_id] = (self.last_status, tasks)

    def _complaint_command(self, action: str, tasks: int) -> Any:
        kinds = self.rng.sample(list(RemedyKind), self.rng.randint(1, 3))
        remedies = [
            co.RemedyItem(kind=k, amount=Decimal("50") if k in ("refund", "compensation") else None)
            for k in kinds
        ]
        task = str(self.rng.randint(1, max(tasks, 1)))
        return {
            "acknowledge": lambda: co.AcknowledgeComplaint(),
            "facts": lambda: co.RecordFacts(facts="checked"),
            "attribute": lambda: co.AttributeResponsibility(
                department=self.pick(DEPARTMENTS), cause=self.pick(list(ComplaintType))
            ),
            "escalate": lambda: co.EscalateComplaint(
                level=EscalationLevel.SUPERVISOR, to=self.pick(self.agents), reason="angry"
            ),
            "proposals": lambda: co.ProposeResolution(remedies=remedies),
            "accept": lambda: co.AcceptResolution(),
            "reject": lambda: co.RejectResolution(reason="not enough"),
            "tasks": lambda: co.AssignTask(
                department="finance",
                owner=self.pick(self.agents),
                due_at=self.clock.now + timedelta(days=1),
            ),
            "tasks/complete": lambda: co.FinishTask(task_id=task, note="done"),
            "tasks/fail": lambda: co.FinishTask(task_id=task, note="failed"),
            "contact-attempts": lambda: co.RecordContactAttempt(channel="phone"),
            "confirm": lambda: co.ConfirmOutcome(
                resolved=self.rng.random() < 0.8, satisfaction=self.rng.randint(1, 5)
            ),
            "close": lambda: co.CloseComplaint(),
            "reopen": lambda: co.ReopenComplaint(reason="again"),
            "archive": lambda: co.ArchiveComplaint(),
            "major": lambda: co.MakeMajor(reason="a second customer was hurt"),
        }[action]()

    # Customers and return visits
    def register_customer(self) -> None:
        cmd = cu.RegisterCustomer(name="Wang", tier=self.pick(["none", "member", "vip"]))
        self.customers.append(self._do(lambda: self.services.customers.register(cmd, context())))

    def schedule_visit(self) -> None:
        if not self.customers:
            return
        due = self.clock.now.date() + timedelta(days=self.rng.randint(0, 3))
        cmd = vi.ScheduleVisit(
            customer_id=self.pick(self.customers), purpose="how was it", due_on=due,
            assignee_id=self.pick(self.agents),
        )  # fmt: skip
        self.visits.append(self._do(lambda: self.services.visits.schedule(cmd, context())))

    def visit_step(self) -> None:
        if not self.visits:
            return
        visit_id = self.pick(self.visits)
        reached = self.rng.random() < 0.7
        score = self.rng.randint(1, 5) if reached else None
        action, cmd = self.pick([
            ("done", vi.FinishVisit(reached=reached, satisfaction=score)),
            ("not-reached", vi.NotReached()),
            ("assign", vi.AssignVisit(agent_id=self.pick(self.agents))),
            ("reschedule", vi.RescheduleVisit(due_on=self._later(), reason="busy")),
        ])  # fmt: skip
        self._do(lambda: self.services.visits.act(visit_id, action, cmd, context()))

    def _later(self) -> date:
        return self.clock.now.date() + timedelta(days=self.rng.randint(1, 4))
