"""Parse stage: raw bytes of an email (or a bare letter) -> `ParsedMessage`.

mail-parser does the top-level parse and reads the header fields; the stdlib `email` objects it
wraps are walked here because mail-parser flattens a forwarded `message/rfc822` part into the
outer body, names such parts at random, and leaves U+FFFD where a charset label lies
(research/infra.md, section 3). When the requester forwards an authority's reply - as an attached
message or inline under a "Forwarded message" / "Original Message" / header block - the result
describes the *original* reply, and `forwarded_by_*` names the person who forwarded it; the outer
message's ids and headers stay, because the worker dedupes, threads and filters on them.

Untrusted input: sizes, MIME depth and attachment counts are checked against `Limits` before any
expensive work, and nothing here raises anything but `LimitExceeded` or `UnreadableInput`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.policy
import email.utils
import logging
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from zoneinfo import ZoneInfo

import mailparser
from inscriptis import get_text as html_to_text

from bot.errors import UnreadableInput
from bot.model import Attachment, LimitExceeded, Limits, ParsedMessage

ORIGINAL_MESSAGE_ID_HEADER = "x-foibot-original-message-id"

# mail-parser warns with pieces of the message ("Email content '...' not handled"); message content
# stays out of the logs (no personal data at info level), and our own defects list says what was odd.
logging.getLogger("mailparser").setLevel(logging.ERROR)

# Header names that only an email has at its top; a letter may start "Date:" or "Ref:" but not these.
EMAIL_HEADER_NAMES = frozenset(
    {
        "from", "to", "cc", "subject", "message-id", "received", "mime-version", "content-type",
        "return-path", "delivered-to", "in-reply-to", "references", "x-mailer", "dkim-signature",
        "reply-to", "sender", "x-original-to", "envelope-to", "thread-index", "user-agent",
        "content-transfer-encoding", "x-ms-has-attach", "authentication-results", "x-failed-recipients",
        "auto-submitted", "precedence",
    }
)  # fmt: skip
FORWARD_SUBJECT = re.compile(r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:fwd?|fw|tr|wg|forward(?:ed)?)\s*(?:\[\d+\])?\s*:", re.I)

CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "x-utf-7": "utf-7",
    "iso-8859-1": "cp1252",  # mail labelled latin-1 is nearly always Windows-1252 (smart quotes, €)
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
}

# Time-zone abbreviations that email clients print and `email.utils` does not know.
ZONE_OFFSETS = {
    "GMT": "+0000", "UTC": "+0000", "UT": "+0000", "Z": "+0000", "WET": "+0000",
    "BST": "+0100", "IST": "+0100", "WEST": "+0100", "CET": "+0100", "CEST": "+0200",
    "EET": "+0200", "EEST": "+0300", "AEST": "+1000", "AEDT": "+1100", "ACST": "+0930",
    "ACDT": "+1030", "AWST": "+0800", "NZST": "+1200", "NZDT": "+1300",
    "EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500", "MST": "-0700",
    "MDT": "-0600", "PST": "-0800", "PDT": "-0700", "AST": "-0400", "NST": "-0330",
}  # fmt: skip
DATE_FORMATS = (
    "%d %B %Y %H:%M:%S", "%d %B %Y %H:%M", "%d %b %Y %H:%M:%S", "%d %b %Y %H:%M",
    "%d %B %Y %I:%M:%S %p", "%d %B %Y %I:%M %p", "%d %b %Y %I:%M %p",
    "%B %d %Y %I:%M:%S %p", "%B %d %Y %I:%M %p", "%b %d %Y %I:%M:%S %p", "%b %d %Y %I:%M %p",
    "%B %d %Y %H:%M:%S", "%B %d %Y %H:%M", "%b %d %Y %H:%M",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M %p",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%d/%m/%Y", "%Y-%m-%d",
)  # fmt: skip
WEEKDAY = re.compile(r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*", re.I)
ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)
UK_TIME = ZoneInfo("Europe/London")

EMAIL_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

# Inline forward markers. "explicit" ones say "forwarded"; the others (a quoted reply header) only
# count as a forward when the context says so (see `is_inline_forward`).
EXPLICIT_FORWARD_MARKERS = (
    re.compile(r"^[ \t>]*-{3,}\s*Forwarded message\s*-{3,}[ \t]*$", re.I | re.M),  # Gmail, Thunderbird
    re.compile(r"^[ \t>]*Begin forwarded message:[ \t]*$", re.I | re.M),  # Apple Mail
    re.compile(r"^[ \t>]*-{3,}\s*(?:Weitergeleitete Nachricht|Message transféré)\s*-{3,}[ \t]*$", re.I | re.M),
)
REPLY_MARKERS = (
    re.compile(r"^[ \t>]*-{3,}\s*Original Message\s*-{3,}[ \t]*$", re.I | re.M),  # Outlook
    re.compile(r"^[ \t>]*_{10,}[ \t]*$(?=\n[ \t>]*\*?From:)", re.I | re.M),  # Outlook's rule
    re.compile(r"^[ \t>]*\*?From:\*?[ \t]+\S.*$(?=(?:\n.*){0,6}\n[ \t>]*\*?(?:Sent|Date):)", re.I | re.M),
)
QUOTED_HEADER = re.compile(
    r"^[ \t>]*\*?(From|Sent|Date|To|Cc|Bcc|Subject|Reply-To|Importance|Attachments|Sent by)\*?:\*?[ \t]*(.*)$", re.I
)
REPLY_SUBJECT = re.compile(r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|sv|antw|vs|réf)\s*(?:\[\d+\])?\s*:", re.I)
SHORT_FORWARD_NOTE = 400  # chars above a quoted reply header that still read as a forwarder's note
MAX_FORWARD_LEVELS = 3


# --------------------------------------------------------------------------- entry point


def parse_message(raw: bytes, limits: Limits | None = None) -> ParsedMessage:
    """Parse a raw RFC 5322 message (or a bare letter) into the fields the later stages use.

    Raises only `LimitExceeded` (input over a limit) or `UnreadableInput` (not an email or a
    letter, or too damaged to read): the worker quarantines on those, the CLI exits 2.
    """
    limits = limits or Limits()
    if len(raw) > limits.max_message_bytes:
        raise LimitExceeded(f"message is {len(raw)} bytes, over the limit of {limits.max_message_bytes}")
    if not raw.strip():
        raise UnreadableInput("the input is empty")
    if raw.lstrip()[:5] == b"%PDF-":
        raise UnreadableInput("the input is a PDF document, not an email")
    if looks_binary(raw):
        raise UnreadableInput("the input is binary data: not an email or a letter")
    refuse_multipart_floods(raw, limits)
    try:
        return parse_checked(raw, limits)
    except (LimitExceeded, UnreadableInput):
        raise
    except RecursionError:
        raise LimitExceeded("MIME structure too deeply nested to read") from None
    except Exception as exc:  # last resort: hostile input must not crash the worker
        raise UnreadableInput(f"the email is too damaged to read ({type(exc).__name__})") from exc


def parse_checked(raw: bytes, limits: Limits) -> ParsedMessage:
    message = read_mime(raw)
    if not looks_like_email(message):
        return ParsedMessage(body_text=decode_plain_text(raw), defects=("NoEmailHeaders",))
    check_structure(message, limits)

    outer = describe(message, limits, charset_hints(raw))
    outer_headers = header_map(message)
    original, forwarder = find_forwarded_original(message, outer, limits, raw)
    if original is None:
        return outer.to_parsed(outer_headers)

    if original.message_id:
        outer_headers[ORIGINAL_MESSAGE_ID_HEADER] = original.message_id
    return original.to_parsed(
        outer_headers,
        message_id=outer.message_id,
        in_reply_to=outer.in_reply_to,
        references=outer.references,
        forwarded_by=forwarder,
        defects=outer.defects + original.defects,
    )


# --------------------------------------------------------------------------- gatekeeping


def looks_binary(data: bytes) -> bool:
    """True for data no email or letter would be: many NULs or control bytes near the start."""
    sample = data[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # a UTF-16 text letter
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27)) + sample.count(127)
    return sample.count(0) > len(sample) // 100 or controls > len(sample) // 10


MULTIPART_HEADER = re.compile(rb"^content-type:[ \t]*multipart/", re.I | re.M)


def refuse_multipart_floods(raw: bytes, limits: Limits) -> None:
    """Refuse before parsing when the bytes declare far more multiparts than any real reply has.

    The stdlib parser takes about a second for 3,000 nested multiparts; a count of the
    declarations is instant. The exact depth check follows the parse (`check_structure`).
    """
    ceiling = 2 * max(limits.max_mime_depth, limits.max_attachments)
    count = 0
    for _ in MULTIPART_HEADER.finditer(raw):
        count += 1
        if count > ceiling:
            raise LimitExceeded(f"more than {ceiling} multipart sections: MIME nesting too deep or too many parts")


def read_mime(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:
        raise LimitExceeded("MIME nesting is too deep to parse") from None
    except Exception as exc:  # the stdlib parser is lenient; anything else is not an email
        raise UnreadableInput(f"could not read the input as an email ({type(exc).__name__})") from None


def looks_like_email(message: Message) -> bool:
    names = {name.lower() for name in message.keys()}
    return bool(names & EMAIL_HEADER_NAMES)


def check_structure(message: Message, limits: Limits) -> None:
    """Raise `LimitExceeded` for too deep a MIME tree or too many attachments (no recursion)."""
    attachments = 0
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, depth = stack.pop()
        if depth > limits.max_mime_depth:
            raise LimitExceeded(f"MIME nesting deeper than {limits.max_mime_depth} levels")
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))
        elif is_attachment(part) or part.get_content_type() not in ("text/plain", "text/html"):
            attachments += 1
            if attachments > limits.max_attachments:
                raise LimitExceeded(f"more than {limits.max_attachments} attachments")


# --------------------------------------------------------------------------- one message


@dataclass
class Described:
    """What one message (outer, or an attached original) says about itself."""

    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to_addresses: tuple[str, ...] = ()
    date: dt.datetime | None = None
    body_text: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    forwarded_parts: list[Message] = field(default_factory=list)  # message/rfc822 children
    defects: tuple[str, ...] = ()

    def to_parsed(
        self,
        outer_headers: dict[str, str],
        *,
        message_id: str | None = None,
        in_reply_to: str | None = None,
        references: tuple[str, ...] | None = None,
        forwarded_by: tuple[str, str] = ("", ""),
        defects: tuple[str, ...] | None = None,
    ) -> ParsedMessage:
        return ParsedMessage(
            message_id=self.message_id if message_id is None else message_id,
            in_reply_to=self.in_reply_to if in_reply_to is None else in_reply_to,
            references=self.references if references is None else references,
            subject=self.subject,
            from_name=self.from_name,
            from_address=self.from_address,
            to_addresses=self.to_addresses,
            date=self.date,
            body_text=self.body_text,
            body_html=self.body_html,
            attachments=tuple(self.attachments),
            forwarded_by_name=forwarded_by[0],
            forwarded_by_address=forwarded_by[1],
            outer_headers=outer_headers,
            defects=tuple(dict.fromkeys(self.defects if defects is None else defects)),
        )


def describe(message: Message, limits: Limits, hints: tuple[str, ...] = ()) -> Described:
    """Header fields (via mail-parser), body text and attachments of one message."""
    defects: list[str] = []
    fields = header_fields(message, defects)
    body_text, body_html, attachments, forwarded = collect_parts(message, limits, hints, defects)
    return Described(**fields, body_text=body_text, body_html=body_html, attachments=attachments,
                     forwarded_parts=forwarded, defects=tuple(defects))  # fmt: skip


def header_fields(message: Message, defects: list[str]) -> dict:
    """Subject, sender, recipients, date and ids; mail-parser first, the stdlib where it falls short."""
    try:
        parsed = mailparser.MailParser(message)
        defects.extend(sorted(parsed.defects_categories))
        mp_subject = parsed.subject
        mp_from = parsed.from_
        mp_to = parsed.to
        mp_date = parsed.date
    except Exception:  # mail-parser is a convenience here; the stdlib fallbacks below still work
        defects.append("MailParserFailed")
        mp_subject, mp_from, mp_to, mp_date = "", [], [], None

    subject = header_text(message.get("subject", ""))
    if not subject and mp_subject:
        subject = mp_subject[0] if isinstance(mp_subject, list) else str(mp_subject)
    from_name, from_address = first_address(message.get_all("from") or [], mp_from)
    if not from_address and message.get_unixfrom():  # mbox "From foi@example.com Wed May 28 ..." line
        found = EMAIL_ADDRESS.search(message.get_unixfrom())
        from_address = found.group(0).lower() if found else ""
    to_addresses = all_addresses([*(message.get_all("to") or []), *(message.get_all("cc") or [])], mp_to)

    date = parse_date(header_text(message.get("date", "")))
    if date is None and isinstance(mp_date, dt.datetime):
        date = mp_date if mp_date.tzinfo else mp_date.replace(tzinfo=dt.UTC)
    return {
        "message_id": message_id_of(message.get("message-id", "")),
        "in_reply_to": message_id_of(message.get("in-reply-to", "")),
        "references": tuple(re.findall(r"<[^<>\s]+>", header_text(message.get("references", "")))),
        "subject": subject,
        "from_name": from_name,
        "from_address": from_address,
        "to_addresses": to_addresses,
        "date": date,
    }


def collect_parts(
    message: Message, limits: Limits, hints: tuple[str, ...], defects: list[str]
) -> tuple[str, str, list[Attachment], list[Message]]:
    """The body text/HTML, attachments and attached messages of one message (not descending into those)."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    forwarded: list[Message] = []
    for part, in_report in leaf_parts(message):
        content_type = part.get_content_type()
        if content_type == "message/rfc822" or (content_type.startswith("message/") and part.is_multipart()):
            inner = embedded_message(part)
            if inner is not None and not in_report:
                forwarded.append(inner)
            elif inner is not None:
                attachments.append(as_attachment(inner))
            continue
        if is_tnef(part):
            unpack_tnef(part, plain, html, attachments, defects)
            continue
        if is_attachment(part) or content_type not in ("text/plain", "text/html"):
            attachment = attachment_of(part, len(attachments), limits, defects)
            if attachment is not None:
                attachments.append(attachment)
            continue
        text = part_text(part, hints, defects)
        if content_type == "text/plain" and "begin " in text:
            text = extract_uuencoded(text, attachments, defects)
        (html if content_type == "text/html" else plain).append(text)
    body_text = "\n\n".join(t.strip("\n") for t in plain if t.strip())
    body_html = "\n".join(h for h in html if h.strip())
    return body_text, body_html, attachments, forwarded


