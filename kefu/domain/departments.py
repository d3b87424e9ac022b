"""The department directory: which departments work can be sent to (派单, 定责, 执行).

Departments are configuration, not aggregates: the directory is read once at start-up
(`KEFU_DEPARTMENTS`), and a command naming a department outside it is refused. Keys are ASCII
(stable in URLs, reports and events); each may carry the name the desk uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_DEPARTMENTS = (
    "customer_service=客服部,sales=销售,after_sales=售后,finance=财务,billing=账务,"
    "refunds=退款,logistics=物流,warehouse=仓储,repairs=维修,quality=质检,technical=技术支持,"
    # the automation's defaults send work here: the 10-minute lanes and the escalation group
    "vip=贵宾服务,security=账户安全,supervisors=主管组"
)
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class DepartmentDirectory:
    """Department keys and their display names, in the configured order."""

    names: dict[str, str] = field(default_factory=lambda: parse_departments(DEFAULT_DEPARTMENTS))

    def __contains__(self, key: object) -> bool:
        return key in self.names

    def keys(self) -> tuple[str, ...]:
        return tuple(self.names)


def parse_departments(spec: str) -> dict[str, str]:
    """`finance=财务,sales` → {"finance": "财务", "sales": "sales"}; ValueError if malformed."""
    names: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, _, name = item.partition("=")
        if not _KEY.fullmatch(key.strip()):
            raise ValueError(f"{key.strip()!r} is not a department key (a-z, 0-9, _)")
        names[key.strip()] = name.strip() or key.strip()
    if not names:
        raise ValueError("the directory names no department")
    return names
