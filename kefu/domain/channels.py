"""The channels a customer reaches the service desk through (多渠道)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where a record came from; every record keeps it."""

    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    SOCIAL = "social"
    WECHAT = "wechat"
    SMS = "sms"
    WALK_IN = "walk_in"
    WEB = "web"