def leaf_parts(message: Message) -> Iterator[tuple[Message, bool]]:
    """Non-multipart parts in order, and whether each sits inside a multipart/report (a bounce)."""
    stack: list[tuple[Message, bool]] = [(message, False)]
    while stack:
        part, in_report = stack.pop()
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, list):
            in_report = in_report or part.get_content_subtype() == "report"
            stack.extend((child, in_report) for child in reversed(payload) if isinstance(child, Message))
        else:
            yield part, in_report


def embedded_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    if isinstance(payload, str) and payload.strip():
        try:
            return email.message_from_string(payload, policy=email.policy.compat32)
        except Exception:
            return None
    return None


def is_attachment(part: Message) -> bool:
    disposition = header_text(part.get("content-disposition")).split(";")[0].strip().lower()
    if disposition == "attachment" or part.get_param("filename", header="content-disposition"):
        return True
    return bool(part.get_param("name")) and part.get_content_maintype() != "text"


def attachment_of(part: Message, index: int, limits: Limits, defects: list[str]) -> Attachment | None:
    content_type = part.get_content_type()
    try:
        data = part.get_payload(decode=True) or b""
    except Exception:
        defects.append("AttachmentDecodeDefect")
        return None
    if content_type.startswith("text/") and not data:
        return None
    filename = attachment_name(part, index)
    if len(data) > limits.max_attachment_bytes:
        defects.append(f"AttachmentTooLarge: {filename}")
        return None
    return Attachment(filename=filename, content_type=content_type, data=data)


