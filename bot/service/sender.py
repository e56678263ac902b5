"""Compose the summary email and hand it to a transport (an outbox Maildir, or SMTP).

The summary is composed once, when its message is triaged, and stored as bytes in the
outbox table; transports only deliver those bytes. That is what makes a re-send after a
crash byte-identical, and the Maildir transport idempotent (file name = hash of the
summary's Message-ID).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import smtplib
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from bot.config import SmtpSettings

MAX_SUBJECT_CHARS = 180
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")
FORWARD_PREFIX = re.compile(r"^\s*((fwd?|fw|tr|wg|re|aw)\s*:\s*)+", re.IGNORECASE)
MSGID = re.compile(r"<[^<>\s]+>")


class SendError(Exception):
    """Delivery failed; `permanent` errors are never retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    def send(self, rfc822: bytes, sender: str, recipient: str, summary_id: str) -> None: ...


# ---------------------------------------------------------------- compose


def single_line(text: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """Text from an untrusted email made safe for a header: no CR/LF or controls, bounded length."""
    text = CONTROL_CHARS.sub(" ", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def outcome_words(outcome: str) -> str:
    """`partial_disclosure` -> `Partial disclosure`."""
    words = str(outcome).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Other"


def summary_subject(outcome: str, original_subject: str, outcome_label: str = "") -> str:
    original = single_line(FORWARD_PREFIX.sub("", original_subject or ""))
    head = f"FOI reply summary: {single_line(outcome_label, 60) or outcome_words(outcome)}"
    return f"{head} — {original}" if original else head


MSGID_TAG = "foibot"


def summary_message_id_suffix(from_address: str) -> str:
    """How every summary's Message-ID ends, e.g. `.foibot@example.org>` (lower-cased)."""
    return f".{MSGID_TAG}@{from_address.rpartition('@')[2]}>".lower()


def message_id_of(value: str) -> str:
    """The first well-formed `<id>` in a header value, or ''."""
    match = MSGID.search(value or "")
    return match.group(0) if match else ""


def make_address(address: str, name: str = "") -> Address:
    """An `Address`; a non-ASCII display name is RFC 2047-encoded by the SMTP policy."""
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain or CONTROL_CHARS.search(address):
        raise ValueError("not a usable email address")
    return Address(display_name=single_line(name, 120), username=local, domain=domain)


def compose_summary(
    *,
    outcome: str,
    original_subject: str,
    text: str,
    html: str,
    from_address: str,
    from_name: str,
    recipient: str,
    recipient_name: str = "",
    in_reply_to: str = "",
    references: tuple[str, ...] = (),
    outcome_label: str = "",
) -> EmailMessage:
    """The summary email of DESIGN.md: threading headers, RFC 3834 marker, text + HTML."""
    message = EmailMessage(policy=SMTP)
    message["From"] = make_address(from_address, from_name)
    message["To"] = make_address(recipient, recipient_name)
    message["Subject"] = summary_subject(outcome, original_subject, outcome_label)
    message["Date"] = format_datetime(_now(), usegmt=True)
    message["Message-ID"] = make_msgid(idstring=MSGID_TAG, domain=from_address.rpartition("@")[2] or None)
    parent = message_id_of(in_reply_to)
    chain = [mid for mid in (message_id_of(r) for r in references) if mid]
    if parent:
        message["In-Reply-To"] = parent
        chain.append(parent)
    if chain:
        message["References"] = " ".join(dict.fromkeys(chain))
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Foibot-Outcome"] = single_line(str(outcome), 40)
    message.set_content(text or "", subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html or "", subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- transports


class MaildirTransport:
    """Writes each summary into a Maildir (`new/`), once: the file name is derived from its Message-ID."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def file_name(summary_id: str) -> str:
        return "foibot-" + hashlib.sha256(summary_id.encode()).hexdigest()[:40]

    def already_delivered(self, name: str) -> bool:
        if (self.path / "new" / name).exists():
            return True
        return any(entry.name.split(":", 1)[0] == name for entry in os.scandir(self.path / "cur"))

    def send(self, rfc822: bytes, sender: str, recipient: str, summary_id: str) -> None:
        name = self.file_name(summary_id)
        if self.already_delivered(name):
            return
        temporary = self.path / "tmp" / f"{name}.{os.getpid()}"
        try:
            with open(temporary, "wb") as handle:
                handle.write(rfc822)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path / "new" / name)
        except OSError as exc:
            raise SendError(f"outbox Maildir write failed: {exc.strerror or exc}") from exc


class SmtpTransport:
    """smtplib with verified TLS (SSL or STARTTLS); plaintext only to localhost (checked in config)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.tls == "starttls":
                client.starttls(context=self._tls_context())
        if s.username:
            client.login(s.username, s.password.get_secret_value())
        return client

    def send(self, rfc822: bytes, sender: str, recipient: str, summary_id: str) -> None:
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP login refused ({exc.smtp_code})") from exc
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise SendError(f"SMTP connection failed: {_describe(exc)}") from exc
        try:
            client.sendmail(sender, [recipient], rfc822)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(f"SMTP refused the recipient ({codes})", permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPDataError as exc:
            raise SendError(f"SMTP refused the message ({exc.smtp_code})", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP send failed: {_describe(exc)}") from exc
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.__class__.__name__} {exc.smtp_code}"
    return exc.__class__.__name__ + (f" ({exc.strerror})" if isinstance(exc, OSError) and exc.strerror else "")


def build_transport(settings) -> Transport:
    """The transport named by `[send] kind`."""
    if settings.send.kind == "smtp":
        return SmtpTransport(settings.smtp)
    return MaildirTransport(settings.outbox_path)
