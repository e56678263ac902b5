"""Extract stage: letter text from bodies and attachments, order, folding, limits, bare documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import UnreadableInput
from bot.model import LimitExceeded, Limits
from bot.stages.extract import NO_TEXT_LAYER, extract_letter, letter_from_document, sniff_document
from bot.stages.parse import parse_message
from tests import mailbuild

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"

LETTER = (
    "Northmoor District Council\n\nRef: FOI-2024-0117\n\nDear Ms Desai,\n\n"
    "Thank you for your request. You asked for:\n\n"
    "Copies of any reports that were refused publication under section 36.\n\n"
    "Our response\n\n"
    "We hold the information. The report is withheld under section 43(2) – commercial interests. "
    "The cost of the survey was £12,500.\n\n"
    "Yours sincerely,\nMartin Okafor"
)


def letter_of(raw: bytes, limits: Limits | None = None):
    return extract_letter(parse_message(raw, limits), limits)


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


# --------------------------------------------------------------------------- bodies


def test_plain_body_is_the_letter_with_message_fields():
    letter = letter_of((MAIL / "plain_reply.eml").read_bytes())
    assert letter.text.startswith("Dear Ms Desai,")
    assert "In 2023 the Council repaired 4,212" in letter.text
    assert letter.subject.startswith("RE: Freedom of Information request")
    assert (letter.sender_name, letter.sender_address) == ("Northmoor District Council FOI Team", "foi@northmoor.gov.example")
    assert letter.recipient_addresses == ("priya.desai@mail.example",)
    assert letter.sent is not None and letter.sent.isoformat() == "2024-04-16"
    assert [s.kind for s in letter.sources] == ["body"]
    assert letter.sources[0].chars == len(letter.full_text.strip())


def test_html_only_body_is_converted_with_its_table():
    letter = letter_of((MAIL / "html_only.eml").read_bytes())
    assert "<p>" not in letter.text
    assert "Your request will now be considered" in letter.text
    assert re.search(r"Due\s+07/08/2024", letter.text)
    assert letter.sources[0].kind == "html"


def test_quoted_request_and_earlier_email_are_folded_from_text_but_kept_in_full_text():
    letter = letter_of((MAIL / "reply_with_quoted_request.eml").read_bytes())
    for folded_away in ("refused under section 43", "withheld from", "section 12", "confidential and intended"):
        assert folded_away not in letter.text
        assert folded_away in letter.full_text
    assert "nothing has been redacted" in letter.text


# --------------------------------------------------------------------------- attachments


def test_cover_note_body_puts_the_pdf_letter_first():
    letter = letter_of(mailbuild.pdf_reply(LETTER))
    assert [s.kind for s in letter.sources] == ["pdf", "body"]
    assert letter.sources[0].name == "FOI-2024-0117 response.pdf"
    assert letter.full_text.index("withheld under section 43(2)") < letter.full_text.index("Please find attached")
    assert "section 43(2) – commercial interests" in letter.text and "£12,500" in letter.text
    assert "refused publication" not in letter.text  # the quoted request inside the PDF is folded
    assert letter.text.startswith("[Attachment: FOI-2024-0117 response.pdf]")


def test_a_body_that_is_the_letter_stays_first_before_an_annex():
    body = LETTER.replace("Our response", "Our response\n\n" + "The figures follow in the annex. " * 60)
    raw = mailbuild.email_with_attachment(body, [("annex.txt", b"Annex A: table of costs\n", "text/plain")])
    letter = letter_of(raw)
    assert [s.kind for s in letter.sources] == ["body", "text"]
    assert letter.full_text.index("Dear Ms Desai") < letter.full_text.index("Annex A")


def test_multi_page_pdf_is_read_in_full_and_capped_by_the_page_limit():
    text = "\n\n".join(f"Paragraph {i} of the decision letter." for i in range(1, 41))
    pdf = mailbuild.pdf_bytes(text, page_lines=20)
    letter = letter_from_document(pdf, "decision.pdf")
    assert "Paragraph 1 of" in letter.full_text and "Paragraph 40 of" in letter.full_text
    capped = letter_from_document(pdf, "decision.pdf", Limits(max_pdf_pages=1))
    assert "Paragraph 1 of" in capped.full_text and "Paragraph 40 of" not in capped.full_text
    assert any("only the first 1" in w for w in capped.warnings)
    assert capped.unread == ()  # part of it was read: the letter's start is there


def test_pdf_keeps_paragraph_breaks():
    letter = letter_from_document(mailbuild.pdf_bytes(LETTER), "letter.pdf")
    assert paragraphs(letter.full_text) == paragraphs(LETTER)


def test_image_only_pdf_is_reported_not_read():
    raw = mailbuild.email_with_attachment("Please see attached.", [("scan.pdf", mailbuild.image_only_pdf_bytes(), "application/pdf")])
    letter = letter_of(raw)
    pdf_source = next(s for s in letter.sources if s.kind == "pdf")
    assert pdf_source.note == NO_TEXT_LAYER and pdf_source.chars == 0
    assert any("could not be read" in w and "scan.pdf" in w for w in letter.warnings)
    assert letter.unread == ("scan.pdf",)
    assert "Please see attached." in letter.text


def test_encrypted_pdf_gives_a_warning_not_a_crash():
    raw = mailbuild.email_with_attachment("Response attached.", [("locked.pdf", mailbuild.encrypted_pdf_bytes("Secret"), "application/pdf")])
    letter = letter_of(raw)
    assert any("encrypted" in w for w in letter.warnings)
    assert letter.unread == ("locked.pdf",)
    with pytest.raises(UnreadableInput, match="encrypted"):
        letter_from_document(mailbuild.encrypted_pdf_bytes("Secret"), "locked.pdf")


def test_damaged_pdf_gives_a_warning():
    raw = mailbuild.email_with_attachment("Response attached.", [("broken.pdf", b"%PDF-1.7\n garbage", "application/pdf")])
    letter = letter_of(raw)
    assert any("broken.pdf" in w for w in letter.warnings)
    assert letter.unread == ("broken.pdf",)


def test_docx_paragraphs_tables_and_header_are_read_in_order():
    data = mailbuild.docx_bytes(
        "Dear Ms Desai,\n\nThe figures you asked for are below.\n\nYours sincerely",
        table=[["Year", "Cost"], ["2022", "£1,200"], ["2023", "£1,450"]],
        header="Westvale County Council – Information Rights",
    )
    letter = letter_of(mailbuild.email_with_attachment("See attached.", [("reply.docx", data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]))
    assert letter.sources[0].kind == "docx"
    assert "Westvale County Council – Information Rights" in letter.full_text
    assert "2023 | £1,450" in letter.full_text
    assert letter.full_text.index("The figures you asked for") < letter.full_text.index("Year | Cost")


def test_zip_bomb_docx_is_a_limit_as_document_and_as_attachment():
    bomb = mailbuild.zip_bomb_docx()
    with pytest.raises(LimitExceeded, match="compressed|unpacks"):
        letter_from_document(bomb, "bomb.docx")
    raw = mailbuild.email_with_attachment("See attached.", [("bomb.docx", bomb, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])
    with pytest.raises(LimitExceeded):
        letter_of(raw)


def test_docx_over_the_uncompressed_limit_is_refused():
    with pytest.raises(LimitExceeded, match="unpacks"):
        letter_from_document(mailbuild.docx_bytes("Dear Sir"), "small.docx", Limits(max_docx_uncompressed_bytes=1000))


def test_text_html_and_rtf_attachments_are_read():
    rtf = rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Dear Mr Marsh,\par The fee is \'a345.\par}"
    raw = mailbuild.email_with_attachment(
        "Attached.",
        [
            ("note.txt", "Plain note – £3".encode("utf-8"), "text/plain"),
            ("page.html", b"<html><body><p>HTML letter</p></body></html>", "text/html"),
            ("fee.rtf", rtf, "application/rtf"),
            ("photo.jpg", b"\xff\xd8\xff\xe0 not a letter", "image/jpeg"),
        ],
    )
    letter = letter_of(raw)
    assert {s.kind for s in letter.sources} == {"text", "html", "rtf", "body", "attachment"}
    photo = next(s for s in letter.sources if s.name == "photo.jpg")
    assert photo.note == "not read: image/jpeg" and photo.chars == 0
    assert letter.unread == ()  # a photo is listed, but it is no letter left unread
    assert "Plain note – £3" in letter.full_text and "HTML letter" in letter.full_text
    assert "The fee is £45." in letter.full_text and "Arial" not in letter.full_text


def test_an_old_word_doc_is_listed_with_a_warning():
    raw = mailbuild.email_with_attachment("Please see attached.", [("response.doc", b"\xd0\xcf\x11\xe0 ole2", "application/msword")])
    letter = letter_of(raw)
    assert any(s.name == "response.doc" and "Word 97-2003" in s.note for s in letter.sources)
    assert any("response.doc" in w for w in letter.warnings)
    assert letter.unread == ("response.doc",)


def test_a_stub_plain_part_gives_way_to_the_html_letter():
    html = "<p>Dear Ms Desai,</p>" + "<p>The information you requested is withheld under section 31.</p>" * 12
    raw = mailbuild.email_with_attachment("Please view this email in HTML.", html=html)
    letter = letter_of(raw)
    assert letter.sources[0].kind == "html"
    assert "withheld under section 31" in letter.text


def test_tnef_attachment_letter_is_read():
    winmail = mailbuild.tnef_bytes("See attached.", [("decision.txt", b"The information is not held.")])
    letter = letter_of(mailbuild.email_with_attachment("", [("winmail.dat", winmail, "application/ms-tnef")]))
    assert "The information is not held." in letter.text


def test_text_is_capped_at_the_limit_with_a_warning():
    letter = letter_of(mailbuild.email_with_attachment("word " * 5000), Limits(max_text_chars=1000))
    assert len(letter.full_text) <= 1000 and len(letter.text) <= 1000
    assert any("longer than 1000" in w for w in letter.warnings)


# --------------------------------------------------------------------------- documents


def test_sniff_document_uses_magic_bytes():
    assert sniff_document(mailbuild.pdf_bytes("x")) == "pdf"
    assert sniff_document(mailbuild.docx_bytes("x")) == "docx"
    assert sniff_document(b"PK\x03\x04 not really a zip") is None
    assert sniff_document((MAIL / "plain_reply.eml").read_bytes()) is None


def test_letter_from_document_sniffs_content_not_suffix():
    letter = letter_from_document(mailbuild.pdf_bytes(LETTER), "misnamed.txt")
    assert letter.sources[0].kind == "pdf" and "£12,500" in letter.text


@pytest.mark.parametrize(
    ("data", "filename", "kind", "expected"),
    [
        ("Dear Sir – the fee is £5.".encode("utf-8"), "letter.txt", "text", "the fee is £5."),
        ("Dear Sir – the fee is £5.".encode("cp1252"), "letter.txt", "text", "the fee is £5."),
        (b"<!DOCTYPE html><html><body><h1>Decision</h1><p>Refused.</p></body></html>", "reply", "html", "Refused."),
        (b"<p>Not held.</p>", "reply.html", "html", "Not held."),
    ],
)
def test_letter_from_document_reads_text_and_html(data, filename, kind, expected):
    letter = letter_from_document(data, filename)
    assert letter.sources[0].kind == kind
    assert expected in letter.text
    assert "<p>" not in letter.text


def test_letter_from_document_refuses_empty_and_binary_input():
    with pytest.raises(UnreadableInput, match="the input is empty"):
        letter_from_document(b" \n", "empty.txt")
    with pytest.raises(UnreadableInput, match="not an email or a letter"):
        letter_from_document(bytes(range(256)) * 20, "junk.bin")


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("wrap", ["direct", "gmail", "outlook", "attached"])
def test_seed_letter_round_trip_through_pdf_email_and_forward(seed_text, wrap):
    reply = mailbuild.pdf_reply(seed_text, sender="Central FoI Team <foi-team@dwp.example>")
    if wrap == "attached":
        raw = mailbuild.forward_as_attachment(reply)
    elif wrap != "direct":
        raw = mailbuild.forward_inline(reply, style=wrap)
    else:
        raw = reply
    letter = letter_of(raw)
    assert letter.sender_address == "foi-team@dwp.example"
    assert letter.sources[0].kind == "pdf"

    # Every paragraph of the seed comes back, in order, as a paragraph of the extracted text
    # (lines inside a paragraph are re-wrapped to the PDF's width; a page break may split one).
    extracted = " ".join(letter.full_text.split())
    position = 0
    for paragraph in paragraphs(seed_text):
        found = extracted.find(paragraph, position)
        assert found >= 0, paragraph[:60]
        position = found + len(paragraph)
    assert len(paragraphs(letter.full_text)) >= len(paragraphs(seed_text))

    assert "Sections 31 and 24" in letter.text
    assert "RFI1" not in letter.text and "RFI1" in letter.full_text
