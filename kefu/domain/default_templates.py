"""The templates kefu ships, in Chinese and English (KEFU_TEMPLATES_FILE overrides them)."""

from __future__ import annotations

from kefu.domain.templates import EMAIL, SMS, MessageTemplate, TemplateBook


def _t(name: str, zh: tuple[str, str, str], en: tuple[str, str, str]) -> list[MessageTemplate]:
    """(email subject, email body, sms body) in Chinese and English."""
    made = []
    for language, (subject, body, sms) in (("zh", zh), ("en", en)):
        made.append(MessageTemplate(name, EMAIL, language, subject, body))
        made.append(MessageTemplate(name, SMS, language, "", sms))
    return made


DEFAULT_TEMPLATES = TemplateBook(
    [
        *_t(
            "complaint_major",
            (
                "【重大投诉】${customer_id} ${complaint_type}",
                "${recipient_name}您好：\n重大投诉已受理，请立即处理。\n类型：${complaint_type}\n"
                "描述：${description}\n客户期望：${expectation}\n联系方式：${contact}\n"
                "投诉编号：${record_id}",
                "【重大投诉】${complaint_type}：${description}（编号 ${record_id}）",
            ),
            (
                "[Major complaint] ${customer_id} ${complaint_type}",
                "Dear ${recipient_name},\nA major complaint was registered; please act now.\n"
                "Type: ${complaint_type}\nDescription: ${description}\n"
                "Expectation: ${expectation}\nContact: ${contact}\nComplaint: ${record_id}",
                "[Major complaint] ${complaint_type}: ${description} (${record_id})",
            ),
        ),
        *_t(
            "ticket_resolved",
            (
                "您的工单已处理完毕：${subject}",
                "${recipient_name}您好：\n您的工单“${subject}”已处理完毕。\n处理结果：${resolution}\n"
                "如仍有问题，请回复本邮件或致电客服。",
                "您好，您的工单“${subject}”已处理完毕：${resolution}。如有疑问请致电客服。",
            ),
            (
                "Your request is resolved: ${subject}",
                'Dear ${recipient_name},\nYour request "${subject}" is resolved.\n'
                "Resolution: ${resolution}\nReply to this email or call us if it is not.",
                'Your request "${subject}" is resolved: ${resolution}. Call us if it is not.',
            ),
        ),
        *_t(
            "automation_notice",
            (
                "【提醒】${record_kind} ${about}：${reason}",
                "${recipient_name}您好：\n${record_kind} ${about} 需要您处理：${reason}\n"
                "升级级别：${level}（0 为规则提醒）",
                "【提醒】${record_kind} ${about}：${reason}",
            ),
            (
                "[Attention] ${record_kind} ${about}: ${reason}",
                "Dear ${recipient_name},\nThe ${record_kind} ${about} needs you: ${reason}\n"
                "Escalation level: ${level} (0: a rule's notice)",
                "[Attention] ${record_kind} ${about}: ${reason}",
            ),
        ),
        *_t(
            "ticket_urged",
            (
                "【催单】${subject}",
                "${recipient_name}您好：\n工单“${subject}”被催办（${urged_by}）：${reason}\n"
                "工单编号：${record_id}",
                "【催单】工单“${subject}”：${reason}（${record_id}）",
            ),
            (
                "[Urged] ${subject}",
                'Dear ${recipient_name},\nThe ticket "${subject}" was urged by ${urged_by}: '
                "${reason}\nTicket: ${record_id}",
                '[Urged] "${subject}": ${reason} (${record_id})',
            ),
        ),
        *_t(
            "milestone_reminder",
            (
                "提醒：${milestone} ${on}",
                "${recipient_name}您好：\n温馨提醒，您的${milestone}安排在 ${on}。${note}",
                "${recipient_name}您好，温馨提醒：您的${milestone}安排在 ${on}。${note}",
            ),
            (
                "Reminder: ${milestone} on ${on}",
                "Dear ${recipient_name},\nA reminder: your ${milestone} is on ${on}. ${note}",
                "Dear ${recipient_name}, a reminder: your ${milestone} is on ${on}. ${note}",
            ),
        ),
        *_t(
            "birthday",
            (
                "生日快乐，${recipient_name}",
                "${recipient_name}您好：\n祝您生日快乐，万事如意！",
                "${recipient_name}，祝您生日快乐，万事如意！",
            ),
            (
                "Happy birthday, ${recipient_name}",
                "Dear ${recipient_name},\nHappy birthday from all of us!",
                "Happy birthday, ${recipient_name}, from all of us!",
            ),
        ),
        *_t(
            "visit_not_reached",
            (
                "今日回访未接通：${customer_name}",
                "${recipient_name}您好：\n回访（${purpose}）未接通，请在今天 ${next_attempt_at} "
                "后再次致电 ${customer_name}。",
                "回访未接通：请今天 ${next_attempt_at} 后再次致电 ${customer_name}（${purpose}）",
            ),
            (
                "Not reached today: ${customer_name}",
                "Dear ${recipient_name},\nThe return visit (${purpose}) did not get through; "
                "call ${customer_name} again today after ${next_attempt_at}.",
                "Not reached: call ${customer_name} again today after ${next_attempt_at} "
                "(${purpose})",
            ),
        ),
    ]
)
