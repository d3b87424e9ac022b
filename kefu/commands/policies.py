"""The domain policies commands apply, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from kefu.domain.deadlines import DeadlinePolicy


@dataclass(frozen=True)
class Policies:
    """Configurable rules handed to domain verbs (deadlines and the like)."""

    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
