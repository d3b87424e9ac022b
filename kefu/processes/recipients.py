"""Who a message goes to, on which channel and in which language, and when it may go.

Customers are reached on the channel their file prefers (`notify_by`: sms, email or none;
by default SMS when they have a phone) and never inside their do-not-disturb hours. Staff
(agents, managers, duty staff) are reached from the directory on each channel they list,
at once: a major complaint does not wait for the morning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from kefu.domain.customer import Customer
from kefu.domain.directory import Contact, Directory
from kefu.domain.notice import Notice, department_of
from kefu.domain.quiet_hours import release_time
from kefu.domain.templates import EMAIL, LANGUAGES, SMS
from kefu.domain.visit_rules import QuietHours

# The kinds of recipient; the last three are also how a notice names them (domain/notice.py).
CUSTOMER, ASSIGNEE, MANAGER, DUTY = "customer", "assignee", "manager", "duty"
STAFF = "staff"  # a staff member named by id


@dataclass(frozen=True)
class Recipient:
    """One person on one channel: the address, language and quiet hours to respect."""

    kind: str
    person_id: str
    name: str
    channel: str
    address: str
    language: str
    quiet_hours: tuple[QuietHours, ...] = ()

    def send_at(self, due: datetime, zone: tzinfo) -> datetime:
        return release_time(due, zone, self.quiet_hours)


def customer_recipient(customer: Customer | None) -> list[Recipient]:
    """The customer on their preferred channel; nobody when they want no messages."""
    if customer is None or customer.merged_into is not None:
        return []
    prefers = customer.preferences.get("notify_by", "").strip().lower()
    phone = customer.phones[0] if customer.phones else None
    channel = prefers or (SMS if phone else EMAIL)
    address = {SMS: phone, EMAIL: customer.email}.get(channel)
    if not address:
        return []
    language = customer.preferences.get("language", "zh").strip().lower()
    return [
        Recipient(
            kind=CUSTOMER,
            person_id=str(customer.id),
            name=customer.name,
            channel=channel,
            address=address,
            language=language if language in LANGUAGES else "zh",
            quiet_hours=tuple(customer.quiet_hours),
        )
    ]


def staff_recipients(kind: str, ids: Sequence[str | None], directory: Directory) -> list[Recipient]:
    """Each listed staff member found in the directory, on each channel they have."""
    found = []
    for staff_id in dict.fromkeys(i for i in ids if i):
        contact = directory.contact(staff_id)
        if contact is not None:
            found.extend(_on_channels(kind, staff_id, contact))
    return found


def _on_channels(kind: str, staff_id: str, contact: Contact) -> list[Recipient]:
    return [
        Recipient(kind, staff_id, contact.name, channel, address, contact.language)
        for channel in contact.channels
        if (address := contact.address(channel))
    ]


def notice_recipients(notice: Notice.Raised, directory: Directory) -> list[Recipient]:
    """The staff an automation notice names (kefu/domain/notice.py), each found in the
    directory: a staff id, `manager` (of the record's department), `manager:<department>`,
    `assignee` (the record's agent) or `duty`."""
    found: list[Recipient] = []
    for name in notice.recipients:
        if name == DUTY:
            found += staff_recipients(DUTY, directory.duty, directory)
        elif name == ASSIGNEE:
            found += staff_recipients(ASSIGNEE, [notice.assignee_id], directory)
        elif name == MANAGER or department_of(name):
            department = department_of(name) or notice.department
            found += staff_recipients(MANAGER, [directory.manager_of(department)], directory)
        else:
            found += staff_recipients(STAFF, [name], directory)
    return list({(r.person_id, r.channel): r for r in found}.values())