def attachment_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # RFC 2231 value the stdlib could not collapse
        name = email.utils.collapse_rfc2231_value(name)
    name = header_text(str(name)).replace("/", "_").replace("\\", "_").strip()
    if name:
        return name
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"attachment-{index + 1}{extension}"


# --------------------------------------------------------------------------- text decoding


def part_text(part: Message, hints: tuple[str, ...], defects: list[str]) -> str:
    """A text part decoded from its raw bytes, trying more charsets when the label lies."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    text, mislabelled = decode_bytes(data, part.get_content_charset(), hints)
    if mislabelled:
        defects.append("CharsetMislabelled")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normal_charset(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip('"').lower()
    label = CHARSET_ALIASES.get(label, label)
    try:
        import codecs

        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None, hints: tuple[str, ...] = ()) -> tuple[str, bool]:
    """Decode text bytes; returns (text, mislabelled). Never raises.

    Order: the declared charset (latin-1 read as cp1252), then UTF-8, then charsets seen in the
    message's encoded-word headers (a GB2312 subject hints at a GB2312 body with no label), then
    cp1252 with replacement characters.
    """
    declared = normal_charset(label)
    candidates: list[str] = []
    if declared and declared != "ascii":
        candidates.append(declared)
    candidates.append("utf-8")
    candidates.extend(h for h in (normal_charset(h) for h in hints) if h)
    for charset in dict.fromkeys(candidates):
        try:
            text = data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, bool(declared) and charset != declared and declared != "ascii"
    return data.decode("cp1252", errors="replace"), True


def decode_plain_text(data: bytes) -> str:
    """A bare letter's bytes: BOM-marked UTF-16/UTF-8, else UTF-8, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        text, _ = decode_bytes(data.removeprefix(b"\xef\xbb\xbf"), None)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def charset_hints(raw: bytes) -> tuple[str, ...]:
    """Charsets named in the header block's encoded words (=?GB2312?B?...?=)."""
    head = raw[:65536].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    found = re.findall(rb"=\?([A-Za-z0-9_.:-]{1,40})\?[QqBb]\?", head)
    return tuple(dict.fromkeys(f.decode("ascii").lower() for f in found))


