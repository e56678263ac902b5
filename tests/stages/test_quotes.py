"""Quote folding: what the classifier must not read as the decision, and what it must keep."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rulebook import load_rulebook
from bot.stages.quotes import fold_quotes

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus" / "dev.jsonl"
LETTERS = Path(__file__).resolve().parents[1] / "fixtures" / "letters"


@pytest.fixture(scope="module")
def folding() -> dict:
    return load_rulebook().folding


def fold(text: str, folding: dict) -> str:
    return fold_quotes(text, folding)


# --------------------------------------------------------------------------- quoted emails


def test_outlook_original_message_and_everything_after_is_folded(folding):
    text = (
        "Dear Ms Desai,\n\nWe do not hold the information you asked for.\n\nRegards,\nFOI Team\n\n"
        "-----Original Message-----\nFrom: Priya Desai\nSent: 01 March 2024 09:00\n"
        "Subject: FOI\n\nPlease send all the withheld refusal notices.\n"
    )
    folded = fold(text, folding)
    assert "We do not hold the information" in folded
    assert "withheld" not in folded
    assert "[...]" in folded


def test_gmail_on_wrote_attribution_is_folded_but_a_letter_saying_you_wrote_is_not_cut(folding):
    reply = "Thanks, noted.\n\nOn Tue, 16 Apr 2024 at 10:12, FOI Team <foi@council.example> wrote:\nrefused under section 40\n"
    assert "refused" not in fold(reply, folding)

    letter = (
        "Dear Mr Marsh,\n\nOn 26 February 2024 you wrote:\n\n"
        "Please provide the refused licence applications.\n\n"
        "We hold the information and it is attached in full.\n"
    )
    folded = fold(letter, folding)
    assert "We hold the information and it is attached in full." in folded
    assert "refused licence" not in folded  # the quoted request, folded as such


def test_lines_quoted_with_angle_brackets_are_folded_in_place(folding):
    text = "Answer above the quote.\n\n> Please tell me why it was withheld\n> under section 31.\n\nAnswer below the quote.\n"
    folded = fold(text, folding)
    assert "Answer above the quote." in folded and "Answer below the quote." in folded
    assert "withheld" not in folded


def test_quoted_header_block_below_a_reply_is_folded(folding):
    text = (
        "Please see the attached response.\n\nKind regards\nFOI Team\n\n"
        "________________________________\nFrom: Sam Whitfield <sam@mail.example>\n"
        "Sent: Friday, May 10, 2024 8:02 AM\nTo: FOI <foi@college.example>\nSubject: request\n\n"
        "I expect this will be refused under section 43.\n"
    )
    folded = fold(text, folding)
    assert "Please see the attached response." in folded
    assert "refused" not in folded and "______" not in folded


@pytest.mark.parametrize(
    "quoted",
    [
        "Sam Whitfield <request-77-ab@foi-site.example>\n17/04/24 15:57\n\nTo\nFOI requests <foi@college.example>\n",
        "Sam Whitfield <request-77-ab@foi-site.example>\nSent by: Sam Whitfield <request-77-ab@foi-site.example>\n06/03/24 10:00\n",
    ],
)
def test_lotus_notes_quoted_headers_are_folded(folding, quoted):
    text = "Dear Requester,\n\nThe information is attached.\n\nFOI Team\n\n" + quoted + "\nSubject\nFOI\n\nWere any refused?\n"
    folded = fold(text, folding)
    assert "The information is attached." in folded
    assert "refused" not in folded and "Sent by" not in folded


def test_outlook_on_behalf_of_block_is_folded_and_the_note_above_it_kept(folding):
    text = (
        "Dear Mr Smith\n\nSome information\n\nPlease note that my email address has changed.\n\n\n"
        "From: Foi Officer [mailto:foi@council.example] On Behalf Of Foi Officer\nSent: 19 May 2024 12:24\n"
        "To: Bob Smith\nSubject: RE: request\n\nEarlier refusal text.\n"
    )
    folded = fold(text, folding)
    assert "Please note that my email address has changed." in folded
    assert "Earlier refusal" not in folded


@pytest.mark.parametrize(
    "marker",
    ["---------- Forwarded message ---------", "-------- Forwarded Message --------", "Begin forwarded message:"],
)
def test_a_pasted_forward_keeps_the_forwarded_letter_and_folds_the_note_and_headers(folding, marker):
    text = (
        f"They refused again!\n\n{marker}\nFrom: FOI Team <foi@college.example>\nDate: Tue, 1 Jun 2021 at 14:02\n"
        "Subject: FOI 2021/209\nTo: Aled Morgan\n\nDear Mr Morgan,\n\nThe information is attached in full.\n"
    )
    folded = fold(text, folding)
    assert "Dear Mr Morgan," in folded and "The information is attached in full." in folded
    assert "refused" not in folded and "From: FOI Team" not in folded


def test_memo_style_header_at_the_top_of_a_letter_is_kept(folding):
    text = "To: Jane Smith\nFrom: Records Office\nDate: 4 June 2024\nSubject: Your request\n\nWe hold the information.\n"
    assert fold(text, folding).startswith("To: Jane Smith")



def test_a_letter_pasted_with_its_own_subject_date_from_to_lines_is_not_folded(folding):
    # the header lines on top are the letter's own, not a reply above a quoted message
    letter = LETTERS / "intl" / "263_scotland_foisa_council_hospital_transport_not_held_other_body.txt"
    folded = fold(letter.read_text(encoding="utf-8"), folding)
    assert "does not hold the information you have requested" in folded
    assert "[...]" not in folded

# --------------------------------------------------------------------------- disclaimers


def test_confidentiality_and_gsi_footers_are_dropped(folding):
    text = (
        "Dear Ms Desai,\n\nThe information is attached.\n\n"
        "This email and any files transmitted with it are confidential and intended solely for the "
        "addressee. If you have received this email in error please notify the sender.\n\n"
        "This email was received from the INTERNET and scanned by the Government Secure Intranet "
        "anti-virus service.\n"
    )
    folded = fold(text, folding)
    assert "The information is attached." in folded
    assert "confidential" not in folded and "anti-virus" not in folded


def test_a_letter_about_a_virus_is_not_a_disclaimer(folding):
    text = "Dear Dr Lee,\n\nWe hold figures on virus testing in care homes: 1,204 tests in 2023.\n"
    assert "virus testing" in fold(text, folding)


# --------------------------------------------------------------------------- quoted request


def test_quoted_request_runs_to_the_authority_response_heading(folding):
    text = (
        "Thank you for your request received on 26 February 2024. You asked for:-\n\n"
        "RFI1 - What datasets do you hold about claimants?\n\n- ESA\n\n- PIP\n\n"
        "Please note I only want the type of data, not the data. Anything refused should be listed.\n\n"
        "Northmoor Council Response\n\n"
        "The Council withholds this under section 31.\n"
    )
    folded = fold(text, folding)
    assert "RFI1" not in folded and "refused should be listed" not in folded
    assert "Northmoor Council Response" in folded
    assert "The Council withholds this under section 31." in folded
    assert "Thank you for your request received on 26 February 2024." in folded


def test_quoted_request_ends_where_we_hold_starts_even_without_blank_lines(folding):
    text = (
        "Specifically you asked:\n"
        "Could I have copies of the refused planning appeals for 2023?\n"
        "We hold the information. Copies are attached.\n"
    )
    folded = fold(text, folding)
    assert "refused planning appeals" not in folded
    assert "We hold the information. Copies are attached." in folded


def test_quotation_marks_bound_the_quoted_request(folding):
    text = (
        "You requested:\n\n“All emails about the exemption under section 36, including those withheld\n"
        "from earlier disclosures.”\n\nThe Act guides all responses. No information is held.\n"
    )
    folded = fold(text, folding)
    assert "withheld" not in folded
    assert "No information is held." in folded


def test_without_an_answer_heading_only_request_like_paragraphs_are_folded(folding):
    text = (
        "Your request:\n\nPlease list the contracts that were refused.\n\n"
        "1. Contract values\n\n2. Contract dates\n\n"
        "Staff searched the finance system; the figures are in the table attached.\n"
    )
    folded = fold(text, folding)
    assert "were refused" not in folded and "Contract values" not in folded
    assert "Staff searched the finance system" in folded


def test_a_paraphrase_or_a_thank_you_is_not_an_introduction(folding):
    paraphrase = "You asked for the minutes of the March meeting.\n\nThe minutes are withheld under section 36.\n"
    assert fold(paraphrase, folding).strip() == paraphrase.strip()

    thanks = "Thank you for your request.\n\nIt is refused under section 12.\n"
    assert "refused under section 12" in fold(thanks, folding)


def test_a_list_introduced_by_the_authority_is_not_a_quoted_request(folding):
    text = (
        "Searches carried out\nThe following searches were carried out for records relevant to your request:\n"
        "- the records system was searched for \"Brosna weir\";\n- the shared drives were searched.\n\n"
        "No records were found.\n"
    )
    assert "the shared drives were searched" in fold(text, folding)


def test_an_introduction_followed_by_the_answer_folds_nothing(folding):
    text = "Please find my decision on your request set out below.\nI refuse your request under section 18(f).\n"
    assert "I refuse your request under section 18(f)." in fold(text, folding)


def test_fold_stops_at_a_paragraph_in_the_authority_voice(folding):
    text = (
        "Your request was as follows:\n\nHow many officers were on patrol each night?\n\n"
        "The time limit for this request was extended because we needed to consult others.\n\n"
        "The information is not held.\n"
    )
    folded = fold(text, folding)
    assert "officers were on patrol" not in folded
    assert "extended because we needed to consult" in folded


def test_figures_answered_between_the_quoted_questions_are_kept(folding):
    text = (
        "I note you seek the following information.\n\n"
        "Please could you provide the policing bill for these matches;\n\n"
        "Northmoor Town vs Castleton - 1 January 2024 - £2,713.92\n"
        "Northmoor Town vs Ashby - 23 December 2023 - £0\n\n"
        "Having made enquiries with our finance department the information above is all we hold.\n"
    )
    folded = fold(text, folding)
    assert "Please could you provide the policing bill" not in folded
    assert "£2,713.92" in folded and "Having made enquiries" in folded


def test_an_answer_in_the_authority_name_under_a_question_heading_is_kept(folding):
    # "Question 2:" reads like a request heading; the paragraph under it, "The Betting Standards
    # Commission holds no information ...", is the authority answering, with its name in full
    text = (Path(__file__).resolve().parents[1] / "fixtures" / "classify"
            / "regulator_log_question_headings_answer_and_part_not_held.txt").read_text(encoding="utf-8")
    folded = fold(text, folding)
    assert "holds no information falling in scope of this part of your request" in folded
    assert "The minutes of these meetings" not in folded.partition("In your email you have requested")[2]


def test_introduction_wrapped_over_two_lines_still_counts(folding):
    text = (
        "Thank you for your request of 1 November 2024, requesting the following\ninformation:\n"
        "All emails about the refused complaints.\n\n"
        "I have considered your request under the Act.\n"
    )
    folded = fold(text, folding)
    assert "refused complaints" not in folded
    assert "I have considered your request under the Act." in folded


# --------------------------------------------------------------------------- pieces


def test_a_quoted_email_in_the_body_does_not_swallow_the_attachment_after_it(folding):
    text = (
        "[Email body]\nSee attached.\n\n-----Original Message-----\nFrom: me\nSent: today\n\nold request\n\n"
        "[Attachment: response.pdf]\nDear Ms Desai,\n\nThe information is exempt under section 40(2).\n"
    )
    folded = fold(text, folding)
    assert "old request" not in folded
    assert "[Attachment: response.pdf]" in folded
    assert "exempt under section 40(2)" in folded


def test_the_seed_letter_loses_its_quoted_request_and_keeps_its_decision(folding, seed_text):
    folded = fold(seed_text, folding)
    assert "RFI1" not in folded and "stat-xplore" not in folded
    assert "Sections 31 and 24" in folded
    assert "DWP Response" in folded
    assert "Dear John Slater" in folded


@pytest.mark.corpus
def test_folding_the_corpus_keeps_every_labelled_exemption_and_most_of_each_letter(folding):
    if not CORPUS.is_file():
        pytest.skip(f"the shared corpus is not here ({CORPUS})")
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record["text"]
        folded = fold(text, folding)
        assert len(folded) >= 0.3 * len(text.strip()), record["id"]
        for citation in record.get("exemptions", []):
            number = re.match(r"[a-z]*(\d+[A-Z]*)", citation)
            if number and re.search(rf"\b{number.group(1)}\b", text):
                assert re.search(rf"\b{number.group(1)}\b", folded), (record["id"], citation)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=600))
def test_folding_never_fails_on_arbitrary_text(text):
    folded = fold_quotes(text, load_rulebook().folding)
    assert isinstance(folded, str)
