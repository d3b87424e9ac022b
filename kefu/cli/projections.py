"""`kefu projections status|rebuild`: what the commands print and return."""

from __future__ import annotations

import sys
from datetime import datetime

from kefu.application import ServiceDesk
from kefu.cli.progress import TerminalProgress
from kefu.projections.read_models import ReadModels
from kefu.projections.rebuild import RebuildError, rebuild, rebuild_all
from kefu.projections.status import format_lags, projection_lags


def print_status(app: ServiceDesk, read_models: ReadModels, now: datetime) -> int:
    """Prints each projection's position and lag (events, seconds), then each parked one
    with its failing event and error; exit status 1 when any is parked."""
    for line in format_lags(projection_lags(app, read_models, now)):
        print(line)
    parked = read_models.health.parked()
    for p in parked.values():
        print(f"PARKED {p.projection} at position {p.position} since {p.parked_at:%F %T}Z:")
        print(f"  {p.error}")
        print(f"  after a fix: kefu projections retry {p.projection}")
    return 1 if parked else 0


def run_retry(read_models: ReadModels, name: str) -> int:
    """Un-parks `name`: the running runner tries its failing event again within a second."""
    if read_models.health.unpark(name):
        print(f"kefu projections retry: {name} will try its failing event again within seconds")
        return 0
    parked = ", ".join(read_models.health.parked()) or "none"
    print(f"kefu projections retry: {name!r} is not parked (parked: {parked})", file=sys.stderr)
    return 2


def run_rebuild(app: ServiceDesk, read_models: ReadModels, name: str | None) -> int:
    """Rebuilds one projection (`name`) or all (None); exit status 2 for an unknown name.
    A rebuilt projection has passed every event: if it was parked, it follows the log again."""
    known = [p.name for p in read_models.projections]
    if name is not None and name not in known:
        print(
            f"kefu projections rebuild: no projection {name!r}; one of: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    try:
        if name is None:
            rebuild_all(app, read_models, TerminalProgress())
        else:
            rebuild(app, read_models, name, TerminalProgress())
    except RebuildError as e:
        print(f"kefu projections rebuild: {e}", file=sys.stderr)
        return 1
    for rebuilt in known if name is None else [name]:
        read_models.health.unpark(rebuilt)
    return 0