def header_text(value) -> str:
    """A header value as readable text: encoded words decoded, 8-bit bytes recovered, folding undone."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        try:
            return " ".join(str(value).split())
        except Exception:
            value = value.encode()
    value = str(value)
    raw = value.encode("utf-8", errors="surrogateescape")
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in value):  # raw 8-bit header bytes
        value, _ = decode_bytes(raw, None)
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return " ".join(value.split())
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            chunk, _ = decode_bytes(chunk, charset)
        out.append(chunk)
    return " ".join("".join(out).split())


def header_map(message: Message) -> dict[str, str]:
    """The delivered message's headers: lower-case name -> decoded first value."""
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.strip().lower()
        if key and key not in headers:
            headers[key] = header_text(value)
    return headers


def message_id_of(value) -> str:
    text = header_text(value)
    match = re.search(r"<[^<>\s]+>", text)
    return match.group(0) if match else text.strip()


# --------------------------------------------------------------------------- addresses and dates


def split_address(value: str) -> tuple[str, str]:
    """(name, address) from "Name <a@b>", "Name [mailto:a@b]", "a@b (Name)", "a@b" or just "Name"."""
    value = value.replace("*", "").strip()
    found = EMAIL_ADDRESS.search(value)
    if not found:
        return value.strip(" \"'<>"), ""
    address = found.group(0).strip(".")
    name = value[: found.start()]
    name = re.sub(r"[<\[(]\s*(?:mailto:)?\s*$", "", name).strip(" \"',<>")
    if not name:
        trailing = re.search(r"\(([^()]+)\)\s*$", value[found.end() :])
        name = trailing.group(1).strip() if trailing else ""
    if name.lower() == address.lower():
        name = ""
    return name, address.lower() if address.isascii() else address


ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")


