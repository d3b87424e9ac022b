"""The wallboard's snapshot on the real stores (SQLite and PostgreSQL): agents by state, calls
waiting per queue, today's calls, and the tickets and complaints overdue or at risk at a moment."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import msgspec

from kefu.bootstrap import Services
from kefu.commands.agents import LogIn, RegisterAgent
from kefu.commands.calls import QueueCall, StartCall
from kefu.commands.complaints import AcknowledgeComplaint
from kefu.commands.customers import RegisterCustomer
from kefu.commands.tickets import OpenTicket, ReviewTicket
from kefu.console.wallboard import Wallboard
from kefu.domain.call_lifecycle import Direction
from kefu.domain.channels import Channel
from kefu.domain.deadlines import Priority
from kefu.domain.ticket_lifecycle import TicketAction
from kefu.projections.wallboard import WallboardReader
from tests.integration.conftest import context
from tests.integration.test_complaints import REGISTER


def reader(services: Services) -> WallboardReader:
    return WallboardReader(services.read_models, ZoneInfo("Asia/Shanghai"), 20)


def test_agents_and_waiting_calls_appear_once_projected(services: Services) -> None:
    agent = services.agents.register(RegisterAgent(name="王芳", extension="8001"), context())
    services.agents.act(agent.answer.id, "login", LogIn(), context())
    for _ in range(2):
        call = services.calls.start(
            StartCall(
                direction=Direction.INBOUND, customer_number="13800138000", hotline="4008001234"
            ),
            context(),
        )
        services.calls.act(call.answer.id, "queue", QueueCall(group="vip"), context())
    before = reader(services).positions()

    services.projection_runner().catch_up()

    board = reader(services)
    assert board.positions() != before
    snapshot = board.snapshot(services.clock())
    assert [(a["name"], a["status"]) for a in snapshot["agents"]] == [("王芳", "not_ready")]
    (vip,) = snapshot["queues"]
    assert (vip["queue"], vip["waiting"]) == ("vip", 2)
    assert vip["longest_wait_seconds"] >= 0
    assert (snapshot["today"]["offered"], snapshot["today"]["abandoned"]) == (2, 0)
    assert [q["queue"] for q in snapshot["today"]["queues"]] == ["vip"]
    msgspec.json.encode(snapshot)  # the stream sends it as JSON


def test_tickets_and_complaints_are_overdue_or_at_risk_by_the_moment_asked(
    services: Services,
) -> None:
    urgent = OpenTicket(channel=Channel.PHONE, category="repair", subject="no power")
    unanswered = services.tickets.open(
        msgspec.structs.replace(urgent, priority=Priority.URGENT), context()
    ).answer.id
    answered = services.tickets.open(
        msgspec.structs.replace(urgent, priority=Priority.IMPORTANT), context()
    ).answer.id
    services.tickets.act(answered, TicketAction.REVIEW, ReviewTicket(note="ok"), context())
    customer = services.customers.register(RegisterCustomer(name="李雷"), context()).answer.id
    complaint = msgspec.structs.replace(REGISTER, customer_id=customer)
    silent = services.complaints.register(complaint, context()).answer.id
    replied = services.complaints.register(complaint, context()).answer.id
    services.complaints.act(replied, "acknowledge", AcknowledgeComplaint(message="抱歉"), context())
    services.projection_runner().catch_up()
    views = services.read_models
    important = views.tickets.get(answered)
    replied_view = views.complaints.get(replied)
    silent_view = views.complaints.get(silent)
    assert important and replied_view and silent_view and views.tickets.get(unanswered)

    board = reader(services)
    now = services.clock()
    assert board.snapshot(now)["work"] == {
        "tickets_overdue": 0,
        "tickets_at_risk": 0,
        "complaints_overdue": 0,
        "complaints_at_risk": 0,
    }
    # Half an hour before the important ticket's resolution deadline: the urgent one, never
    # answered, is overdue; the important one, answered, is at risk.
    ticket_moment = important.resolution_due_at - timedelta(minutes=30)
    work = board.snapshot(ticket_moment)["work"]
    assert (work["tickets_overdue"], work["tickets_at_risk"]) == (1, 1)
    # An hour before the final answer is due: the complaint never replied to is overdue (its
    # first reply was due earlier); the one replied to is at risk.
    assert silent_view.first_reply_due_at < replied_view.final_answer_due_at - timedelta(hours=1)
    complaint_moment = replied_view.final_answer_due_at - timedelta(hours=1)
    work = board.snapshot(complaint_moment)["work"]
    assert (work["complaints_overdue"], work["complaints_at_risk"]) == (1, 1)


def test_the_shared_computation_follows_the_views_on_each_backend(services: Services) -> None:
    # PostgreSQL wakes it by the runner's NOTIFY (the views' commit listener); SQLite polls.
    board = Wallboard(reader(services), services.clock, services.read_models.agents.position_waiter)
    # As the service does: its thread stops before the views it reads are closed.
    services.before_close.append(board.close)
    generation, first = board.latest(timeout=20)
    assert b'"queues":[]' in first
    call = services.calls.start(
        StartCall(direction=Direction.INBOUND, customer_number="13800138000", hotline="4008001234"),
        context(),
    )
    services.calls.act(call.answer.id, "queue", QueueCall(group="sales"), context())

    services.projection_runner().catch_up()

    frame = board.next_after(generation, timeout=20)
    assert frame is not None and b'"queue":"sales"' in frame[1]
