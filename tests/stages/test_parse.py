"""Parse stage: our own fixture emails, forwards of every common client, limits, hostile input."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UnreadableInput
from bot.model import LimitExceeded, Limits
from bot.stages.parse import parse_date, parse_message
from tests import mailbuild

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ALAVETELI = SHARED / "fixtures" / "alaveteli"
UTC = dt.UTC


def fixture(name: str) -> bytes:
    return (MAIL / name).read_bytes()


# --------------------------------------------------------------------------- plain replies and charsets


def test_plain_reply_fields_come_from_the_headers():
    message = parse_message(fixture("plain_reply.eml"))
    assert message.from_name == "Northmoor District Council FOI Team"
    assert message.from_address == "foi@northmoor.gov.example"
    assert message.to_addresses == ("priya.desai@mail.example",)
    assert message.subject.startswith("RE: Freedom of Information request - Pothole repairs")
    assert message.date == dt.datetime(2024, 4, 16, 9, 12, tzinfo=UTC)
    assert message.date.utcoffset() == dt.timedelta(hours=1)  # the sender's own offset is kept
    assert message.message_id == "<AM0PR01MB1234.0117@northmoor.gov.example>"
    assert message.in_reply_to == "<req-0117@mail.example>"
    assert message.references == ("<req-0117@mail.example>",)
    assert "4,212\npotholes" in message.body_text
    assert not message.is_forward
    assert message.outer_headers["subject"] == message.subject
    assert message.outer_headers["return-path"] == "<foi@northmoor.gov.example>"


def test_quoted_printable_latin1_body_and_encoded_headers_are_decoded():
    message = parse_message(fixture("qp_latin1.eml"))
    assert message.from_name == "Siân Hughes"
    assert message.subject == "Fee notice – EIR/2024/331"
    assert "£45.00 (déjà noted" in message.body_text
    assert "Please pay within 60 working days; the request is on hold" in message.body_text  # soft breaks joined


def test_windows_1252_8bit_body_keeps_smart_quotes_euro_and_pound():
    message = parse_message(fixture("8bit_cp1252.eml"))
    assert message.subject == "Your request “Staff bonuses 2022–23”"
    assert message.from_name == "Renée Clarke"
    assert "I’m writing" in message.body_text and "€2.1m and £1.8m" in message.body_text


def test_base64_utf8_body_and_subject():
    message = parse_message(fixture("base64_utf8.eml"))
    assert message.subject == "OIA 2024-044 – decision"
    assert "Ngā mihi" in message.body_text
    assert message.date.utcoffset() == dt.timedelta(hours=13)


def test_mislabelled_ascii_body_is_read_as_windows_1252_not_replacement_characters():
    message = parse_message(fixture("mislabelled_ascii.eml"))
    assert "The “parking” income was €120,000 – see the table." in message.body_text
    assert "\ufffd" not in message.body_text
    assert "CharsetMislabelled" in message.defects or "CharsetDecodeDefect" in message.defects


def test_html_only_reply_keeps_the_html():
    message = parse_message(fixture("html_only.eml"))
    assert message.body_text == ""
    assert "Freedom of Information Request Reference No: 1187/24" in message.body_html


def test_duplicate_subject_headers_give_the_first_as_a_string():
    raw = b"From: a@council.example\nSubject: first\nSubject: second\n\nbody\n"
    assert parse_message(raw).subject == "first"


# --------------------------------------------------------------------------- not quite emails


def test_a_plain_text_letter_without_headers_becomes_the_body():
    raw = "Dear Ms Desai,\n\nWe hold the information; it is attached.\n\nFOI Team\n".encode()
    message = parse_message(raw)
    assert message.body_text.startswith("Dear Ms Desai,")
    assert message.from_address == "" and message.outer_headers == {}


def test_a_letter_starting_with_date_and_ref_lines_is_not_taken_for_headers():
    raw = "Date: 17 April 2024\nRef: FOI 784\n\nDear John,\n\nThe information is withheld.\n".encode("cp1252")
    message = parse_message(raw)
    assert message.body_text.startswith("Date: 17 April 2024\nRef: FOI 784")
    assert "withheld" in message.body_text


def test_empty_input_is_unreadable():
    with pytest.raises(UnreadableInput, match="empty"):
        parse_message(b"  \r\n ")


def test_binary_junk_is_unreadable():
    junk = bytes(range(256)) * 40
    with pytest.raises(UnreadableInput, match="not an email or a letter"):
        parse_message(junk)


def test_a_pdf_given_as_an_email_is_unreadable_with_a_reason():
    with pytest.raises(UnreadableInput, match="PDF"):
        parse_message(mailbuild.pdf_bytes("Dear Sir"))


# --------------------------------------------------------------------------- limits


def test_too_many_attachments_is_a_limit():
    with pytest.raises(LimitExceeded, match="attachments"):
        parse_message(mailbuild.with_many_attachments(60))


def test_deep_mime_nesting_is_a_limit():
    with pytest.raises(LimitExceeded, match="nesting"):
        parse_message(mailbuild.nested_multipart(200))


def test_nesting_beyond_the_stdlib_recursion_limit_is_a_limit_not_a_crash():
    with pytest.raises(LimitExceeded):
        parse_message(mailbuild.nested_multipart(3000))


def test_moderate_nesting_within_the_limit_parses():
    message = parse_message(mailbuild.nested_multipart(5))
    assert message.body_text == "bottom"


def test_oversized_message_is_a_limit():
    with pytest.raises(LimitExceeded, match="bytes"):
        parse_message(fixture("plain_reply.eml"), Limits(max_message_bytes=500))


def test_an_oversized_attachment_is_dropped_with_a_defect():
    raw = mailbuild.email_with_attachment("see attached", [("big.pdf", b"%PDF-1.4 " + b"x" * 5000, "application/pdf")])
    message = parse_message(raw, Limits(max_attachment_bytes=1000))
    assert message.attachments == ()
    assert any(d.startswith("AttachmentTooLarge") for d in message.defects)


# --------------------------------------------------------------------------- forwards


def test_gmail_inline_forward_describes_the_original():
    message = parse_message(fixture("gmail_forward.eml"))
    assert message.is_forward
    assert (message.forwarded_by_name, message.forwarded_by_address) == ("Priya Desai", "priya.desai@mail.example")
    assert (message.from_name, message.from_address) == ("Harbour Transport Authority", "foi@harbour-transport.example")
    assert message.subject == "Your FOI request FOI-2024-0098"
    assert message.to_addresses == ("priya.desai@mail.example",)
    assert message.date == dt.datetime(2024, 4, 17, 16, 45, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert message.body_text.startswith("Dear Ms Desai,")
    assert "Can you check this one?" not in message.body_text
    # the outer message still identifies the delivered email
    assert message.message_id == "<CAF0rwd+gm@mail.example>"
    assert message.outer_headers["from"] == "Priya Desai <priya.desai@mail.example>"


def test_outlook_inline_forward_with_mailto_sender_and_sent_line():
    message = parse_message(fixture("outlook_forward.eml"))
    assert message.forwarded_by_address == "priya.desai@mail.example"
    assert (message.from_name, message.from_address) == ("Information Rights Team", "inforights@westvale.gov.example")
    assert message.subject == "Internal review IR-2024-012"
    assert message.date.replace(tzinfo=None) == dt.datetime(2024, 4, 19, 17, 20)
    assert message.date.tzinfo is not None
    assert "legal@westvale.gov.example" in message.to_addresses
    assert "uphold the original\ndecision" in message.body_text


@pytest.mark.parametrize("style", ["gmail", "outlook", "outlook_rule", "apple", "thunderbird"])
def test_every_client_style_of_inline_forward_keeps_sender_date_subject_and_the_pdf(style):
    reply = mailbuild.pdf_reply("Dear Ms Desai,\n\nThe information is withheld under section 43(2).")
    message = parse_message(mailbuild.forward_inline(reply, style=style))
    assert message.forwarded_by_address == "priya.desai@mail.example"
    assert message.from_address == "foi@northmoor.gov.example"
    assert message.subject == "Freedom of Information request FOI-2024-0117"
    assert message.date is not None and message.date.date() == dt.date(2024, 4, 16)
    assert message.date.hour == 10 or message.date.astimezone(UTC).hour == 9
    assert "Please find attached our response" in message.body_text
    assert "FYI - this came in today." not in message.body_text
    assert [a.filename for a in message.attachments] == ["FOI-2024-0117 response.pdf"]
    assert message.attachments[0].data.startswith(b"%PDF")


def test_forward_as_message_rfc822_attachment_unpacks_the_inner_message_and_its_pdf():
    reply = mailbuild.pdf_reply("Dear Ms Desai,\n\nNot held.")
    message = parse_message(mailbuild.forward_as_attachment(reply))
    assert message.forwarded_by_address == "priya.desai@mail.example"
    assert message.from_address == "foi@northmoor.gov.example"
    assert message.subject == "Freedom of Information request FOI-2024-0117"
    assert message.date == dt.datetime(2024, 4, 16, 9, 12, tzinfo=UTC)
    assert message.body_text.startswith("Dear Ms Desai,\n\nPlease find attached")
    assert "Forwarding the council's reply." not in message.body_text
    assert [a.filename for a in message.attachments] == ["FOI-2024-0117 response.pdf"]
    assert message.message_id == "<fwd-attached@mail.example>"
    assert message.outer_headers["x-foibot-original-message-id"] == "<reply-0117@northmoor.gov.example>"


def test_an_authority_reply_attaching_the_requesters_email_is_not_a_forward():
    request = mailbuild.email_with_attachment(
        "Please send the gritting routes.", sender=mailbuild.REQUESTER, to=mailbuild.AUTHORITY, subject="FOI request",
        message_id="<req-9@mail.example>",
    )
    reply = mailbuild.parse_bytes(mailbuild.email_with_attachment("Dear Ms Desai,\n\nThe routes are not held.", subject="RE: FOI request"))
    reply.add_attachment(mailbuild.parse_bytes(request))
    message = parse_message(reply.as_bytes())
    assert not message.is_forward
    assert message.from_address == "foi@northmoor.gov.example"
    assert "The routes are not held." in message.body_text
    assert [a.content_type for a in message.attachments] == ["message/rfc822"]
    assert message.attachments[0].filename == "FOI request.eml"


def test_a_forward_of_a_forward_reaches_the_authority():
    reply = mailbuild.email_with_attachment("Dear Ms Desai,\n\nThe request is refused under section 12.")
    colleague = mailbuild.forward_inline(reply, forwarder="Ana Ruiz <ana@mail.example>", to="Priya Desai <priya.desai@mail.example>")
    message = parse_message(mailbuild.forward_inline(colleague, style="outlook"))
    assert message.from_address == "foi@northmoor.gov.example"
    assert message.forwarded_by_address == "priya.desai@mail.example"
    assert "refused under section 12" in message.body_text


def test_an_authority_reply_quoting_the_requesters_email_is_not_a_forward():
    message = parse_message(fixture("reply_with_quoted_request.eml"))
    assert not message.is_forward
    assert message.from_address == "foi@kestrel-college.ac.example"
    assert "-----Original Message-----" in message.body_text  # left for the fold in extract


def test_a_short_re_reply_quoting_a_colleague_is_not_a_forward():
    raw = (
        b"From Foi@council.example Wed May 28 14:14:39 2024\n"
        b"To: Bob Smith <bob@mail.example>\nSubject: RE: Freedom of Information request\n"
        b"Date: Wed, 28 May 2024 14:16:55 +0100\n\n"
        b"Dear Mr Smith\n\nSome information.\n\n-----Original Message-----\n"
        b"From: Records Team [mailto:records@council.example]\nSent: 19 May 2024 12:24\n"
        b"To: FOI Team\nSubject: FW: request\n\nold text\n"
    )
    message = parse_message(raw)
    assert not message.is_forward
    assert message.from_address == "foi@council.example"  # from the mbox "From " line, as no From: header
    assert message.body_text.startswith("Dear Mr Smith")


def test_a_bounce_carrying_the_returned_message_is_not_a_forward():
    returned = mailbuild.email_with_attachment("Please send the figures.", sender=mailbuild.REQUESTER, to=mailbuild.AUTHORITY)
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.council.example>"
    bounce["To"] = "priya.desai@mail.example"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Auto-Submitted"] = "auto-replied"
    bounce.set_content("This is a permanent error.")
    bounce.add_attachment(mailbuild.parse_bytes(returned))
    message = parse_message(bounce.as_bytes())
    assert not message.is_forward
    assert message.outer_headers["auto-submitted"] == "auto-replied"
    assert "permanent error" in message.body_text


def test_html_only_inline_forward_is_recovered():
    html = (
        "<div>See below<br><br>---------- Forwarded message ---------<br>"
        "From: <b>Records Office</b> &lt;records@harbour-transport.example&gt;<br>"
        "Date: Mon, 3 Jun 2024 at 09:30<br>Subject: FOI-2024-0201<br>To: &lt;priya.desai@mail.example&gt;<br><br>"
        "<p>Dear Ms Desai,</p><p>The information is not held.</p></div>"
    )
    raw = mailbuild.email_with_attachment("", sender=mailbuild.REQUESTER, subject="Fwd: FOI-2024-0201")
    message = mailbuild.parse_bytes(raw)
    message.set_content(html, subtype="html")
    parsed = parse_message(message.as_bytes())
    assert parsed.forwarded_by_address == "priya.desai@mail.example"
    assert (parsed.from_name, parsed.from_address) == ("Records Office", "records@harbour-transport.example")
    assert parsed.subject == "FOI-2024-0201"
    assert "The information is not held." in parsed.body_text


def test_inline_uuencoded_file_in_a_plain_body_becomes_an_attachment():
    import binascii

    encoded = binascii.b2a_uu(b"The requested figures: 42 cases.\n").decode("ascii")
    raw = mailbuild.email_with_attachment(f"I have attached the figures.\n\nbegin 644 figures.txt\n{encoded}`\nend\n")
    message = parse_message(raw)
    assert message.body_text.strip() == "I have attached the figures."
    assert [(a.filename, a.data) for a in message.attachments] == [("figures.txt", b"The requested figures: 42 cases.\n")]


# --------------------------------------------------------------------------- TNEF


def test_tnef_winmail_dat_gives_its_body_and_attachments():
    winmail = mailbuild.tnef_bytes(
        "Dear Mr Marsh, please see the attached decision.", [("decision.txt", b"The information is not held.\r\n")]
    )
    raw = mailbuild.email_with_attachment("", [("winmail.dat", winmail, "application/ms-tnef")])
    message = parse_message(raw)
    assert "please see the attached decision" in message.body_text
    assert [(a.filename, a.data) for a in message.attachments] == [("decision.txt", b"The information is not held.\r\n")]
    assert message.attachments[0].content_type == "text/plain"


@pytest.mark.parametrize(
    ("winmail", "defect"),
    [
        (b"this is not TNEF at all", "TNEFUnreadable"),
        (b"\x78\x9f\x3e\x22\x01\x00junk", "TNEFEmpty"),  # the signature, then nothing usable
        (mailbuild.tnef_bytes("", [("a.txt", b"x" * 400)])[:60], None),  # cut off mid-attribute
    ],
)
def test_corrupt_tnef_never_crashes_and_the_text_part_is_kept(winmail, defect):
    raw = mailbuild.email_with_attachment("Intro text before a broken winmail.", [("winmail.dat", winmail, "application/ms-tnef")])
    message = parse_message(raw)
    assert "Intro text before a broken winmail." in message.body_text
    if defect:
        assert defect in message.defects
        assert message.attachments == ()


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("Tue, 17 Apr 2018 10:12:00 +0100", dt.datetime(2018, 4, 17, 9, 12)),
        ("Thu, 12 Apr 2018 16:40:00 BST", dt.datetime(2018, 4, 12, 15, 40)),
        ("Thu, 12 Apr 2018 16:40:00 GMT", dt.datetime(2018, 4, 12, 16, 40)),
        ("2018-04-12T16:40:00+01:00", dt.datetime(2018, 4, 12, 15, 40)),
        ("17 April 2018 10:12", dt.datetime(2018, 4, 17, 9, 12)),  # no zone: UK time (BST)
        ("Tuesday, April 17, 2018 10:12 AM", dt.datetime(2018, 4, 17, 9, 12)),
        ("Tue, 17 Apr 2018 at 10:12", dt.datetime(2018, 4, 17, 9, 12)),
        ("17 April 2018 at 10:12:00 BST", dt.datetime(2018, 4, 17, 9, 12)),
        ("17/01/2018 10:12", dt.datetime(2018, 1, 17, 10, 12)),  # GMT in January
        ("Wednesday, 17th January 2018 10:12", dt.datetime(2018, 1, 17, 10, 12)),
    ],
)
def test_dates_in_headers_and_sent_lines_become_aware_datetimes(text, expected_utc):
    parsed = parse_date(text)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.astimezone(UTC).replace(tzinfo=None) == expected_utc


@pytest.mark.parametrize("text", ["", "yesterday", "32 Foo 2018", "Mon, 99 Apr 2018 25:61:00 +0100"])
def test_unreadable_dates_are_none(text):
    assert parse_date(text) is None


# --------------------------------------------------------------------------- third-party awkward emails


def alaveteli_files() -> list[Path]:
    return sorted(ALAVETELI.glob("*.eml")) if ALAVETELI.is_dir() else []


def load_alaveteli(path: Path) -> bytes:
    """Alaveteli's placeholders replaced as its own spec helper does."""
    raw = path.read_bytes()
    return raw.replace(b"EMAIL_TO", b"request-1-abcdef@foi.example").replace(b"EMAIL_FROM", b"authority@council.example")


