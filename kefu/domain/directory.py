"""The staff directory (通讯录): how to reach agents, managers and duty staff.

Configured, not event-sourced: it is who-is-who today (KEFU_DIRECTORY_FILE), read when a
message is queued. Departments name their manager; duty staff are listed in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Contact:
    """A person's addresses; `channels` are tried in order (email, sms)."""

    name: str
    email: str | None = None
    phone: str | None = None
    language: str = "zh"
    channels: tuple[str, ...] = ("email", "sms")

    def address(self, channel: str) -> str | None:
        return self.email if channel == "email" else self.phone if channel == "sms" else None


@dataclass(frozen=True)
class Directory:
    """Staff by id, each department's manager, and the duty staff."""

    staff: dict[str, Contact] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)  # department → staff id
    duty: tuple[str, ...] = ()

    def contact(self, staff_id: str | None) -> Contact | None:
        return None if staff_id is None else self.staff.get(staff_id)

    def manager_of(self, department: str | None) -> str | None:
        return None if department is None else self.managers.get(department)
