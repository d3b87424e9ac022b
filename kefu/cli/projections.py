"""`kefu projections status|rebuild`: what the commands print and return."""

from __future__ import annotations

import sys
from datetime import datetime

from kefu.application import ServiceDesk
from kefu.projections.read_models import ReadModels
from kefu.projections.rebuild import RebuildError, rebuild, rebuild_all
from kefu.projections.status import format_lags, projection_lags


def print_status(app: ServiceDesk, read_models: ReadModels, now: datetime) -> int:
    """Prints each projection's position and lag (events, seconds)."""
    for line in format_lags(projection_lags(app, read_models, now)):
        print(line)
    return 0


def run_rebuild(app: ServiceDesk, read_models: ReadModels, name: str | None) -> int:
    """Rebuilds one projection (`name`) or all (None); exit status 2 for an unknown name."""
    known = [p.name for p in read_models.projections]
    if name is not None and name not in known:
        print(
            f"kefu projections rebuild: no projection {name!r}; one of: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    try:
        if name is None:
            rebuild_all(app, read_models, _progress)
        else:
            rebuild(app, read_models, name, _progress)
    except RebuildError as e:
        print(f"kefu projections rebuild: {e}", file=sys.stderr)
        return 1
    return 0


def _progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)