def written_addresses(value) -> list[tuple[str, str]]:
    """(decoded name, address) pairs read from the header *as written*.

    Addresses are split out before encoded words are decoded: an encoded word is only ever
    a display name, so `=?utf-8?q?=0D=0ABcc=3A_x=40evil.example?= <a@b>` is a@b with an odd
    name, never x@evil.example (decoding first would let the name smuggle in an address).
    """
    if isinstance(value, email.header.Header):
        return email.utils.getaddresses([header_text(value)])
    written = " ".join(str(value).split())
    pairs = email.utils.getaddresses([written])
    angle = ANGLE_ADDRESS.findall(written)
    before = written[: written.find("<")] if angle else ""
    if len(angle) == 1 and "," not in before and [a.lower() for _, a in pairs if a] != [angle[0].lower()]:
        # `alice@allowed.example <mallory@evil.example>`: the display-name spoof; the address is the <...>
        return [(header_text(before.strip(' "')), angle[0])]
    return [(header_text(name), address) for name, address in pairs]


def first_address(values: list, mp_values) -> tuple[str, str]:
    for value in values:
        for name, address in written_addresses(value):
            if address and "@" in address:
                return " ".join(name.split()), address.strip().lower()
        name, address = split_address(header_text(value))
        if address or name:
            return name, address
    for name, address in mp_values or []:
        if address:
            return name, address.lower()
    return "", ""


