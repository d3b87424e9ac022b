"""The records a command names, checked before anything is written.

A command lists its references (`Command.references()`); the write side checks every one of
them before it runs the command, so a ticket cannot be sent to an agent or a department that
does not exist, and a refused command writes nothing. A check reads the event log outside the
command's transaction: agents, customer files, tickets and complaints are never deleted, so a
record found to exist still exists when the command is saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.errors import UnknownReference, require
from kefu.domain.departments import DepartmentDirectory


@dataclass(frozen=True)
class Names:
    """`field` names a record of `kind` by its id (None: the field was left out)."""

    field: str
    kind: type[Aggregate]
    aggregate_id: UUID | None


@dataclass(frozen=True)
class InDepartment:
    """`field` names a department of the directory."""

    field: str
    department: str | None


Reference = Names | InDepartment


@dataclass(frozen=True)
class ReferenceCheck:
    """Refuses a command that names a record or a department that does not exist."""

    app: ServiceDesk
    departments: DepartmentDirectory

    def __call__(self, references: Iterable[Reference]) -> None:
        for reference in references:
            if isinstance(reference, Names):
                require(self.app, reference.kind, reference.aggregate_id, reference.field)
            elif reference.department is not None:
                self._check_department(reference)

    def _check_department(self, reference: InDepartment) -> None:
        if reference.department not in self.departments:
            known = ", ".join(self.departments.keys())
            message = f"department {reference.department!r} is not in the directory ({known})"
            raise UnknownReference(reference.field, message)
