"""Retention periods (保留期限) from configuration.

`KEFU_RETENTION_FILE` is a JSON list of rules `{"rule": "closed-tickets", "kind": "ticket",
"keep": "1095d"}`: the personal data of each record of that kind is erased once it has been
closed for `keep` (durations like `30d`, `12h`). Kinds: `ticket` and `complaint` (by the time
they were closed; a reopened case counts from its last closing) and `call` (by the time it
ended: its number, notes and recording references). No file: no retention, kefu keeps personal
data until a customer's erasure (docs/privacy.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

import msgspec

from kefu.settings import SettingsError, duration

RecordKind = Literal["ticket", "complaint", "call"]


class _Rule(msgspec.Struct, forbid_unknown_fields=True):
    rule: str
    kind: RecordKind
    keep: str


@dataclass(frozen=True)
class RetentionRule:
    """Erase the personal data of `kind` records closed for longer than `keep`."""

    rule: str
    kind: RecordKind
    keep: timedelta


def load_retention(path: str) -> tuple[RetentionRule, ...]:
    if not path:
        return ()
    try:
        rules = msgspec.json.decode(Path(path).read_bytes(), type=list[_Rule])
        loaded = tuple(RetentionRule(r.rule, r.kind, duration(r.keep)) for r in rules)
    except (OSError, msgspec.ValidationError, msgspec.DecodeError, ValueError) as e:
        raise SettingsError(f"KEFU_RETENTION_FILE {path}: {e}") from None
    names = [r.rule for r in loaded]
    if len(set(names)) != len(names):
        raise SettingsError(f"KEFU_RETENTION_FILE {path}: a rule name is used twice")
    return loaded