def all_addresses(values: list, mp_values) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        parsed = [a for _, a in written_addresses(value) if a and "@" in a]
        found.extend(parsed or EMAIL_ADDRESS.findall(header_text(value)))
    if not found:
        found = [a for _, a in (mp_values or []) if a]
    return tuple(dict.fromkeys(a.strip().strip("<>").lower() for a in found if "@" in a))


def parse_date(value: str, default_zone: dt.tzinfo | None = None) -> dt.datetime | None:
    """A timezone-aware datetime from an RFC 5322 Date or a client's "Sent:" line, else None.

    A date with no zone takes `default_zone` (the outer message's offset for a forward), else
    UK time: most replies this bot reads come from UK authorities.
    """
    text = " ".join(value.split())
    if not text:
        return None
    zone_word = re.search(r"\s\(?([A-Z]{1,5})\)?$", text)
    if zone_word and zone_word.group(1) in ZONE_OFFSETS:
        text = text[: zone_word.start()] + " " + ZONE_OFFSETS[zone_word.group(1)]
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        parsed = parse_loose_date(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone or UK_TIME)
    if not 1980 <= parsed.year <= 2100:
        return None
    return parsed


def parse_loose_date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    offset = None
    zone = re.search(r"\s*(?:GMT|UTC)?([+-])(\d{2}):?(\d{2})$", text)
    if zone:
        sign = 1 if zone.group(1) == "+" else -1
        offset = dt.timezone(sign * dt.timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3))))
        text = text[: zone.start()]
    cleaned = WEEKDAY.sub("", text)
    cleaned = ORDINAL.sub(r"\1", cleaned)
    cleaned = re.sub(r"\bat\b|,", " ", cleaned)
    cleaned = re.sub(r"(\d)\.(\d\d)\b(?!\.)", r"\1:\2", cleaned) if re.search(r"\d\.\d\d\s*[ap]m", cleaned, re.I) else cleaned
    cleaned = " ".join(cleaned.split())
    for pattern in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=offset) if offset else parsed
    return None


UUENCODED_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\n]{1,200})\n(.*?)(?:^end[ \t]*$|\Z)", re.M | re.S)


