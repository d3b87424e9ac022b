"""Options shared by every command Struct, explained once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated

import msgspec

if TYPE_CHECKING:
    from kefu.commands.references import Reference

# A required, non-blank text field of reasonable size.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=r"\S")]
Note = Annotated[str, msgspec.Meta(max_length=10000)]


class Command(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A request to change one aggregate.

    frozen: a command is a value. forbid_unknown_fields: a misspelt field is a 422, not
    silently ignored. kw_only: fields are named in JSON anyway.
    `__post_init__` refuses, in every field however nested, what the stores and the planners
    cannot hold: the NUL character (PostgreSQL text refuses it, and a stored event that no
    view can write would stall every projection) and dates outside the years 1900 to 2999.
    Subclasses that add checks call `super().__post_init__()`; a command that names other
    records lists them in `references()`.
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            _check_value(name, getattr(self, name))

    def references(self) -> Sequence[Reference]:
        """The records and departments this command names; each is checked before it runs."""
        return ()


FIRST_YEAR, LAST_YEAR = 1900, 2999


def _check_value(name: str, value: object) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{name} may not contain the NUL character")
    elif isinstance(value, date):  # datetimes are dates too
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"{name} must be within the years {FIRST_YEAR} to {LAST_YEAR}")
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            _check_value(name, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(name, key)
            _check_value(name, item)
    elif isinstance(value, msgspec.Struct):
        for field in value.__struct_fields__:
            _check_value(f"{name}.{field}", getattr(value, field))
