"""Extract stage: a `ParsedMessage` (or a bare document) -> the `Letter` the classifier reads.

The decision is often not in the email at all but in an attached PDF or DOCX, with the body a
one-line cover note. So the letter text is the body plus the text of every attachment that is a
letter (PDF via pypdfium2, DOCX via python-docx, plain text, HTML via inscriptis, RTF), each
piece under a separator line and recorded as a `TextSource`. When the body is only a cover note,
the attachment comes first: the decision is there. `Letter.text` is the same with quoted
material folded away (`quotes.fold_quotes`, rules in `rules/folding.toml`).

Attachments are untrusted: a DOCX's zip is measured before it is opened (zip bombs), PDFs are
read up to `Limits.max_pdf_pages`, and a document that cannot be read becomes a warning on the
letter, never a crash.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from inscriptis import get_text as html_to_text

from bot.errors import UnreadableInput
from bot.model import LimitExceeded, Letter, Limits, ParsedMessage, TextSource
from bot.rulebook import load_rulebook
from bot.stages.quotes import fold_quotes

NO_TEXT_LAYER = "no text layer (scanned image?)"
ENCRYPTED = "encrypted: text could not be read"
MIN_TEXT_CHARS = 20  # fewer readable characters than this and a PDF page set counts as image-only
LINE_GAP_FOR_PARAGRAPH = 1.5  # a vertical gap this many line heights apart starts a new paragraph

HTML_START = re.compile(rb"^\s*(?:<!doctype html|<html|<head|<body|<div|<p[ >]|<table)", re.I)
LETTER_SUFFIXES = {".pdf": "pdf", ".docx": "docx", ".txt": "text", ".text": "text", ".htm": "html",
                   ".html": "html", ".rtf": "rtf", ".eml": None}  # fmt: skip


@dataclass(frozen=True)
class Piece:
    """One stretch of letter text and where it came from."""

    text: str
    source: TextSource
    warning: str = ""


# --------------------------------------------------------------------------- entry points


def extract_letter(message: ParsedMessage, limits: Limits | None = None) -> Letter:
    """The letter in a parsed email: its body and every attachment that holds text."""
    limits = limits or Limits()
    folding = load_rulebook().folding
    body = body_piece(message)
    attached = [attachment_piece(a.data, a.filename, a.content_type, limits) for a in message.attachments]
    readable = [p for p in attached if p.text.strip()]

    if readable and is_cover_note(body.text, folding):
        ordered = [*attached, body]
    else:
        ordered = [body, *attached]
    ordered = [p for p in ordered if p.text.strip() or p.source.note]
    return assemble(
        ordered,
        limits,
        folding,
        subject=message.subject,
        sender_name=message.from_name,
        sender_address=message.from_address,
        recipient_addresses=message.to_addresses,
        sent=message.date.date() if message.date else None,
    )


def letter_from_document(data: bytes, filename: str, limits: Limits | None = None) -> Letter:
    """A letter given as a file: PDF, DOCX, plain text or HTML (sniffed, not trusted by suffix)."""
    limits = limits or Limits()
    if not data.strip():
        raise UnreadableInput("the input is empty")
    if len(data) > limits.max_message_bytes:
        raise LimitExceeded(f"document is {len(data)} bytes, over the limit of {limits.max_message_bytes}")
    kind = document_kind(data, filename)
    if kind is None:
        raise UnreadableInput(f"{filename or 'the input'} is binary data: not an email or a letter")
    if kind == "docx_broken":
        raise UnreadableInput(f"{filename or 'the input'} is a damaged Word document")
    piece = read_piece(data, filename, kind, limits)
    if piece.source.note == ENCRYPTED and not piece.text.strip():
        raise UnreadableInput(f"{filename or 'the PDF'} is encrypted: its text cannot be read")
    return assemble([piece], limits, load_rulebook().folding)


def sniff_document(data: bytes) -> str | None:
    """"pdf" or "docx" by magic bytes; None means: treat it as an email or plain text."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return None
    return None


# --------------------------------------------------------------------------- assembling


