"""Read-your-writes: `?after=<position>` waits for a projection, else 503 (never stale)."""

from __future__ import annotations

from collections.abc import Callable

import falcon

from kefu.http.params import MAX_QUERY_INT
from kefu.projections.batch import BatchProjection
from kefu.projections.sql import SqlView


def wait_for_position(
    req: falcon.Request,
    projection: BatchProjection[SqlView],
    seconds: float,
    head: Callable[[], int | None],
) -> None:
    """Waits until `projection` has processed `?after=`; 400 at once for a position the log
    has not reached (it would never come), 503 with Retry-After when the projection is still
    behind."""
    after = req.get_param_as_int("after", min_value=0, max_value=MAX_QUERY_INT)
    if after is None:
        return
    last = head() or 0  # a position a client was given is in the log already
    if after > last:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter",
            description=f"after={after} is beyond the log, which ends at position {last}",
        )
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


class ReadYourWrites:
    """`?after=` for one projection's reads (a record or a list)."""

    def __init__(
        self, projection: BatchProjection[SqlView], seconds: float, head: Callable[[], int | None]
    ) -> None:
        self.projection = projection
        self.seconds = seconds
        self.head = head

    def __call__(self, req: falcon.Request) -> None:
        wait_for_position(req, self.projection, self.seconds, self.head)