@pytest.mark.skipif(not alaveteli_files(), reason=f"Alaveteli fixtures not present in {ALAVETELI}")
@pytest.mark.parametrize("path", alaveteli_files(), ids=lambda p: p.name)
def test_alaveteli_fixtures_parse_and_extract_without_errors(path):
    from bot.stages.extract import extract_letter

    try:
        message = parse_message(load_alaveteli(path))
        letter = extract_letter(message)
    except (UnreadableInput, LimitExceeded):
        return
    assert isinstance(letter.text, str)


@pytest.mark.skipif(not alaveteli_files(), reason=f"Alaveteli fixtures not present in {ALAVETELI}")
def test_alaveteli_charset_quirks_are_decoded():
    utf7 = parse_message(load_alaveteli(ALAVETELI / "utf-7-subject.eml"))
    assert "zpráva" in utf7.subject
    latin1 = parse_message(load_alaveteli(ALAVETELI / "mislabelled-as-iso-8859-1.eml"))
    assert "–" in latin1.body_text
    no_charset = parse_message(load_alaveteli(ALAVETELI / "no-part-charset-bad-utf8.eml"))
    assert "\ufffd" not in no_charset.body_text and no_charset.body_text.strip()
    bounce = parse_message(load_alaveteli(ALAVETELI / "humberside-police-odd-mime-type.eml"))
    assert not bounce.is_forward and "mail delivery" in bounce.body_text.lower()