def assemble(pieces: list[Piece], limits: Limits, folding: dict, **fields) -> Letter:
    """Join pieces under separator lines, fold quotes, cap the length."""
    multiple = len([p for p in pieces if p.text.strip()]) > 1
    blocks = []
    for piece in pieces:
        if not piece.text.strip():
            continue
        blocks.append(f"{separator(piece.source)}\n{piece.text.strip()}" if multiple else piece.text.strip())
    full_text = "\n\n".join(blocks) + ("\n" if blocks else "")
    warnings = [p.warning for p in pieces if p.warning]
    if len(full_text) > limits.max_text_chars:
        full_text = full_text[: limits.max_text_chars]
        warnings.append(f"The letter was longer than {limits.max_text_chars} characters; only the start was read.")
    text = fold_quotes(full_text, folding)[: limits.max_text_chars] if full_text else ""
    if multiple:
        text = re.sub(r"^\[(?:Email body|Attachment: .*)\]\n(?=\[|\Z)", "", text, flags=re.M)  # pieces folded to nothing
    unread = tuple(p.source.name or p.source.kind for p in pieces if p.warning and not p.text.strip())
    return Letter(text=text, full_text=full_text, sources=tuple(p.source for p in pieces),
                  warnings=tuple(dict.fromkeys(warnings)), unread=unread, **fields)  # fmt: skip


def separator(source: TextSource) -> str:
    """The line above each piece; `rules/folding.toml` `section_separator` must match it."""
    if source.kind in ("body", "html") and not source.name:
        return "[Email body]"
    return f"[Attachment: {source.name or source.kind}]"


def is_cover_note(body: str, folding: dict) -> bool:
    """A short body that points at an attachment ("Please find attached our response")."""
    rules = folding.get("cover_note", {})
    folded = fold_quotes(body, folding) if body.strip() else ""
    if len(folded.strip()) > int(rules.get("max_chars", 1500)):
        return False
    if len(folded.split()) < 40:
        return True
    return any(re.search(p, folded, re.I) for p in rules.get("patterns", ()))


# --------------------------------------------------------------------------- body


STUB_PLAIN_CHARS = 200  # a plain part this short beside a rich HTML part is a "view in HTML" stub


def body_piece(message: ParsedMessage) -> Piece:
    if message.body_text.strip():
        text = normalise(message.body_text)
        if len(text) < STUB_PLAIN_CHARS and message.body_html.strip():
            html = normalise(html_text(message.body_html))
            if len(html) > 3 * max(len(text), STUB_PLAIN_CHARS):
                return Piece(html, TextSource(kind="html", chars=len(html), note="plain part was a stub; read the HTML"))
        return Piece(text, TextSource(kind="body", chars=len(text)))
    if message.body_html.strip():
        text = normalise(html_text(message.body_html))
        return Piece(text, TextSource(kind="html", chars=len(text), note="converted from HTML"))
    return Piece("", TextSource(kind="body", chars=0))


# --------------------------------------------------------------------------- attachments


def attachment_piece(data: bytes, filename: str, content_type: str, limits: Limits) -> Piece:
    """The text of one attachment if it is a letter-like document; a note for one that is not."""
    kind = attachment_kind(data, filename, content_type)
    if kind is None:
        return unread_attachment(filename, content_type)
    if kind == "docx_broken":
        return Piece("", TextSource(kind="docx", name=filename, note="damaged Word document"),
                     warning=f"The attachment {filename} looks like a Word document but could not be opened.")  # fmt: skip
    try:
        return read_piece(data, filename, kind, limits)
    except LimitExceeded:
        raise
    except Exception as exc:  # one unreadable attachment must not lose the rest of the letter
        return Piece("", TextSource(kind=kind, name=filename, note=f"unreadable ({type(exc).__name__})"),
                     warning=f"The attachment {filename or kind} could not be read.")  # fmt: skip


UNSUPPORTED_LETTER_FORMATS = {".doc": "Word 97-2003", ".odt": "OpenDocument", ".pages": "Apple Pages", ".wpd": "WordPerfect", ".msg": "Outlook message"}


def unread_attachment(filename: str, content_type: str) -> Piece:
    """Listed in the sources so the summary can say what else came; a letter we cannot read is a warning."""
    suffix = suffix_of(filename)
    if suffix in UNSUPPORTED_LETTER_FORMATS:
        label = UNSUPPORTED_LETTER_FORMATS[suffix]
        return Piece("", TextSource(kind="attachment", name=filename, note=f"not read: {label} format"),
                     warning=f"The attachment {filename} ({label}) could not be read; open it yourself.")  # fmt: skip
    return Piece("", TextSource(kind="attachment", name=filename, note=f"not read: {content_type}"))


def attachment_kind(data: bytes, filename: str, content_type: str) -> str | None:
    sniffed = sniff_document(data)
    if sniffed:
        return sniffed
    suffix = suffix_of(filename)
    if suffix == ".docx" or content_type.endswith("wordprocessingml.document"):
        return "docx_broken"
    if suffix == ".pdf" or content_type == "application/pdf":
        return "pdf"  # unreadable PDFs are reported by read_pdf
    if data.lstrip()[:5] == b"{\\rtf" or suffix == ".rtf" or content_type in ("application/rtf", "text/rtf"):
        return "rtf"
    if suffix in (".htm", ".html") or content_type == "text/html":
        return "html"
    if suffix in (".txt", ".text") or content_type == "text/plain":
        return "text"
    return None


