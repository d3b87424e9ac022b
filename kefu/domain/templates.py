"""Message templates (消息模板) per template name, channel and language, and their rendering.

Templates use `${field}` placeholders (string.Template): no attribute access or format
specifications, so a template from configuration can only insert the record's fields.
A field the record lacks renders empty and is reported, so a preview shows what is missing.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class MessageTemplate:
    """One template's text for one channel and language (SMS has no subject)."""

    name: str
    channel: str
    language: str
    subject: str
    body: str

    def fields(self) -> list[str]:
        """The placeholders it uses, in order of first use."""
        names: dict[str, None] = {}
        for text in (self.subject, self.body):
            for match in string.Template.pattern.finditer(text):
                name = match.group("named") or match.group("braced")
                if name:
                    names[name] = None
        return list(names)


@dataclass(frozen=True)
class Rendered:
    """A rendered message and the placeholders that had no value."""

    subject: str
    body: str
    missing: tuple[str, ...]


class UnknownTemplate(LookupError):
    """No template of that name, channel and language."""


def render(template: MessageTemplate, values: Mapping[str, object]) -> Rendered:
    """The template with every `${field}` replaced by the record's value ('' when absent)."""
    missing = tuple(f for f in template.fields() if values.get(f) in (None, ""))
    text = {f: "" if values.get(f) is None else str(values[f]) for f in template.fields()}
    return Rendered(
        subject=string.Template(template.subject).safe_substitute(text),
        body=string.Template(template.body).safe_substitute(text),
        missing=missing,
    )


class TemplateBook:
    """Every template, found by name, channel and language (falling back to Chinese)."""

    def __init__(self, templates: Iterable[MessageTemplate]) -> None:
        self._templates = {(t.name, t.channel, t.language): t for t in templates}

    def find(self, name: str, channel: str, language: str) -> MessageTemplate:
        for lang in (language, "zh"):
            found = self._templates.get((name, channel, lang))
            if found is not None:
                return found
        raise UnknownTemplate(f"no {channel} template {name!r} in {language}")

    def all(self) -> list[MessageTemplate]:
        return sorted(self._templates.values(), key=lambda t: (t.name, t.channel, t.language))

    def overridden(self, templates: Iterable[MessageTemplate]) -> TemplateBook:
        """This book with `templates` replacing (or adding to) its own."""
        return TemplateBook([*self._templates.values(), *templates])
