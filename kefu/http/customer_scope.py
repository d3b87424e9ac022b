"""`?customer=<id>` on the case lists: the file's records and those of the duplicates it absorbed.

After a merge the duplicate's tickets, complaints, calls and visits keep naming the duplicate
(events are never rewritten); asking for the survivor finds them too (服务中台: one history).
"""

from __future__ import annotations

from uuid import UUID

from kefu.bootstrap import Services
from kefu.http.listing import Param


def customer_param(s: Services, column: str = "customer_id") -> Param:
    """The `customer` filter: the file itself and every duplicate merged into it."""

    def condition(text: str) -> tuple[str, dict[str, object]]:
        ids = [text, *(str(i) for i in _absorbed(s, text))]
        marks = {f"customer_scope_{n}": customer_id for n, customer_id in enumerate(ids)}
        return f"{column} IN ({', '.join(':' + m for m in marks)})", dict(marks)

    return Param("customer", condition=condition)


def _absorbed(s: Services, text: str) -> tuple[UUID, ...]:
    try:
        customer_id = UUID(text)
    except ValueError:
        return ()  # not a file id: records that name it literally (from before references)
    view = s.read_models.customers.get(customer_id)
    return () if view is None else view.merged_from
