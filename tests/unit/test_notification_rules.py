"""Template rendering, quiet-hours arithmetic and the message record's lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.default_templates import DEFAULT_TEMPLATES
from kefu.domain.errors import ActionNotAllowed
from kefu.domain.message import Message, MessageStatus
from kefu.domain.metadata import EventMetadata
from kefu.domain.quiet_hours import release_time
from kefu.domain.templates import MessageTemplate, UnknownTemplate, render
from kefu.domain.visit_rules import QuietHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
META = EventMetadata("t", "process", uuid4(), uuid4(), None, "process")


def local(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_rendering_fills_fields_and_reports_the_missing_ones() -> None:
    template = MessageTemplate(
        "t", "sms", "zh", "", "${name}您好 工单“${subject}”已处理 ${resolution}"
    )
    rendered = render(template, {"name": "陈静", "subject": "洗衣机不转", "resolution": None})
    assert rendered.body == "陈静您好 工单“洗衣机不转”已处理 "
    assert rendered.missing == ("resolution",)


def test_rendering_inserts_values_only_never_evaluates_them() -> None:
    template = MessageTemplate("t", "email", "en", "${a}", "${b} $$5 ${c.__class__}")
    rendered = render(template, {"a": "${b}", "b": "{0.__class__}"})
    assert rendered.subject == "${b}"  # a value is never expanded again
    assert rendered.body == "{0.__class__} $5 ${c.__class__}"  # not a placeholder: left as is


def test_the_shipped_templates_speak_chinese_and_english_and_fall_back_to_chinese() -> None:
    zh = DEFAULT_TEMPLATES.find("ticket_resolved", "sms", "zh")
    en = DEFAULT_TEMPLATES.find("ticket_resolved", "sms", "en")
    assert "您好" in zh.body and en.body.startswith("Your request")
    assert DEFAULT_TEMPLATES.find("birthday", "email", "ja").language == "zh"
    with pytest.raises(UnknownTemplate):
        DEFAULT_TEMPLATES.find("nope", "sms", "zh")


NIGHT = QuietHours(time(22, 0), time(8, 0))
LUNCH = QuietHours(time(12, 0), time(14, 0))


@pytest.mark.parametrize(
    ("due", "windows", "released"),
    [
        (local(9), [NIGHT, LUNCH], local(9)),  # outside: at once
        (local(12, 30), [NIGHT, LUNCH], local(14)),  # lunch: at its end
        (local(23), [NIGHT], local(8, day=5)),  # past midnight: the next morning
        (local(3), [NIGHT], local(8)),  # after midnight: the same morning
        (local(7), [NIGHT, QuietHours(time(8), time(9))], local(9)),  # touching windows
        (local(12), [LUNCH], local(14)),  # the start is inside
        (local(14), [LUNCH], local(14)),  # the end is outside
    ],
)
def test_a_message_due_in_quiet_hours_waits_for_their_end(
    due: datetime, windows: list[QuietHours], released: datetime
) -> None:
    assert release_time(due.astimezone(UTC), SHANGHAI, windows) == released


def test_quiet_hours_all_day_cannot_be_left_so_the_message_goes_when_due() -> None:
    windows = [QuietHours(time(0), time(12)), QuietHours(time(12), time(0))]
    assert release_time(local(10), SHANGHAI, windows) == local(10)


def message() -> Message:
    return Message(
        key=f"k-{uuid4()}",
        rule="r",
        template="t",
        channel="sms",
        language="zh",
        recipient_kind="customer",
        recipient_id="c",
        address="+8613900000001",
        subject="",
        body="hi",
        due_at=local(9),
        case="case",
        meta=META,
        timestamp=local(8),
    )


def test_a_failed_message_is_retried_then_given_up() -> None:
    m = message()
    m.record_failure(answer="timeout", retry_at=local(9, 5), meta=META, at=local(9))
    assert m.status is MessageStatus.QUEUED and not m.is_due(local(9, 1))
    assert m.is_due(local(9, 5))
    m.record_failure(answer="timeout", retry_at=None, meta=META, at=local(9, 5))
    assert m.status is MessageStatus.FAILED and m.attempts == 2


def test_a_sent_message_cannot_be_cancelled_and_a_cancelled_one_never_goes() -> None:
    sent = message()
    sent.record_sent(answer="250 ok", meta=META, at=local(9))
    with pytest.raises(ActionNotAllowed):
        sent.cancel(reason="late", meta=META, at=local(9))
    sent.record_delivered(answer="DELIVRD", meta=META, at=local(9) + timedelta(seconds=5))
    assert sent.status is MessageStatus.DELIVERED
    cancelled = message()
    cancelled.cancel(reason="the case changed", meta=META, at=local(8, 30))
    assert not cancelled.is_due(local(10))
    with pytest.raises(ActionNotAllowed):
        cancelled.record_sent(answer="250", meta=META, at=local(10))
