"""The domain policies commands apply, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from kefu.domain.callbacks import CallbackPolicy
from kefu.domain.complaint_policy import ComplaintPolicy
from kefu.domain.deadlines import DeadlinePolicy
from kefu.domain.departments import DepartmentDirectory
from kefu.domain.routing import RoutingPolicy
from kefu.domain.sla import SlaPolicies
from kefu.domain.visit_rules import VisitPolicy


@dataclass(frozen=True)
class Policies:
    """Configurable rules handed to domain verbs (deadlines and the like)."""

    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    complaints: ComplaintPolicy = field(default_factory=ComplaintPolicy)
    visits: VisitPolicy = field(default_factory=VisitPolicy)
    departments: DepartmentDirectory = field(default_factory=DepartmentDirectory)
    sla: SlaPolicies = field(default_factory=SlaPolicies)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    node_warn_share: float = 0.8  # KEFU_NODE_WARN_SHARE: a node turns yellow after this share
