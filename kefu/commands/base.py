"""Options shared by every command Struct, explained once."""

from __future__ import annotations

from typing import Annotated

import msgspec

# A required, non-blank text field of reasonable size.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=r"\S")]
Note = Annotated[str, msgspec.Meta(max_length=10000)]


class Command(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A request to change one aggregate.

    frozen: a command is a value. forbid_unknown_fields: a misspelt field is a 422, not
    silently ignored. kw_only: fields are named in JSON anyway.
    """