def document_kind(data: bytes, filename: str) -> str | None:
    """Kind of a stand-alone document: sniffed first, then text (HTML or plain) unless it is binary."""
    sniffed = sniff_document(data)
    if sniffed:
        return sniffed
    if data.startswith(b"PK\x03\x04") and suffix_of(filename) == ".docx":
        return "docx_broken"
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if looks_binary(data):
        return None
    if suffix_of(filename) in (".htm", ".html") or HTML_START.match(data[:1024]):
        return "html"
    return "text"


def read_piece(data: bytes, filename: str, kind: str, limits: Limits) -> Piece:
    if kind == "pdf":
        return read_pdf(data, filename, limits)
    if kind == "docx":
        return read_docx(data, filename, limits)
    if kind == "rtf":
        text = normalise(rtf_text(decode_text(data)))
        return Piece(text, TextSource(kind="rtf", name=filename, chars=len(text)))
    if kind == "html":
        text = normalise(html_text(decode_text(data)))
        return Piece(text, TextSource(kind="html", name=filename, chars=len(text)))
    text = normalise(decode_text(data))
    return Piece(text, TextSource(kind="text", name=filename, chars=len(text)))


# --------------------------------------------------------------------------- PDF


def read_pdf(data: bytes, filename: str, limits: Limits) -> Piece:
    """Text of a PDF with paragraph breaks restored from the gaps between lines."""
    import pypdfium2 as pdfium

    label = filename or "the PDF"
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower() or "security" in str(exc).lower():
            return Piece("", TextSource(kind="pdf", name=filename, note=ENCRYPTED),
                         warning=f"{label} is encrypted; its text could not be read.")  # fmt: skip
        return Piece("", TextSource(kind="pdf", name=filename, note="damaged PDF"),
                     warning=f"{label} could not be opened as a PDF.")  # fmt: skip
    except Exception:
        return Piece("", TextSource(kind="pdf", name=filename, note="damaged PDF"),
                     warning=f"{label} could not be opened as a PDF.")  # fmt: skip
    warning = ""
    try:
        pages = len(document)
        # a service-level hard limit (bot.config.ServiceLimits): thousands of pages is an attack, not a letter
        hard_limit = getattr(limits, "max_pdf_document_pages", 0)
        if hard_limit and pages > hard_limit:
            raise LimitExceeded(f"{label} has {pages} pages, over the limit of {hard_limit}")
        readable = min(pages, limits.max_pdf_pages)
        if pages > readable:
            warning = f"{label} has {pages} pages; only the first {readable} were read."
        texts = []
        for index in range(readable):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(page_text(textpage))
                finally:
                    textpage.close()
            finally:
                page.close()
    except LimitExceeded:
        raise
    except Exception:
        return Piece("", TextSource(kind="pdf", name=filename, note="damaged PDF"),
                     warning=f"{label} could not be read as a PDF.")  # fmt: skip
    finally:
        document.close()
    text = normalise(join_pages(texts))
    if len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS:
        return Piece("", TextSource(kind="pdf", name=filename, chars=0, note=NO_TEXT_LAYER),
                     warning=f"The text of {label} could not be read: it has no text layer (a scanned image?).")  # fmt: skip
    note = f"{readable} of {pages} pages" if pages > readable else ""
    return Piece(text, TextSource(kind="pdf", name=filename, chars=len(text), note=note), warning=warning)


def join_pages(texts: list[str]) -> str:
    """Join page texts; a sentence running over a page break is not a new paragraph."""
    out = ""
    for text in (t.strip() for t in texts):
        if not text:
            continue
        if out and not re.search(r"[.:;!?)\]”\"]$", out) and text[:1].islower():
            out += "\n" + text
        else:
            out += ("\n\n" if out else "") + text
    return out


