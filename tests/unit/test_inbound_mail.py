"""Reading inbound mail: charsets Chinese mail uses, machines' mail, files, hostile HTML."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from kefu.commands.html_text import html_to_text, sanitise
from kefu.commands.inbound_mail import parse_mail


def _encoded_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def test_a_gb2312_labelled_mail_holding_gbk_characters_loses_none() -> None:
    # 镕 is in GBK but not in GB2312: mail clients label such text gb2312 all the same.
    body = "朱镕基路的门店发票金额多收".encode("gbk")
    raw = (
        b"From: " + _encoded_word("李雷", "gbk").encode() + b" <Li@Example.COM>\r\n"
        b"Subject: "
        + _encoded_word("发票问题 镕", "gbk").replace("gbk", "gb2312").encode()
        + b"\r\n"
        b"Message-ID: <abc@mail.example.com>\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    mail = parse_mail(raw)
    assert mail.text == "朱镕基路的门店发票金额多收"
    assert mail.subject == "发票问题 镕"
    assert (mail.sender, mail.sender_name) == ("li@example.com", "李雷")
    assert mail.message_id == "abc@mail.example.com" and not mail.machine


@pytest.mark.parametrize("charset", ["big5", "gb18030", "utf-8"])
def test_big5_gb18030_and_utf8_bodies_decode(charset: str) -> None:
    text = "請問發票何時寄出" if charset == "big5" else "请问发票何时寄出"
    email = EmailMessage()
    email["From"] = "wang@example.com"
    email["Subject"] = "invoice"
    email.set_content(text, charset=charset, cte="base64")
    assert parse_mail(email.as_bytes()).text == text


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("Precedence", "bulk"),
        ("List-Id", "<news.example.com>"),
        ("Return-Path", "<>"),
    ],
)
def test_machines_mail_is_recognised(header: str, value: str) -> None:
    raw = f"From: someone@example.com\r\n{header}: {value}\r\nSubject: 自动回复\r\n\r\n我不在办公室"
    assert parse_mail(raw.encode()).machine


def test_bounces_and_daemons_are_machines_but_a_person_is_not() -> None:
    bounce = (
        b"From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n"
    )
    assert "bounce" in parse_mail(bounce).machine
    person = b"From: li@example.com\r\nAuto-Submitted: no\r\nSubject: hi\r\n\r\nhello"
    assert parse_mail(person).machine == ""


def test_threading_headers_files_and_an_html_only_body() -> None:
    email = EmailMessage()
    email["From"] = "li@example.com"
    email["Subject"] = "Re: 退款 [#0b7e51e2-9d7c-4c55-8c4e-2f0f1f3b6a10]"
    email["In-Reply-To"] = "<reply-2@kefu>"
    email["References"] = "<first@example.com> <reply-1@kefu> <reply-2@kefu>"
    email.set_content("<p>见附件</p><script>x()</script>", subtype="html")
    email.add_attachment(
        b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="单据.pdf"
    )
    mail = parse_mail(email.as_bytes())
    assert mail.answers == ("reply-2@kefu", "reply-1@kefu", "first@example.com")
    assert mail.text == "见附件" and mail.html == "<p>见附件</p>"
    assert [(f.filename, f.data) for f in mail.files] == [("单据.pdf", b"%PDF-1.4 ...")]
    assert mail.message_id.startswith("sha256:")  # none given: the bytes name it


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="http://tracker.example/x.gif">',
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil></iframe>",
        '<div style="background:url(javascript:x)" onmouseover="x()">',
        "<svg><script>alert(1)</script></svg>",
        "<form action=//evil><input name=password></form>",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_hostile_html_keeps_nothing_that_runs_loads_or_styles(hostile: str) -> None:
    cleaned = sanitise(f"<p>before{hostile}after</p>").lower()
    for danger in ("<img", "<script", "<iframe", "<svg", "<form", "<input", "javascript:",
                   "data:", "style=", "onmouseover", "src="):  # fmt: skip
        assert danger not in cleaned
    assert "before" in cleaned and "after" in cleaned


def test_html_text_keeps_lines_and_drops_scripts_and_styles() -> None:
    markup = "<style>p{}</style><p>第一行</p><ul><li>a &amp; b</li></ul><script>x</script>"
    assert html_to_text(markup) == "第一行\na & b"
