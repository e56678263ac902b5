"""Invented FOI emails for the service tests: an authority's refusal letter as a PDF,
the reply that carries it, and a requester's forward of that reply.

Every name, authority, address and reference here is made up.
"""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
import datetime as dt

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "service"

REFUSAL_LETTER = """\
Northmere Borough Council
Information Governance Team
Our reference: FOI 2026/0413
Date: 3 November 2026

Dear Ms Okafor,

Freedom of Information Act 2000 - request for information

Thank you for your request received on 6 October 2026, in which you asked for
the names and salaries of all agency staff employed in the parking enforcement
unit during 2025.

The Council holds the information you requested. However, I am writing to
inform you that your request is refused. The information is exempt from
disclosure under section 40(2) of the Freedom of Information Act 2000 because
it is the personal data of third parties and disclosure would breach the data
protection principles. Section 40(2) is an absolute exemption, so no public
interest test is required.

This letter acts as a refusal notice under section 17 of the Act.

If you are unhappy with the way your request has been handled, you may ask
for an internal review within 40 working days of the date of this letter by
writing to foi@northmere-council.example. If you remain dissatisfied after the
review you may complain to the Information Commissioner's Office.

Yours sincerely,

Priya Lindqvist
Information Governance Officer
"""


def letter_pdf(text: str = REFUSAL_LETTER) -> bytes:
    """A one-page PDF with a real text layer (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    y = A4[1] - 60
    for line in text.splitlines():
        page.drawString(50, y, line)
        y -= 14
    page.save()
    return buffer.getvalue()


def authority_reply(*, message_id: str | None = None, subject: str = "FOI 2026/0413 - response to your request") -> EmailMessage:
    """The council's reply: a short covering note with the decision letter attached as a PDF."""
    reply = EmailMessage(policy=SMTP)
    reply["From"] = "Northmere Borough Council FOI <foi@northmere-council.example>"
    reply["To"] = "Adaeze Okafor <adaeze.okafor@mail.example>"
    reply["Subject"] = subject
    reply["Date"] = "Tue, 03 Nov 2026 14:02:11 +0000"
    reply["Message-ID"] = message_id or make_msgid(domain="northmere-council.example")
    reply.set_content(
        "Dear Ms Okafor,\n\nPlease find attached our response to your request for information, "
        "reference FOI 2026/0413.\n\nInformation Governance Team\nNorthmere Borough Council\n"
    )
    reply.add_attachment(letter_pdf(), maintype="application", subtype="pdf", filename="FOI 2026-0413 response.pdf")
    return reply


def forward(
    original: EmailMessage,
    *,
    forwarder: str = "adaeze.okafor@mail.example",
    forwarder_name: str = "Adaeze Okafor",
    to: str = "foibot@bot.example",
    message_id: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """The requester forwards the reply to the bot as an attachment (message/rfc822)."""
    outer = EmailMessage(policy=SMTP)
    outer["From"] = f"{forwarder_name} <{forwarder}>" if forwarder_name else forwarder
    outer["To"] = to
    outer["Subject"] = "Fwd: " + str(original["Subject"])
    outer["Date"] = format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
    outer["Message-ID"] = message_id or make_msgid(domain="mail.example")
    for name, value in (extra_headers or {}).items():
        outer[name] = value
    outer.set_content("Here is the council's answer, what do I do now?\n")
    outer.add_attachment(original)
    return outer.as_bytes()


def forwarded_refusal(**options) -> bytes:
    return forward(authority_reply(), **options)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


REPLY_FIXTURES = (
    "reply_full_disclosure.eml",
    "reply_not_held.eml",
    "reply_acknowledgement.eml",
    "reply_extension.eml",
    "reply_partial.eml",
)