@pytest.mark.skipif(not alaveteli_files(), reason=f"Alaveteli fixtures not present in {ALAVETELI}")
@pytest.mark.parametrize(
    ("name", "kept", "folded"),
    [
        ("forward-quoting-example.eml", "Some text.", "Freedom of Information request"),
        ("forward-quoting-example-2.eml", "my email address has changed", "Some information?"),
        ("lotus-notes-quoting.eml", "Some text.", "Original text"),
    ],
)
def test_alaveteli_quoting_styles_are_folded(name, kept, folded):
    from bot.stages.extract import extract_letter

    message = parse_message(load_alaveteli(ALAVETELI / name))
    assert not message.is_forward
    letter = extract_letter(message)
    assert kept in letter.text
    assert folded not in letter.text and folded in letter.full_text


@settings(max_examples=120, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_are_refused_cleanly(raw):
    try:
        message = parse_message(raw)
    except (UnreadableInput, LimitExceeded):
        return
    assert isinstance(message.body_text, str)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["From: ", "Subject: ", "Content-Type: multipart/mixed; boundary=x\n\n--x\n", "-----Original Message-----\nFrom: "]))
def test_header_like_text_never_crashes_the_parser(body, prefix):
    try:
        parse_message((prefix + body).encode("utf-8", errors="surrogatepass"))
    except (UnreadableInput, LimitExceeded):
        pass
