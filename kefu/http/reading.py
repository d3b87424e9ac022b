"""Read-your-writes: `?after=<position>` waits for a projection, else 503 (never stale)."""

from __future__ import annotations

import falcon

from kefu.projections.batch import BatchProjection
from kefu.projections.sql import SqlView


def wait_for_position(
    req: falcon.Request, projection: BatchProjection[SqlView], seconds: float
) -> None:
    after = req.get_param_as_int("after", min_value=0)
    if after is None:
        return
    try:
        projection.view.wait(projection.name, after, timeout=seconds)
    except TimeoutError:
        raise falcon.HTTPServiceUnavailable(
            title="Projection behind",
            description=(
                f"the {projection.name} projection has not reached position {after} "
                f"within {seconds:g} s; retry shortly"
            ),
            retry_after=1,
        ) from None
