"""Hostile payloads built at test time (cheaply), and a worker harness for the robustness tests.

Every person, authority and address here is invented.
"""

from __future__ import annotations

import os
import threading
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from bot.service.commands import build_worker
from bot.service.state import State
from tests.service.helpers import FORWARDER, drop_into_maildir, settings_for, write_config
from tests.service.mails import authority_reply, forward


# ---------------------------------------------------------------- PDFs written by hand


def pdf_document(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF from numbered object bodies (object i+1 = objects[i]) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def many_pages_pdf(pages: int) -> bytes:
    """`pages` pages sharing one small content stream: 5,000 pages in about 300 KB, in milliseconds."""
    text = b"BT /F1 12 Tf 72 720 Td (Freedom of Information response, page of a very long bundle.) Tj ET"
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    objects += [page] * pages
    return pdf_document(objects)


def self_referencing_pdf() -> bytes:
    """A page tree whose Pages node lists itself among its kids, and a page that is its own parent."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R 2 0 R] /Count 3 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 3 0 R >>",
        b"<< /Length 4 0 R >>\nstream\nBT ET\nendstream",
    ]
    return pdf_document(objects)


def flate_bomb_pdf(megabytes: int) -> bytes:
    """One page whose content stream inflates from ~3 KB per MB to `megabytes` MB (a decompression bomb)."""
    import zlib

    compressor = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n" * 32768  # ~1 MB of drawing commands
    stream = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_document(objects)


# ---------------------------------------------------------------- emails


def reply_with(attachments: list[tuple[str, bytes, str]], *, message_id: str, body: str | None = None) -> EmailMessage:
    """An authority's reply (invented council) carrying the given attachments."""
    reply = EmailMessage(policy=SMTP)
    reply["From"] = "Eastbridge District Council <foi@eastbridge-dc.example>"
    reply["To"] = f"Adaeze Okafor <{FORWARDER}>"
    reply["Subject"] = "FOI 2026/0999 - your request"
    reply["Date"] = "Tue, 03 Nov 2026 14:02:11 +0000"
    reply["Message-ID"] = message_id
    reply.set_content(body or "Dear Ms Okafor,\n\nPlease find our response attached.\n\nInformation Team\n")
    for name, data, content_type in attachments:
        maintype, subtype = content_type.split("/", 1)
        reply.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return reply


def forwarded(reply: EmailMessage, forward_id: str, **options) -> bytes:
    return forward(reply, message_id=forward_id, **options)


def good_forward(forward_id: str = "<good-after-attacks@mail.example>") -> bytes:
    return forward(authority_reply(), message_id=forward_id)


# ---------------------------------------------------------------- worker harness


class Harness:
    """A Maildir-in, Maildir-out worker on real settings; `run_once()` is one `foibot run --once`."""

    def __init__(self, tmp_path: Path, triager, *, extra: str = "", dnsfunc=None) -> None:
        self.config = write_config(tmp_path / "foibot.toml", data_dir=tmp_path / "data", extra=extra)
        self.settings = settings_for(self.config)
        self.triager = with_limits(triager, self.settings.limits)
        self.dnsfunc = dnsfunc
        self.dropped = 0

    def drop(self, raw: bytes, name: str | None = None) -> None:
        self.dropped += 1
        drop_into_maildir(self.settings.inbox_path, name or f"{self.dropped:04d}.test", raw)

    def worker(self, stop: threading.Event | None = None):
        worker = build_worker(self.settings, stop or threading.Event(), once=True, triager=self.triager)
        worker.dnsfunc = self.dnsfunc
        return worker

    def run_once(self) -> int:
        worker = self.worker()
        try:
            return worker.run(once=True)
        finally:
            worker.state.close()

    def state(self) -> State:
        return State(self.settings.state_file)

    def rows(self) -> dict[str, dict]:
        """message_id -> {status, reason, attempts, last_error} for every recorded message."""
        state = self.state()
        try:
            rows = state.db.execute("SELECT message_id, key, status, reason, attempts, last_error FROM messages").fetchall()
            return {row["message_id"] or row["key"]: dict(row) for row in rows}
        finally:
            state.close()

    def summaries(self):
        from tests.service.helpers import outbox_messages

        return outbox_messages(self.settings.outbox_path)


def with_limits(triager, limits):
    """The session's Triager under these settings' `[limits]`, as `build_worker` would make it
    (`Triager(limits=settings.limits)`), sharing the loaded rules and spaCy model."""
    from bot.triage import Triager

    if not isinstance(triager, Triager):
        if hasattr(triager, "real"):
            triager.real = with_limits(triager.real, limits)
        return triager
    from bot.stages.entities import EntityTagger

    limited = Triager(rulebook=triager.rulebook, limits=limits)
    tagger = EntityTagger(triager.rulebook, max_chars=limits.max_nlp_chars)
    tagger.__dict__["nlp"] = triager.tagger.nlp  # functools.cached_property's slot: reuse the loaded model
    limited.__dict__["tagger"] = tagger
    return limited
