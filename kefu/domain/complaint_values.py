"""The value types a complaint is made of: its type, remedies, proposals and tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class ComplaintType(StrEnum):
    """What the complaint is about; also the cause responsibility is attributed to."""

    PRODUCT_DEFECT = "product_defect"  # 产品质量
    SERVICE_FAILURE = "service_failure"  # 服务态度 / 失误
    PRICE_DISPUTE = "price_dispute"  # 价格争议
    LOGISTICS_DELAY = "logistics_delay"  # 物流延误
    OTHER = "other"


class EscalationLevel(StrEnum):
    """Who a complaint is escalated to (升级)."""

    SUPERVISOR = "supervisor"
    EXPERT = "expert"
    MANAGER = "manager"


class RemedyKind(StrEnum):
    """One part of a proposed resolution."""

    APOLOGY = "apology"
    COMPENSATION = "compensation"
    EXCHANGE = "exchange"
    REFUND = "refund"
    REPAIR = "repair"
    SERVICE_UPGRADE = "service_upgrade"


# Only these remedies are sums of money, and they must say how much.
PAID_REMEDIES = frozenset({RemedyKind.COMPENSATION, RemedyKind.REFUND})


def is_money(amount: Decimal) -> bool:
    """A positive, finite sum with at most two decimal places (分)."""
    if not amount.is_finite() or amount <= 0:
        return False
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2


@dataclass(frozen=True)
class Remedy:
    """A remedy, with its amount when it is a sum of money."""

    kind: RemedyKind
    amount: Decimal | None = None


class ProposalOutcome(StrEnum):
    """What the customer said to a proposal."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Proposal:
    """A proposed resolution; every proposal is kept, whatever the customer said."""

    number: int
    remedies: tuple[Remedy, ...]
    note: str
    outcome: ProposalOutcome = ProposalOutcome.PENDING


class TaskOutcome(StrEnum):
    """Where a department's task stands; a failed task stays to be done."""

    OPEN = "open"
    FAILED = "failed"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Task:
    """Work a department does to carry out the accepted resolution (refund → finance, ...)."""

    task_id: str
    proposal: int
    department: str
    owner: str
    due_at: datetime
    description: str
    outcome: TaskOutcome = TaskOutcome.OPEN
