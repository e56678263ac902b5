"""Build test emails, PDFs, DOCX files and forwards at test time (no third-party text needed).

Other tests reuse these: e.g. the seed letter -> `pdf_bytes` -> `email_with_attachment` ->
`forward_inline(..., style="gmail")` -> parse -> extract should give the letter's text back.
All people, authorities and numbers made with these helpers are invented.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from email.message import EmailMessage, Message

AUTHORITY = "Freedom of Information Team <foi@northmoor.gov.example>"
REQUESTER = "Priya Desai <priya.desai@mail.example>"
BOT = "foibot <foibot@bot.example>"

Attachment = tuple[str, bytes, str]  # (filename, data, content type)


# --------------------------------------------------------------------------- documents


def pdf_bytes(text: str, *, font_size: float = 11, page_lines: int | None = None) -> bytes:
    """A text PDF of `text` (reportlab, Helvetica): lines wrapped to the page, blank line = paragraph gap.

    Keeps characters like "£" and "–" (Helvetica's WinAnsi encoding has them). Long text runs on
    to more pages; `page_lines` forces a page break every so many lines (to test multi-page PDFs).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    margin = 56
    leading = font_size * 1.3
    y = height - margin
    lines_on_page = 0
    pdf.setFont("Helvetica", font_size)
    for paragraph_line in text.split("\n"):
        wrapped = simpleSplit(paragraph_line, "Helvetica", font_size, width - 2 * margin) if paragraph_line.strip() else [""]
        for line in wrapped:
            if y < margin or (page_lines and lines_on_page >= page_lines):
                pdf.showPage()
                pdf.setFont("Helvetica", font_size)
                y = height - margin
                lines_on_page = 0
            if line:
                pdf.drawString(margin, y, line)
            y -= leading
            lines_on_page += 1
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_only_pdf_bytes(pages: int = 1) -> bytes:
    """A PDF with shapes but no text layer, like a scanned letter."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(pages):
        for row in range(40):
            pdf.rect(56, 760 - row * 17, 300 + (row * 37) % 180, 8, fill=1, stroke=0)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf_bytes(text: str, user_password: str = "open-sesame") -> bytes:
    """A PDF that needs a password to open."""
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    encryption = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-" + user_password, strength=128)
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encryption)
    pdf.drawString(56, 780, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def docx_bytes(text: str, *, table: Sequence[Sequence[str]] = (), header: str = "") -> bytes:
    """A Word document: one paragraph per blank-line-separated block, then an optional table."""
    import docx

    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for block in text.split("\n\n"):
        if block.strip():
            document.add_paragraph(block.strip())
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(padding_bytes: int = 8 * 1024 * 1024) -> bytes:
    """A real DOCX with an extra member of zeros that compresses about 1000:1."""
    original = io.BytesIO(docx_bytes("Dear Ms Desai,\n\nPlease see our response."))
    out = io.BytesIO()
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("word/media/padding.bin", b"\0" * padding_bytes)
    return out.getvalue()


def tnef_bytes(body: str, attachments: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """A minimal winmail.dat (TNEF): a plain body and attachments (title + data).

    TNEF attributes are level(1) id(4: type << 16 | name) length(4) data checksum(2).
    """

    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return struct.pack("<BII", level, (kind << 16) | name, len(data)) + data + struct.pack("<H", checksum)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # TNEF version
    out += attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # OEM code page
    out += attribute(1, 0x800C, 0x0002, body.encode("cp1252"))  # attBody
    for name, data in attachments:
        out += attribute(2, 0x9002, 0x0006, b"\0" * 14)  # attAttachRendData starts an attachment
        out += attribute(2, 0x8010, 0x0001, name.encode("cp1252") + b"\0")  # attAttachTitle
        out += attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return out


# --------------------------------------------------------------------------- emails


def email_with_attachment(
    body: str = "Dear Ms Desai,\n\nPlease find attached our response to your request.\n\nFOI Team",
    attachments: Iterable[Attachment] = (),
    *,
    sender: str = AUTHORITY,
    to: str = REQUESTER,
    subject: str = "Freedom of Information request FOI-2024-0117",
    date: str = "Tue, 16 Apr 2024 10:12:00 +0100",
    message_id: str = "<reply-0117@northmoor.gov.example>",
    html: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """An authority's reply: text body (and optional HTML alternative) plus attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=email.policy.SMTP)


def pdf_reply(letter_text: str, **options) -> bytes:
    """An authority's reply with the letter as a PDF attachment and a cover-note body."""
    return email_with_attachment(attachments=[("FOI-2024-0117 response.pdf", pdf_bytes(letter_text), "application/pdf")], **options)


def forward_inline(
    original_eml: bytes,
    forwarder: str = REQUESTER,
    style: str = "gmail",
    *,
    note: str = "FYI - this came in today.",
    to: str = BOT,
    date: str = "Wed, 17 Apr 2024 08:30:00 +0100",
) -> bytes:
    """The requester forwarding `original_eml` inline, as webmail/desktop clients do.

    style: "gmail", "outlook" (-----Original Message-----), "outlook_rule" (a ____ rule and a bare
    From/Sent/To/Subject block), "apple" (Begin forwarded message:), "thunderbird".
    The original's attachments travel with the forward.
    """
    original = email.message_from_bytes(original_eml, policy=email.policy.default)
    from_ = str(original.get("From", ""))
    to_ = str(original.get("To", ""))
    subject = str(original.get("Subject", ""))
    parsed_date = email.utils.parsedate_to_datetime(str(original["Date"])) if original.get("Date") else None
    text_part = original.get_body(preferencelist=("plain",))
    body = text_part.get_content() if text_part is not None else ""

    if style == "gmail":
        when = parsed_date.strftime("%a, %-d %b %Y at %H:%M") if parsed_date else ""
        block = f"---------- Forwarded message ---------\nFrom: {from_}\nDate: {when}\nSubject: {subject}\nTo: {to_}\n"
        prefix = "Fwd: "
    elif style == "outlook":
        when = parsed_date.strftime("%d %B %Y %H:%M") if parsed_date else ""
        name, address = email.utils.parseaddr(from_)
        block = f"-----Original Message-----\nFrom: {name} [mailto:{address}]\nSent: {when}\nTo: {to_}\nSubject: {subject}\n"
        prefix = "FW: "
    elif style == "outlook_rule":
        when = parsed_date.strftime("%A, %B %-d, %Y %-I:%M %p") if parsed_date else ""
        name, address = email.utils.parseaddr(from_)
        block = f"________________________________\nFrom: {name} <{address}>\nSent: {when}\nTo: {to_}\nSubject: {subject}\n"
        prefix = "FW: "
    elif style == "apple":
        when = parsed_date.strftime("%-d %B %Y at %H:%M:%S %Z") if parsed_date else ""
        block = f"Begin forwarded message:\n\nFrom: {from_}\nSubject: {subject}\nDate: {when}\nTo: {to_}\n"
        prefix = "Fwd: "
    elif style == "thunderbird":
        when = parsed_date.strftime("%a, %d %b %Y %H:%M:%S %z") if parsed_date else ""
        block = f"-------- Forwarded Message --------\nSubject: \t{subject}\nDate: \t{when}\nFrom: \t{from_}\nTo: \t{to_}\n"
        prefix = "Fwd: "
    else:
        raise ValueError(f"unknown forward style {style!r}")

    message = EmailMessage()
    message["From"] = forwarder
    message["To"] = to
    message["Subject"] = prefix + subject
    message["Date"] = date
    message["Message-ID"] = "<fwd-" + style + "@mail.example>"
    message.set_content(f"{note}\n\n{block}\n{body}")
    for part in original.iter_attachments():
        maintype, subtype = part.get_content_type().split("/", 1)
        message.add_attachment(part.get_payload(decode=True), maintype=maintype, subtype=subtype, filename=part.get_filename())
    return message.as_bytes(policy=email.policy.SMTP)


def forward_as_attachment(
    original_eml: bytes,
    forwarder: str = REQUESTER,
    *,
    note: str = "Forwarding the council's reply.",
    to: str = BOT,
    date: str = "Wed, 17 Apr 2024 08:30:00 +0100",
) -> bytes:
    """The requester forwarding `original_eml` as a message/rfc822 attachment."""
    original = email.message_from_bytes(original_eml, policy=email.policy.default)
    message = EmailMessage()
    message["From"] = forwarder
    message["To"] = to
    message["Subject"] = "Fwd: " + str(original.get("Subject", ""))
    message["Date"] = date
    message["Message-ID"] = "<fwd-attached@mail.example>"
    message.set_content(note)
    message.add_attachment(original, filename="reply.eml")
    return message.as_bytes(policy=email.policy.SMTP)


def nested_multipart(depth: int) -> bytes:
    """A message whose multiparts nest `depth` levels deep (a parser stress test)."""
    lines = [
        "From: Nested <nested@mail.example>",
        "To: foibot@bot.example",
        "Subject: deep",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b0"',
        "",
    ]
    for level in range(1, depth):
        lines += [f"--b{level - 1}", f'Content-Type: multipart/mixed; boundary="b{level}"', ""]
    lines += [f"--b{depth - 1}", "Content-Type: text/plain", "", "bottom", f"--b{depth - 1}--"]
    for level in range(depth - 2, -1, -1):
        lines += [f"--b{level}--"]
    return "\r\n".join(lines).encode("ascii")


def with_many_attachments(count: int) -> bytes:
    return email_with_attachment(
        "Lots of files.", [(f"file{i}.txt", f"file {i}\n".encode(), "text/plain") for i in range(count)]
    )


def parse_bytes(raw: bytes) -> Message:
    """The stdlib view of a built message, for assertions about what was built."""
    return email.message_from_bytes(raw, policy=email.policy.default)
