"""An inbound email, read from its raw RFC 5322 bytes with the standard library's parser.

What the desk needs of it: who sent it, its Message-ID and the ids it answers (In-Reply-To,
References), the subject, the text (the plain part, else the text of the sanitised HTML part),
the sanitised HTML, the attached files, and whether a machine sent it (an auto-reply, an
out-of-office, a bounce, a mailing list), which must never open a ticket or be answered.

Chinese mail is often labelled with a narrower character set than it uses (GB2312 text holding
GBK characters): GB2312 and GBK are read as GB18030, their superset, and Big5 as Big5-HKSCS,
so no character is lost; a part whose label is unknown is read as UTF-8, replacing what is not.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import Header, decode_header
from email.message import Message
from email.utils import parseaddr

from kefu.commands.html_text import html_to_text, sanitise

# Labels read as the wider set that contains them.
WIDER_CHARSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
}
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_MACHINE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.I)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


@dataclass(frozen=True)
class InboundFile:
    filename: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    """The parts of an email the desk keeps."""

    message_id: str
    sender: str  # the address, lower case
    sender_name: str
    subject: str
    text: str
    html: str
    answers: tuple[str, ...] = ()  # In-Reply-To first, then References newest first
    files: tuple[InboundFile, ...] = ()
    machine: str = ""  # why a machine sent it ("" when a person did)


def charset_codec(label: str | None) -> str:
    """The codec to read a part labelled `label` with (unknown labels: UTF-8)."""
    name = (label or "utf-8").strip().strip('"').lower()
    name = WIDER_CHARSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def decode_words(value: str | Header | None) -> str:
    """A header's text, its RFC 2047 encoded words decoded with the wider charsets; raw 8-bit
    text (sent without encoded words, as many Chinese clients do) read as UTF-8, else GB18030."""
    if not value:
        return ""
    parts = []
    for chunk, label in decode_header(value if isinstance(value, Header) else str(value)):
        if not isinstance(chunk, bytes):
            parts.append(chunk)
        elif label in (None, "unknown-8bit"):
            parts.append(_unlabelled(chunk))
        else:
            parts.append(chunk.decode(charset_codec(label), errors="replace"))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _unlabelled(raw: bytes) -> str:
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def parse_mail(raw: bytes) -> InboundMail:
    """The mail in `raw`; never raises on a malformed one (what cannot be read is left out)."""
    mail = message_from_bytes(raw, policy=policy.compat32)
    name, address = parseaddr(decode_words(mail.get("From")))
    text, html, files = _bodies(mail)
    if not text and html:
        text = html_to_text(html)
    own_id = _ids(mail.get("Message-ID"))
    answers = _ids(mail.get("In-Reply-To")) + tuple(reversed(_ids(mail.get("References"))))
    return InboundMail(
        message_id=own_id[0] if own_id else "sha256:" + hashlib.sha256(raw).hexdigest(),
        sender=address.strip().lower(),
        sender_name=name,
        subject=decode_words(mail.get("Subject")),
        text=text.strip(),
        html=sanitise(html).strip() if html else "",
        answers=tuple(dict.fromkeys(answers)),
        files=tuple(files),
        machine=machine_sender(mail, address),
    )


def machine_sender(mail: Message, address: str) -> str:
    """Why this mail was sent by a machine (RFC 3834 Auto-Submitted, a delivery report, an
    autoresponder's or a list's headers, a daemon's address); "" when a person sent it."""
    auto = (mail.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return f"Auto-Submitted: {auto}"
    if mail.get_content_type() == "multipart/report":
        return "a delivery status report (bounce)"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if mail.get(header):
            return f"{header} header"
    precedence = (mail.get("Precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if mail.get("List-Id") or mail.get("List-Unsubscribe"):
        return "a mailing list"
    if (mail.get("Return-Path") or "").strip() == "<>":
        return "an empty Return-Path (a bounce)"
    if _MACHINE_SENDERS.match(address.strip()):
        return f"sent by {address.strip().lower()}"
    return ""


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(str(value or "")))


def _bodies(mail: Message) -> tuple[str, str, list[InboundFile]]:
    text, html, files = "", "", []
    for part in mail.walk():
        if part.is_multipart():
            continue
        filename = decode_words(part.get_filename())
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        kind = part.get_content_type()
        if filename or disposition == "attachment" or not kind.startswith("text/"):
            if data:
                files.append(InboundFile(filename or "attachment", data))
            continue
        decoded = data.decode(charset_codec(part.get_content_charset()), errors="replace")
        if kind == "text/plain" and not text:
            text = decoded
        elif kind == "text/html" and not html:
            html = decoded
    return text, html, files
