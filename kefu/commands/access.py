"""Recording auditors' reads."""

from __future__ import annotations

from datetime import datetime

from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner
from kefu.domain.access import AuditAccess
from kefu.domain.metadata import EventMetadata


class AccessLog:
    """Writes one AuditAccess event per read through the audit endpoints."""

    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    def record(self, ctx: Context, stream_id: str | None, request: str) -> None:
        def make(meta: EventMetadata, at: datetime) -> AuditAccess:
            return AuditAccess(stream_id=stream_id, request=request, meta=meta, timestamp=at)

        self.runner.run(ctx, 201, make)