def extract_uuencoded(text: str, attachments: list[Attachment], defects: list[str]) -> str:
    """Files pasted into a plain body as "begin 644 name ... end" (old mailers); the stdlib ignores them."""
    import binascii

    def decode(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        data = bytearray()
        for line in match.group(2).splitlines():
            if not line or line in ("`", " "):
                continue
            try:
                data += binascii.a2b_uu(line)
            except (binascii.Error, ValueError):
                try:  # a line with trailing garbage: decode what its length byte says
                    count = (((ord(line[0]) - 32) & 63) * 4 + 2) // 3
                    data += binascii.a2b_uu(line[:count + 1])
                except (binascii.Error, IndexError, ValueError):
                    defects.append("UuencodeDefect")
                    break
        if not data:
            return match.group(0)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachments.append(Attachment(filename=name.replace("/", "_"), content_type=content_type, data=bytes(data)))
        return ""

    return UUENCODED_BLOCK.sub(decode, text)


# --------------------------------------------------------------------------- TNEF


def is_tnef(part: Message) -> bool:
    name = (attachment_name(part, 0) or "").lower()
    return part.get_content_type() in ("application/ms-tnef", "application/vnd.ms-tnef") or name == "winmail.dat"


def unpack_tnef(part: Message, plain: list[str], html: list[str], attachments: list[Attachment], defects: list[str]) -> None:
    """Outlook's winmail.dat: its body and files join the message's; a corrupt one is skipped."""
    from tnefparse import TNEF

    try:
        data = part.get_payload(decode=True) or b""
        tnef = TNEF(data, do_checksum=False)
    except Exception:
        defects.append("TNEFUnreadable")
        return
    try:
        if not (tnef.body or tnef.htmlbody or tnef.attachments):
            defects.append("TNEFEmpty")
        if tnef.body and not any(p.strip() for p in plain):
            body = tnef.body
            plain.append(body if isinstance(body, str) else decode_bytes(body.rstrip(b"\0"), None)[0])
        if tnef.htmlbody and not any(h.strip() for h in html):
            body = tnef.htmlbody
            html.append(body if isinstance(body, str) else decode_bytes(body.rstrip(b"\0"), None)[0])
        for index, item in enumerate(tnef.attachments):
            try:
                name = item.long_filename() or item.name
            except Exception:
                name = ""
            name = (name or f"tnef-attachment-{index + 1}.bin").strip("\0").strip() or f"tnef-attachment-{index + 1}.bin"
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if item.data:
                attachments.append(Attachment(filename=name, content_type=content_type, data=bytes(item.data)))
    except Exception:
        defects.append("TNEFUnreadable")


# --------------------------------------------------------------------------- forwards


def find_forwarded_original(
    message: Message, outer: Described, limits: Limits, raw: bytes
) -> tuple[Described | None, tuple[str, str]]:
    """The forwarded original (attached or inline) and (name, address) of who forwarded it."""
    forwarder = (outer.from_name, outer.from_address)
    if is_automatic(message):
        return None, ("", "")  # a bounce quoting the message it returns is not a forward
    if outer.forwarded_parts:
        inner_message = outer.forwarded_parts[0]
        original = describe(inner_message, limits, charset_hints(raw))
        if is_attached_forward(outer, original):
            original.attachments = original.attachments + outer.attachments
            nested = unwrap_inline_forwards(original, original, levels=MAX_FORWARD_LEVELS - 1)
            return nested or original, forwarder
        # an authority's reply that attaches an earlier message (often the request itself)
        outer.attachments = outer.attachments + [as_attachment(m) for m in outer.forwarded_parts]
        return None, ("", "")

    original = unwrap_inline_forwards(outer, outer, levels=MAX_FORWARD_LEVELS)
    return original, forwarder if original is not None else ("", "")


def is_attached_forward(outer: Described, inner: Described) -> bool:
    """Whether an attached message/rfc822 is a forward of it rather than a reply carrying it.

    A "Fwd:" subject settles it. Otherwise the attached message must not be the recipient's
    own (an authority attaching the requester's request) and the outer body must be short.
    """
    if FORWARD_SUBJECT.match(outer.subject):
        return True
    if inner.from_address and inner.from_address in outer.to_addresses:
        return False
    return len(outer.body_text.strip() or html_as_text(outer.body_html).strip()) <= 4 * SHORT_FORWARD_NOTE


def as_attachment(message: Message) -> Attachment:
    subject = header_text(message.get("subject")) or "attached message"
    name = re.sub(r"[^\w .,()-]+", "_", subject)[:80].strip() or "attached message"
    try:
        data = message.as_bytes(policy=email.policy.compat32.clone(linesep="\n"))
    except Exception:
        data = b""
    return Attachment(filename=f"{name}.eml", content_type="message/rfc822", data=data)


def is_automatic(message: Message) -> bool:
    """Bounces and auto-replies (RFC 3834, DSNs, mailer daemons) carry messages; they never forward one."""
    auto_submitted = (header_text(message.get("auto-submitted")) or "no").strip().lower()
    return_path = message.get("return-path")
    return_path = None if return_path is None else header_text(return_path)
    sender = header_text(message.get("from")).lower()
    return (
        auto_submitted != "no"
        or message.get("x-failed-recipients") is not None
        or (return_path is not None and return_path.strip() in ("<>", ""))
        or any(name in sender for name in ("mailer-daemon", "postmaster@"))
        or message.get_content_type() == "multipart/report"
    )


def unwrap_inline_forwards(message: Described, outer: Described, levels: int) -> Described | None:
    """Follow inline forwards (a forward of a forward...) down to the first non-forward."""
    found = None
    current = message
    for _ in range(levels):
        inner = split_inline_forward(current, outer)
        if inner is None:
            break
        found = current = inner
    return found


def split_inline_forward(message: Described, outer: Described) -> Described | None:
    text = message.body_text or (html_as_text(message.body_html) if message.body_html else "")
    if not text.strip():
        return None
    marker_end, block_start = find_forward_marker(text, message, outer)
    if marker_end is None:
        return None
    headers, body = read_quoted_headers(text[block_start:])
    if "from" not in headers and "subject" not in headers:
        return None
    from_name, from_address = split_address(headers.get("from", ""))
    zone = outer.date.tzinfo if outer.date else None
    date = parse_date(headers.get("sent") or headers.get("date") or "", zone)
    subject = headers.get("subject") or FORWARD_SUBJECT.sub("", message.subject).strip()
    to_text = " ".join(v for k, v in headers.items() if k in ("to", "cc"))
    to_addresses = tuple(dict.fromkeys(a.lower() for a in EMAIL_ADDRESS.findall(to_text))) or message.to_addresses
    return Described(
        message_id="",
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        to_addresses=to_addresses,
        date=date or message.date,
        body_text=unquote(body).strip("\n"),
        body_html="",
        attachments=list(message.attachments),
        defects=message.defects,
    )


def find_forward_marker(text: str, message: Described, outer: Described) -> tuple[int | None, int]:
    """(end of the marker line, start of the quoted header block), or (None, 0).

    "Forwarded message" markers always mean a forward. A quoted reply header ("Original
    Message", a From:/Sent: block) means one only when the subject is not a reply's ("RE:"),
    little is written above it, and the quoted sender is not the requester (someone quoting
    the requester's own message is replying to it).
    """
    explicit = [m for m in (p.search(text) for p in EXPLICIT_FORWARD_MARKERS) if m]
    if explicit:
        first = min(explicit, key=lambda m: m.start())
        return first.end(), first.end()
    subject = message.subject or outer.subject
    forward_subject = bool(FORWARD_SUBJECT.match(subject))
    if REPLY_SUBJECT.match(subject) and not forward_subject:
        return None, 0
    found = [m for m in (p.search(text) for p in REPLY_MARKERS) if m]
    if not found:
        return None, 0
    match = min(found, key=lambda m: m.start())
    note = text[: match.start()].strip()
    if not forward_subject and len(note) > SHORT_FORWARD_NOTE:
        return None, 0  # a reply with the earlier thread quoted below it, not a forward
    block_start = match.start() if match.group(0).lstrip(" \t>*").lower().startswith("from:") else match.end()
    headers, _ = read_quoted_headers(text[block_start:])
    _, quoted_from = split_address(headers.get("from", ""))
    own = {outer.from_address, message.from_address, *outer.to_addresses, *message.to_addresses} - {""}
    if quoted_from and quoted_from in own and not forward_subject:
        return None, 0
    if quoted_from and quoted_from == outer.from_address:
        return None, 0
    return match.end(), block_start


def read_quoted_headers(text: str) -> tuple[dict[str, str], str]:
    """Parse the "From: / Sent: / To: / Subject:" block at the top of `text`; return (headers, rest)."""
    headers: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip(" \t>"):
        index += 1
    last_key = ""
    while index < len(lines):
        line = lines[index]
        match = QUOTED_HEADER.match(line)
        if match:
            last_key = match.group(1).lower()
            headers.setdefault(last_key, match.group(2).strip().replace("*", ""))
        elif not line.strip(" \t>"):
            if headers:
                break
        elif last_key in ("to", "cc", "from") and len(line) < 200 and ("@" in line or line.rstrip().endswith(";")):
            headers[last_key] += " " + line.strip(" \t>")  # a wrapped recipient list
        else:
            break
        index += 1
    return headers, "\n".join(lines[index:])


def unquote(text: str) -> str:
    """Strip one level of "> " when every non-blank line of a forwarded body is quoted."""
    lines = text.split("\n")
    content = [line for line in lines if line.strip()]
    if content and all(line.lstrip().startswith(">") for line in content):
        return "\n".join(re.sub(r"^\s*> ?", "", line) for line in lines)
    return text


def html_as_text(html: str) -> str:
    try:
        return html_to_text(html)
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
