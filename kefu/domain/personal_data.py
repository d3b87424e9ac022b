"""What kefu holds about a person: the personal fields of each event class, and whose they are.

The store seals these fields with a key of the record's own (kefu/store/personal_fields.py);
`subject` names the field that says which customer file the record belongs to (a ticket's,
complaint's or call's customer, a visit's customer), so that erasing the customer destroys the
record's key too. Customer events need none: the file is the subject. Fields are names, or
`field.attribute` one level into a dataclass value (a thread entry's text and address).

What is personal (docs/privacy.md): names, phone numbers, emails, addresses, birthdays,
preferences, the ids a customer writes from on chat and WeChat, and free text customers wrote
or that tells their story (ticket subject and description, thread entries, complaint texts,
survey and rating comments, call notes and recordings' references), and what kefu writes to
them (a message's address and text). Kept
readable, because reports and the audit need them and they identify nobody: ids, times,
statuses, channels, categories, amounts, ratings, agents' ids.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kefu.domain.call import Call
from kefu.domain.complaint import Complaint
from kefu.domain.customer import Customer
from kefu.domain.message import Message
from kefu.domain.thread import ComplaintEntryPosted, TicketEntryPosted
from kefu.domain.ticket import Ticket
from kefu.domain.visit import Visit


class Personal(NamedTuple):
    """The personal fields of one event class and the field naming its data subject."""

    fields: tuple[str, ...]
    subject: str | None = None


_DETAILS = ("name", "phones", "email", "address", "birthday")
_ENTRY = ("entry.body", "entry.html", "entry.address", "entry.subject")

PERSONAL_FIELDS: dict[type[Any], Personal] = {
    Customer.Registered: Personal(_DETAILS),
    Customer.DetailsChanged: Personal(_DETAILS),
    Customer.MilestoneRecorded: Personal(("note",)),
    Customer.SurveyRecorded: Personal(("comments",)),
    Customer.PreferencesMarked: Personal(("preferences",)),
    Customer.ChannelIdsSet: Personal(("channel_ids",)),
    Ticket.Opened: Personal(("subject", "description"), subject="customer_id"),
    Ticket.FeedbackGiven: Personal(("message",)),
    Ticket.CustomerReplied: Personal(("message",)),
    Ticket.Rated: Personal(("comment",)),
    TicketEntryPosted: Personal(_ENTRY),
    Complaint.Registered: Personal(
        ("description", "expectation", "contact"), subject="customer_id"
    ),
    Complaint.FactsRecorded: Personal(("facts",)),
    Complaint.Confirmed: Personal(("comment",)),
    ComplaintEntryPosted: Personal(_ENTRY),
    Call.Started: Personal(("customer_number",), subject="customer_id"),
    Call.Linked: Personal((), subject="customer_id"),
    Call.NoteAdded: Personal(("who", "what", "where", "why", "how")),
    Call.RecordingAttached: Personal(("uri",)),
    Visit.Scheduled: Personal((), subject="customer_id"),
    Visit.MovedToCustomer: Personal((), subject="customer_id"),
    Visit.NotReached: Personal(("note",)),
    Visit.Done: Personal(("comment", "new_need")),
    Message.Queued: Personal(("address", "subject", "body"), subject="recipient_id"),
}
