"""The visit task aggregate, in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.visit import Visit, VisitStatus, late_from, visit_id
from kefu.domain.visit_rules import QuietHours, VisitPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
META = EventMetadata("agent-7", "service", uuid4(), uuid4(), None, "api")


def scheduled(tier: str = "member", key: str = "7dc-sale:abc:2") -> Visit:
    return Visit.schedule(
        task_key=key,
        customer_id=uuid4(),
        rule="7dc-sale",
        purpose="satisfaction",
        due_on=date(2030, 3, 4),
        tier=tier,
        assignee_id="agent-7",
        policy=VisitPolicy(),
        meta=META,
        at=AT,
    )


def finish(visit: Visit, **outcome: object) -> None:
    fields: dict[str, object] = {
        "reached": True,
        "satisfaction": 5,
        "comment": "happy",
        "new_need": "",
        "open_ticket": False,
    }
    fields.update(outcome)
    visit.finish(**fields, meta=META, at=AT)


def test_a_visit_id_follows_from_its_rule_and_source() -> None:
    assert scheduled(key="k:1").id == visit_id("k:1") == scheduled(key="k:1").id
    assert scheduled(key="k:1").id != scheduled(key="k:2").id


def test_a_member_visit_must_finish_within_three_days_and_is_late_after() -> None:
    visit = scheduled(tier="vip")

    assert visit.finish_by == date(2030, 3, 7)
    assert not visit.is_late(date(2030, 3, 7)) and visit.is_late(date(2030, 3, 8))
    assert scheduled(tier="none").finish_by is None


def test_a_late_member_visit_is_escalated_once_and_only_when_late() -> None:
    visit = scheduled(tier="member")
    assert late_from(date(2030, 3, 7), SHANGHAI) == datetime(2030, 3, 8, tzinfo=SHANGHAI)
    with pytest.raises(RuleViolated, match="past its deadline"):
        visit.escalate(to="supervisor", reason="late", today=date(2030, 3, 7), meta=META, at=AT)

    visit.escalate(to="supervisor", reason="late", today=date(2030, 3, 8), meta=META, at=AT)
    assert visit.escalated and isinstance(visit.pending_events[-1], Visit.Escalated)
    with pytest.raises(RuleViolated, match="escalated already"):
        visit.escalate(to="supervisor", reason="late", today=date(2030, 3, 9), meta=META, at=AT)
    with pytest.raises(RuleViolated, match="past its deadline"):
        scheduled(tier="none").escalate(
            to="supervisor", reason="late", today=date(2031, 1, 1), meta=META, at=AT
        )


def test_a_reached_customer_needs_a_satisfaction_score() -> None:
    with pytest.raises(RuleViolated, match="satisfaction"):
        finish(scheduled(), satisfaction=None)


def test_opening_a_ticket_needs_the_new_need() -> None:
    with pytest.raises(RuleViolated, match="new need"):
        finish(scheduled(), open_ticket=True, new_need=" ")


def test_a_done_visit_accepts_nothing_more() -> None:
    visit = scheduled()
    finish(visit)

    assert visit.status is VisitStatus.DONE and visit.allowed_now == ()
    with pytest.raises(ActionNotAllowed):
        visit.assign(agent_id="agent-8", meta=META, at=AT)


def test_not_reached_schedules_a_retry_outside_the_customer_quiet_hours() -> None:
    visit = scheduled()
    lunch = [QuietHours(time(12), time(14))]

    visit.not_reached(
        note="", quiet_hours=lunch, policy=VisitPolicy(), zone=SHANGHAI, meta=META, at=AT
    )

    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.NotReached)
    assert event.next_attempt_at == datetime(2030, 3, 4, 14, 0, tzinfo=SHANGHAI)
    assert (event.attempt, visit.status) == (1, VisitStatus.NOT_REACHED)


def test_a_visit_cannot_be_rescheduled_into_the_past_of_the_desk_zone() -> None:
    visit = scheduled()

    with pytest.raises(RuleViolated, match="past"):
        visit.reschedule(due_on=date(2030, 3, 3), reason="x", zone=SHANGHAI, meta=META, at=AT)
    visit.reschedule(
        due_on=date(2030, 3, 4), reason="customer asked", zone=SHANGHAI, meta=META, at=AT
    )
    assert visit.due_on == date(2030, 3, 4)
