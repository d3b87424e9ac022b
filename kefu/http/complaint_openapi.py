"""The complaint part of the OpenAPI document, from the Structs the complaint routes decode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu.commands.complaints import (
    COMPLAINT_ACTIONS,
    TASK_OUTCOME_BODIES,
    FinishTask,
    RegisterComplaint,
)
from kefu.commands.execution import Answer
from kefu.projections.complaint_document import ComplaintDocument

Operation = Callable[..., dict[str, Any]]
ITEM = "/complaints/{complaint_id}"

# FinishTask is built from the path and a task outcome body; it is never a body itself.
_ACTION_BODIES = {a: c for a, (c, _) in COMPLAINT_ACTIONS.items() if c is not FinishTask}


def complaint_schemas() -> list[type]:
    """Every Struct the complaint routes decode or answer with."""
    bodies = dict.fromkeys([*_ACTION_BODIES.values(), *TASK_OUTCOME_BODIES.values()])
    return [RegisterComplaint, *bodies, ComplaintDocument]


def complaint_paths(operation: Operation) -> dict[str, Any]:
    """The /complaints paths; `operation(summary, body, answer, status)` builds each one."""
    paths: dict[str, Any] = {
        "/complaints": {
            "post": operation("Register a complaint (受理)", RegisterComplaint, Answer, "201"),
            "get": operation("List complaints: filters and cursor pagination", None, None),
        },
        ITEM: {"get": operation("The complaint view", None, ComplaintDocument)},
        f"{ITEM}/history": {"get": operation("Every event of the complaint", None, None)},
    }
    for action, body in _ACTION_BODIES.items():
        paths[f"{ITEM}/{action}"] = {"post": operation(f"Complaint action: {action}", body, Answer)}
    for outcome, body in TASK_OUTCOME_BODIES.items():
        summary = f"Complaint task outcome: {outcome}"
        paths[f"{ITEM}/tasks/{{task_id}}/{outcome}"] = {"post": operation(summary, body, Answer)}
    return paths
