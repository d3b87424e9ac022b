"""The errors the `kefu` command reports in one line instead of a traceback."""

from __future__ import annotations

from kefu.auth import TokenConfigError
from kefu.commands.visit_config import VisitRulesError
from kefu.settings import SettingsError
from kefu.store.availability import DatabaseUnavailable
from kefu.store.database import DatabaseUrlError
from kefu.store.schema import SchemaNotCurrent


class ServeConfigError(ValueError):
    """`kefu serve` cannot start as configured (gunicorn options, a busy address)."""


class AddressInUse(OSError):
    """`kefu serve` cannot listen where it was asked to: another process holds the address."""


# Exit status 2: fix the configuration.
CONFIGURATION_ERRORS = (
    SettingsError,
    DatabaseUrlError,
    VisitRulesError,
    TokenConfigError,
    ServeConfigError,
    SchemaNotCurrent,  # run `kefu db migrate` as the owner
)
# Exit status 1: what kefu needs (the database, the address) is not available.
UNAVAILABLE_ERRORS = (DatabaseUnavailable, AddressInUse)