def page_text(textpage) -> str:
    """One page's text, line by line, with a blank line where the vertical gap says "new paragraph".

    pdfium returns lines without the blank lines between paragraphs, and paragraph breaks are
    what the quote folding and the classifier's evidence quotes rely on.
    """
    count = textpage.count_rects()
    if count <= 0:
        return textpage.get_text_range() or ""
    lines: list[tuple[float, float, list[tuple[float, str]]]] = []  # (top, bottom, [(left, text)])
    for index in range(count):
        left, bottom, right, top = textpage.get_rect(index)
        text = textpage.get_text_bounded(left, bottom, right, top)
        if not text.strip():
            continue
        if lines and abs(lines[-1][0] - top) < (top - bottom) * 0.5:
            lines[-1][2].append((left, text))
        else:
            lines.append((top, bottom, [(left, text)]))
    heights = sorted(top - bottom for top, bottom, _ in lines if top > bottom)
    line_height = heights[len(heights) // 2] if heights else 12.0
    out: list[str] = []
    previous_bottom = None
    for top, bottom, segments in lines:
        if previous_bottom is not None and previous_bottom - top > line_height * (LINE_GAP_FOR_PARAGRAPH - 1):
            out.append("")
        out.append(" ".join(t.strip() for _, t in sorted(segments)))
        previous_bottom = bottom
    return "\n".join(out)


# --------------------------------------------------------------------------- DOCX


def read_docx(data: bytes, filename: str, limits: Limits) -> Piece:
    label = filename or "the Word document"
    check_zip(data, label, limits)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        text = normalise(docx_text(document))
    except LimitExceeded:
        raise
    except Exception:
        return Piece("", TextSource(kind="docx", name=filename, note="damaged Word document"),
                     warning=f"{label} could not be read as a Word document.")  # fmt: skip
    return Piece(text, TextSource(kind="docx", name=filename, chars=len(text)))


def check_zip(data: bytes, label: str, limits: Limits) -> None:
    """Refuse a zip whose declared contents are too big or too compressed (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(max(info.file_size, 0) for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return  # python-docx reports it as damaged
    if total > limits.max_docx_uncompressed_bytes:
        raise LimitExceeded(f"{label} unpacks to {total} bytes, over the limit of {limits.max_docx_uncompressed_bytes}")
    if total / max(len(data), 1) > limits.max_docx_ratio:
        raise LimitExceeded(f"{label} is compressed {total / max(len(data), 1):.0f}:1, over the limit of {limits.max_docx_ratio:.0f}:1")


def docx_text(document) -> str:
    """Header, then body paragraphs and table rows in document order (tables are not in .paragraphs)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    seen_header: set[str] = set()
    for section in document.sections:
        for paragraph in section.header.paragraphs:
            line = paragraph.text.strip()
            if line and line not in seen_header:
                seen_header.add(line)
                blocks.append(line)
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(Paragraph(child, document).text)
        elif tag == "tbl":
            blocks.append(table_text(Table(child, document)))
    return "\n\n".join(b for b in (block.strip() for block in blocks) if b)


def table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # a merged cell repeats across the columns it spans
                cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


# --------------------------------------------------------------------------- text helpers


def decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def html_text(html: str) -> str:
    try:
        return html_to_text(html)
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)


RTF_CONTROL = re.compile(r"\\(?:'([0-9a-fA-F]{2})|u(-?\d+) ?\??|([a-zA-Z]+)(-?\d+)? ?|(.))", re.S)
RTF_SKIP_GROUPS = re.compile(r"\\(?:\*|fonttbl|colortbl|stylesheet|info|pict|object|header|footer|themedata|latentstyles)")


def rtf_text(rtf: str) -> str:
    """Plain text of simple RTF (paragraphs, \\'hh and \\uN escapes); good enough for letters."""
    out: list[str] = []
    skip_depth: int | None = None
    depth = 0
    index = 0
    length = len(rtf)
    while index < length:
        char = rtf[index]
        if char == "{":
            depth += 1
            if skip_depth is None and RTF_SKIP_GROUPS.match(rtf, index + 1):
                skip_depth = depth
            index += 1
            continue
        if char == "}":
            if skip_depth == depth:
                skip_depth = None
            depth -= 1
            index += 1
            continue
        if char == "\\":
            match = RTF_CONTROL.match(rtf, index)
            if not match:
                index += 1
                continue
            index = match.end()
            if skip_depth is not None:
                continue
            hex_byte, unicode_point, word, _, symbol = match.groups()
            if hex_byte:
                out.append(bytes([int(hex_byte, 16)]).decode("cp1252", errors="replace"))
            elif unicode_point:
                out.append(chr(int(unicode_point) % 65536))
            elif word in ("par", "line", "sect", "page"):
                out.append("\n")
            elif word == "tab" or word == "cell":
                out.append("\t")
            elif word == "row":
                out.append("\n")
            elif symbol in ("\\", "{", "}"):
                out.append(symbol)
            continue
        if skip_depth is None and char not in "\r\n":
            out.append(char)
        index += 1
    return "".join(out)


def normalise(text: str) -> str:
    """Unix newlines, no trailing spaces, no runs of blank lines, no NULs or form feeds."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\f", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27)) + sample.count(127)
    return sample.count(0) > len(sample) // 100 or controls > len(sample) // 10


def suffix_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""
