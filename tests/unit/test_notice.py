"""Automation notices: raised once per key, saying to whom, and whom those names reach."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from kefu.domain.directory import Contact, Directory
from kefu.domain.errors import RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.notice import Notice, department_of
from kefu.processes.recipients import notice_recipients

AT = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)
META = EventMetadata("system", "automation", uuid4(), uuid4(), None, "sla:quick")
DIRECTORY = Directory(
    staff={
        "mgr-sales": Contact("王经理", email="wang@desk.example", channels=("email",)),
        "mgr-fin": Contact("钱经理", email="qian@desk.example", channels=("email",)),
        "agent-7": Contact("赵", email="zhao@desk.example", phone="+8613800000007"),
        "duty-1": Contact("李", email="li@desk.example", channels=("email",)),
    },
    managers={"after_sales": "mgr-sales", "finance": "mgr-fin"},
    duty=("duty-1",),
)


def raised(*recipients: str, key: str = "k") -> Notice:
    return Notice.raise_about(
        key=key, record_kind="ticket", record_id=uuid4(), recipients=recipients, level=1,
        reason="first response overdue", department="after_sales", assignee_id="agent-7",
        meta=META, at=AT,
    )  # fmt: skip


def test_a_notice_id_follows_from_its_key_and_it_names_someone() -> None:
    assert raised("duty", key="a").id == raised("manager", key="a").id != raised("duty").id
    with pytest.raises(RuleViolated, match="recipients"):
        raised()
    assert department_of("manager:finance") == "finance"
    assert department_of("manager") is department_of("finance") is None


def test_each_way_of_naming_a_recipient_reaches_the_person_on_each_of_their_channels() -> None:
    event = raised("manager", "manager:finance", "assignee", "duty", "agent-7", "nobody")
    event_raised = event.pending_events[0]
    assert isinstance(event_raised, Notice.Raised)

    found = notice_recipients(event_raised, DIRECTORY)

    assert sorted((r.person_id, r.channel) for r in found) == [
        ("agent-7", "email"),  # named twice (assignee, by id): reached once per channel
        ("agent-7", "sms"),
        ("duty-1", "email"),
        ("mgr-fin", "email"),
        ("mgr-sales", "email"),  # the manager of the record's department
    ]
