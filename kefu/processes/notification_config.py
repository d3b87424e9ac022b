"""The staff directory and template overrides from configuration files.

`KEFU_DIRECTORY_FILE` (JSON):
    {"staff": {"mgr-1": {"name": "王经理", "email": "wang@example.com", "phone": "+86...",
                         "language": "zh", "channels": ["email", "sms"]}},
     "managers": {"after-sales": "mgr-1"},
     "duty": ["duty-1"]}
`KEFU_TEMPLATES_FILE` (JSON): a list of {"name", "channel", "language", "subject", "body"},
each replacing (or adding to) the shipped template of that name, channel and language.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import msgspec

from kefu.domain.default_templates import DEFAULT_TEMPLATES
from kefu.domain.directory import Contact, Directory
from kefu.domain.templates import CHANNELS, MessageTemplate, TemplateBook

T = TypeVar("T")


class NotificationConfigError(ValueError):
    """The directory or templates file cannot be read."""


class _Contact(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    email: str | None = None
    phone: str | None = None
    language: str = "zh"
    channels: tuple[str, ...] = ("email", "sms")


class _Directory(msgspec.Struct, forbid_unknown_fields=True):
    staff: dict[str, _Contact] = {}
    managers: dict[str, str] = {}
    duty: tuple[str, ...] = ()


class _Template(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    channel: str
    language: str
    body: str
    subject: str = ""


def load_directory(path: str) -> Directory:
    """The directory in `path`; an empty one when no file is named."""
    if not path:
        return Directory()
    read = _read(path, _Directory, "KEFU_DIRECTORY_FILE")
    staff = {k: Contact(**msgspec.structs.asdict(c)) for k, c in read.staff.items()}
    return Directory(staff=staff, managers=dict(read.managers), duty=read.duty)


def load_templates(path: str) -> TemplateBook:
    """The shipped templates, with the file's replacing theirs."""
    if not path:
        return DEFAULT_TEMPLATES
    read = _read(path, list[_Template], "KEFU_TEMPLATES_FILE")
    for template in read:
        if template.channel not in CHANNELS:
            raise NotificationConfigError(
                f"KEFU_TEMPLATES_FILE: unknown channel {template.channel}"
            )
    return DEFAULT_TEMPLATES.overridden(
        MessageTemplate(t.name, t.channel, t.language, t.subject, t.body) for t in read
    )


def _read(path: str, kind: type[T], setting: str) -> T:
    try:
        return msgspec.json.decode(Path(path).read_bytes(), type=kind)
    except (OSError, msgspec.DecodeError) as e:
        raise NotificationConfigError(f"{setting} {path}: {e}") from None
