"""熟客识别: who is calling, judged by the caller's number (根据用户来电号码做出判断).

At arrival the caller's number, normalised, finds the customer file that holds it, and the call
is linked to that file at once; when the call is queued, the file's owner agent (归属坐席) is the
agent familiar-customer routing rings first. The number is looked up in the customer view (a
read model, like routing's availability, injected as a protocol): a file registered a moment
before the call may not be found yet, and the call then stays unlinked until an agent links it.
A number held by more than one file is not guessed at: the call stays unlinked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from kefu.application import ServiceDesk
from kefu.domain.customer import Customer
from kefu.domain.errors import NotFound
from kefu.phones import InvalidPhone, normalise_phone


class CallerDirectory(Protocol):
    """The customer files that hold a (normalised) phone number."""

    def files_with_phone(self, phone: str) -> list[UUID]: ...


@dataclass(frozen=True)
class CallerRecognition:
    """Finds the caller's file by number, and the agent who owns a file."""

    app: ServiceDesk
    directory: CallerDirectory

    def customer_of(self, number: str) -> UUID | None:
        """The one file holding `number`; None for an unknown, shared or malformed number."""
        try:
            phone = normalise_phone(number)
        except InvalidPhone:
            return None
        files = self.directory.files_with_phone(phone)
        return files[0] if len(files) == 1 else None

    def owner_of(self, customer_id: str | None) -> UUID | None:
        """The owner agent of the file (of its survivor, when it was merged), if any."""
        customer = self._file(customer_id)
        if customer is not None and customer.merged_into is not None:
            customer = self._file(str(customer.merged_into))
        return None if customer is None else _uuid(customer.owner_id)

    def _file(self, customer_id: str | None) -> Customer | None:
        file_id = _uuid(customer_id)
        if file_id is None:
            return None
        try:
            return self.app.load(Customer, file_id)
        except NotFound:
            return None


def _uuid(text: str | None) -> UUID | None:
    """Ids recorded before references were checked may be any text: those name nobody."""
    try:
        return None if text is None else UUID(text)
    except ValueError:
        return None
