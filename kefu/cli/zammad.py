"""`kefu convert zammad FILE`: Zammad's tickets as lines for `kefu import` (docs/import.md).

The input is JSON lines, one Zammad ticket a line as `GET /api/v1/tickets/{id}?expand=true`
answers it, with two fields added by whoever exports: `articles` (the ticket's
`GET /api/v1/ticket_articles/by_ticket/{id}?expand=true`) and `customer_user` (its customer's
`GET /api/v1/users/{customer_id}`). The output is a customer line the first time a customer is
met, then the ticket's line: opened, dispatched to the department its Zammad group maps to,
each article as a thread entry, and its last state (closed: resolved and closed; pending:
waiting for the customer). Zammad's own history (moves between groups, priority changes) is
not read: the mapping in docs/import.md says how to add those steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

CHANNELS = {"email": "email", "phone": "phone", "web": "web", "chat": "chat", "sms": "sms"}
SOCIAL = ("facebook", "twitter", "telegram", "whatsapp")
REPLY_CHANNELS = ("email", "sms", "chat")  # what kefu sends a public reply by
PRIORITIES = {"3 high": "important"}  # every other Zammad priority is kefu's normal


def convert(
    tickets: Iterable[Mapping[str, Any]], departments: Mapping[str, str], default_department: str
) -> Iterator[dict[str, Any]]:
    """The import lines of `tickets` (Zammad's, expanded); `departments` maps Zammad groups to
    kefu departments, `default_department` takes the others."""
    customers_met: set[str] = set()
    for ticket in tickets:
        customer = ticket.get("customer_user")
        if customer is not None and str(customer["id"]) not in customers_met:
            customers_met.add(str(customer["id"]))
            yield _customer(customer)
        group = str(ticket.get("group") or "")
        yield _ticket(ticket, departments.get(group, default_department))


def _customer(user: Mapping[str, Any]) -> dict[str, Any]:
    name = " ".join(filter(None, (user.get("firstname"), user.get("lastname"))))
    create: dict[str, Any] = {
        "name": name or user.get("email") or user.get("login") or f"Zammad user {user['id']}",
        "phones": [p for p in (user.get("phone"), user.get("mobile")) if p],
        "source_channel": "web",
    }
    if user.get("email"):
        create["email"] = user["email"]
    return {"type": "customer", "id": str(user["id"]), "at": user["created_at"], "create": create}


def _ticket(ticket: Mapping[str, Any], department: str) -> dict[str, Any]:
    articles = sorted(ticket.get("articles", ()), key=lambda a: str(a["created_at"]))
    opened = ticket["created_at"]
    history: list[dict[str, Any]] = [{"at": opened, "action": "dispatch", "department": department}]
    history += [_entry(article) for article in articles]
    history += _last_state(ticket, history[-1]["at"])
    line = {
        "type": "ticket",
        "id": str(ticket.get("number") or ticket["id"]),
        "at": opened,
        "create": {
            "channel": _channel(str(articles[0]["type"]) if articles else "web"),
            "category": str(ticket.get("group") or "general"),
            "subject": str(ticket.get("title") or "(no title)")[:200],
            "priority": PRIORITIES.get(str(ticket.get("priority")), "normal"),
        },
        "history": history,
    }
    if ticket.get("customer_user") is not None:
        line["customer"] = str(ticket["customer_user"]["id"])
    return line


def _entry(article: Mapping[str, Any]) -> dict[str, Any]:
    channel = _channel(str(article.get("type")))
    sender = str(article.get("sender"))
    if sender == "Customer":
        kind, address = "customer_message", article.get("from")
    elif sender == "System":
        kind, address = "system_message", None
    elif not article.get("internal") and channel in REPLY_CHANNELS:
        kind, address = "public_reply", article.get("to")
    else:
        kind, address = "internal_note", None  # a note, or an answer given by phone
    text = str(article.get("body") or "")
    html = str(article.get("content_type")) == "text/html"
    entry: dict[str, Any] = {
        "at": article["created_at"],
        "action": "thread",
        "kind": kind,
        "channel": channel,
        "html" if html else "body": text or "(empty)",
        "subject": str(article.get("subject") or "")[:300],
        "external_id": str(article.get("message_id") or "")[:998],
    }
    if address:
        entry["address"] = str(address)[:320]
    return entry


def _last_state(ticket: Mapping[str, Any], last: str) -> list[dict[str, Any]]:
    """The steps that bring the ticket to its Zammad state, after its last article."""
    state = str(ticket.get("state"))
    at = max(last, str(ticket.get("close_at") or ticket.get("updated_at") or last))
    if state == "closed":
        return [
            {"at": at, "action": "resolve", "resolution": "closed in Zammad", "code": "closed"},
            {"at": at, "action": "close"},
        ]
    if state.startswith("pending"):
        return [{"at": at, "action": "await-customer", "note": f"{state} in Zammad"}]
    return []


def _channel(zammad_type: str) -> str:
    if zammad_type in SOCIAL:
        return "social"
    return CHANNELS.get(zammad_type, "web")
