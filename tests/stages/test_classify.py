"""Classification mechanisms, each driven by a complete letter through the real pipeline.

The letter sets (tests/fixtures/letters) measure accuracy as a whole (tests/test_eval.py); these
tests pin single mechanisms so that a rule change that breaks one says which.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LETTERS

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "classify"
MAIL = OWN.parent / "mail"


def letter(name: str) -> Path:
    return next(LETTERS.glob(f"*/{name}*.txt"))


def citations(result) -> list[str]:
    return [e.citation for e in result.exemptions]


@pytest.mark.parametrize("name", ["297_nhs_trust_review_overturned_s12", "106_police_review_overturned_full"])
def test_a_review_that_overturns_and_releases_everything_relies_on_no_ground(triager, name):
    result = triager.triage_path(letter(name))
    assert result.outcome == "review_decision"
    assert result.review_result == "overturned"
    assert citations(result) == []
    assert result.refusal_grounds == []


@pytest.mark.parametrize("name", ["262_fire_service_ack_internal_review_request", "291_department_ack_internal_review_request"])
def test_a_review_request_acknowledged_is_an_acknowledgement(triager, name):
    # the reply under review is retold ("In that response we withheld ...") but not decided again
    result = triager.triage_path(letter(name))
    assert result.outcome == "acknowledgement"
    assert citations(result) == []


def test_the_requesters_grounds_for_review_retold_are_not_a_decision(triager):
    result = triager.triage_path(letter("288_eu_1049_fishing_inspection_office_confirmatory_ack"))
    assert result.outcome == "acknowledgement"


def test_a_release_read_from_weak_evidence_alone_goes_to_a_person(triager):
    # a one-line "Please refer to the attached spreadsheet." email: full disclosure, but not sure enough
    result = triager.triage_path(OWN / "nhs_trust_short_email_refer_to_attached.txt")
    assert result.outcome == "full_disclosure"
    assert result.needs_review
    assert result.review_reason == "low_confidence"


def test_a_reply_whose_attached_letter_could_not_be_read_goes_to_a_person(triager):
    # the cover note reads as a full release, but the scanned PDF it covers has no text layer:
    # what it says, redactions included, is unknown, so the reading must not stand alone
    result = triager.triage_path(MAIL / "cover_note_with_scanned_letter.eml")
    assert result.needs_review
    assert result.review_reason == "unread_attachment"
    assert "foibot could not read all of this reply" in result.summary
    assert "FOI-2024-0117 response.pdf could not be read" in result.summary


def test_a_spreadsheet_described_as_the_answer_is_a_confident_release(triager):
    # "Please see the attached spreadsheet, which gives the spend for every ward" says what it gives
    result = triager.triage_path(letter("273_nhs_trust_full_spreadsheet_short_email"))
    assert result.outcome == "full_disclosure"
    assert not result.needs_review


def test_a_police_log_that_neither_confirms_nor_denies_two_parts_and_answers_a_third(triager):
    # "Section 30(3) 'Investigations'" in a list is a citation, not a row of a statistics table,
    # and "Response 1: ... can neither confirm nor deny" is no answer
    result = triager.triage_path(OWN / "police_log_ncnd_two_responses.txt")
    assert result.outcome == "partial_disclosure"
    assert result.ncnd
    assert sorted(citations(result)) == ["s23(5)", "s24(2)", "s30(3)", "s31(3)", "s40(5)"]


def test_the_police_cost_template_is_a_cost_refusal(triager):
    # "I am not obliged to supply the information", "in excess of 560 hours to comply"
    result = triager.triage_path(OWN / "police_cost_template_not_obliged.txt")
    assert result.outcome == "refused"
    assert citations(result) == ["s12"]
    assert "cost_limit" in result.refusal_grounds


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("280_us_foia_broadband_office_full_release_reading_room", "full_disclosure"),  # "without any redactions"
        ("275_university_full_disclosure_log_entry", "full_disclosure"),  # "Outcome: Information provided"
        ("279_eir_agency_partial_reg12_5_e_reg13", "partial_disclosure"),  # "We are releasing:" + one item excepted
        ("244_eir_water_full_storm_overflow_spills_late_apology", "full_disclosure"),  # "not held anything back"
        ("240_department_fee_notice_s13_above_limit", "fee_notice"),  # "not obliged to comply ... until the fee has been paid"
        ("103_police_fee_s13_over_limit_offer", "fee_notice"),  # "not required to comply ... free of charge"
        ("018_council_partial_not_held_part", "partial_disclosure"),  # three "A - 19" answers and one not held
        # "all of the information we hold ... and nothing has been withheld": the negated withholding
        # takes no sentence from the release
        ("187_eir_water_full_pdf_hyphenation_page_headers_overflows", "full_disclosure"),
    ],
)
def test_release_wording(triager, name, outcome):
    assert triager.triage_path(letter(name)).outcome == outcome


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("031_eir_partial_reg12_5_a_flood", ["reg12(5)(a)"]),  # "withheld under reg. 12(5)(a)": no sentence ends at "reg."
        ("124_eir_council_partial_reg_13_objections", ["reg13"]),
    ],
)
def test_an_abbreviated_word_before_the_numbers_keeps_its_sentence(triager, name, expected):
    assert citations(triager.triage_path(letter(name))) == expected


def test_a_reply_that_holds_some_of_the_information_and_withholds_one_item_is_partial(triager):
    result = triager.triage_path(OWN / "fire_service_some_held_one_item_exempt.txt")
    assert result.outcome == "partial_disclosure"
    assert "refused" in result.labels
    assert citations(result) == ["s38"]


def test_an_acknowledgement_with_a_heading_a_reference_and_a_due_date(triager):
    result = triager.triage_path(OWN / "department_acknowledgement_heading.txt")
    assert result.outcome == "acknowledgement"
    assert not result.needs_review


#: letters written for these tests, each pinning one mechanism: what the letter must be read as
OWN_LETTERS = [
    pytest.param(
        "scottish_partial_cites_data_protection_act",
        {"jurisdiction": "scotland_foisa", "outcome": "partial_disclosure", "citations": ["s38(1)(b)"]},
        id="a section of another law is no ground",  # "section 34(1) of the Data Protection Act 2018" is not FOISA s34(1)
    ),
    pytest.param(
        "department_public_interest_extension",
        {"outcome": "delay", "citations": ["s35(1)(a)", "s35(1)(b)"]},
        # "we need to extend our response time limit ... in order to assess whether the public
        # interest is in withholding the information": the clause weighs an outcome, the
        # sentence still says the answer will be late
        id="an extension to weigh the public interest is a delay notice",
    ),
    pytest.param(
        "agency_eir_exception_words",
        {"jurisdiction": "uk_eir", "outcome": "partial_disclosure", "citations": ["reg12(4)(a)", "reg12(5)(a)"]},
        id="EIR grounds named as exceptions or by bare numbers",  # "applying exception 12(4) (a)", "excepted under 12(5)(a)"
    ),
    pytest.param(
        "scottish_review_confirmed_with_modifications",
        {"outcome": "review_decision", "review_result": "partly", "citations": ["s38(1)(b)"]},
        # FOISA s21(4)(a): "confirmed with modifications" is a partly changed decision; "I have
        # completed my review of our response" is this review, not the reply under review retold
        id="a Scottish review that confirms the decision with modifications",
    ),
    pytest.param(
        "university_partial_quotes_section_40_definitions",
        {"outcome": "partial_disclosure", "citations": ["s40(2)"]},
        # "Section 40(7) of the Act says: 'In this section, the data protection principles means ...'"
        id="a definitions subsection quoted from the Act is no ground",
    ),
    pytest.param(
        "council_refusal_reasons_set_out_below",
        {"outcome": "refused", "citations": ["s42(1)"]},
        id="reasons set out below and a signed copy attached are no release",
    ),
    pytest.param(
        "us_glomar_published_copy_with_bracketed_note",
        {"outcome": "refused", "ncnd": True, "citations": ["b6", "b7(C)"]},
        # "[address redacted for this copy]" is the publisher's note, not a redaction of records;
        # "you have not identified a public interest" is no search that found nothing
        id="a Glomar reply published with a bracketed redaction note",
    ),
    pytest.param(
        "council_review_partly_names_released",
        {"outcome": "review_decision", "review_result": "partly", "citations": ["s43(2)"]},
        # "The original response redacted the names ... under section 40(2)" retells the decision
        # under review; "I do not consider that section 40(2) applies ... should not have redacted"
        id="a review that releases the names relies only on the ground it keeps",
    ),
    pytest.param(
        "council_auto_acknowledgement_one_paragraph",
        {"outcome": "acknowledgement", "citations": []},
        # a message without blank lines whose gateway footer is at its end: the footer goes, the
        # acknowledgement before it stays ("We confirm that we have received your correspondence")
        id="an automatic acknowledgement in one paragraph with its footer",
    ),
    pytest.param(
        "council_log_entry_q_and_a_figures",
        {"outcome": "full_disclosure", "citations": []},
        id="a log entry answering 'Q1 - 214', 'Q2 - £86k'",
    ),
    pytest.param(
        "fire_service_log_entry_outcome_refuse",
        {"outcome": "refused", "citations": ["s22"]},
        id="a log entry that applies s22 and says 'Outcome: Refuse'",
    ),
    pytest.param(
        "us_department_interim_release_subsection_b",
        {"jurisdiction": "us_foia", "outcome": "partial_disclosure", "citations": ["b5"]},
        id="a US letter citing 'Title 5 USC Section 552' and 'subsection (b) (5)'",
    ),
    pytest.param(
        "council_log_not_held_section_17_scotland",
        {"jurisdiction": "scotland_foisa", "outcome": "not_held", "citations": []},
        # FOISA s17 is the notice that information is not held, whatever "exempt" says; the log's
        # "Response 14-09-2021" heading is a date, not an answer
        id="a Scottish log entry 'not held and is therefore exempt under Section 17'",
    ),
    pytest.param(
        "council_review_following_request_for_a_review",
        {"outcome": "review_decision", "citations": []},
        id="a review panel's outcome 'following your request for a review'",
    ),
    pytest.param(
        "trust_acknowledgement_endeavour_and_clarification_if_needed",
        {"outcome": "acknowledgement", "citations": []},
        # "will endeavour to provide a response within the required 20 working-day deadline";
        # "If we require any clarification ..." and "There may also be a charge payable" are conditions
        id="an acknowledgement that mentions clarification and charges only as possibilities",
    ),
    pytest.param(
        "police_acknowledgement_in_process_response_should_be_provided",
        {"outcome": "acknowledgement", "citations": []},
        id="'we are in the process of dealing with your request', 'a response should be provided by'",
    ),
    pytest.param(
        "fire_service_log_full_see_attached_spreadsheets",
        {"outcome": "full_disclosure", "citations": []},
        id="a log entry whose answer is figures and 'See attached spreadsheets'",
    ),
    pytest.param(
        "nz_agency_acknowledgement_they_will_contact_you",
        {"jurisdiction": "nz_oia", "outcome": "acknowledgement", "citations": []},
        # "This email acknowledges your request"; "They will contact you if they require clarification"
        id="an NZ acknowledgement that says clarification may be sought",
    ),
    pytest.param(
        "nz_police_partial_attached_table_18f",
        {"jurisdiction": "nz_oia", "outcome": "partial_disclosure", "citations": ["s18(f)"]},
        # "see the attached table"; "the data before 2012 is declined under section 18(f)"
        id="an NZ release of recent years with the older years declined for collation",
    ),
    pytest.param(
        "council_fee_notice_review_of_charge_pending",
        {"jurisdiction": "nz_lgoima", "outcome": "fee_notice", "citations": []},
        # "place your request on hold pending the outcome of the review" of the charge: no review yet
        id="an NZ council's charge notice that offers a review of the charge",
    ),
    pytest.param(
        "council_log_applying_section_21_exemption",
        {"outcome": "refused", "citations": ["s21"]},
        id="a log entry 'applying Section 21 exemption'",
    ),
    pytest.param(
        "council_log_yes_no_and_month_counts_full",
        {"outcome": "full_disclosure", "citations": []},
        id="a log entry answering 'Yes - ...', 'No.' and 'January 2024 = 212'",
    ),
    pytest.param(
        "council_log_some_questions_not_held_figures_for_others",
        {"outcome": "partial_disclosure", "citations": []},
        # "Q1 - Information not held" beside "Q2 - 2022 - 2023 = 48 2023 - 2024 = 61 ..."
        id="a log entry with figures for some questions and 'not held' for others",
    ),
    pytest.param(
        "nz_council_release_with_charge_for_older_years",
        {"jurisdiction": "nz_lgoima", "outcome": "partial_disclosure", "citations": ["s17(e)"]},
        # releasing most of the answer outweighs a charge asked for the rest: a decision, not a fee notice
        id="a release that asks a charge only for the older years",
    ),
    pytest.param(
        "scottish_eisr_partial_exception_letter_glued",
        {"jurisdiction": "scotland_eisr", "outcome": "partial_disclosure", "citations": ["reg10(4)(e)"]},
        id="an EISR exception written 'regulation 10(4)e'",
    ),
    pytest.param(
        "eu_council_confirmatory_extension_article_8_2",
        {"jurisdiction": "eu_1049", "outcome": "delay", "citations": []},
        # "The time limit ... has therefore to be extended by 15 working days ..., in accordance with Article 8(2)"
        id="an EU confirmatory application's extension under Article 8(2)",
    ),
    pytest.param(
        "council_refusing_part_of_your_request_section_43",
        {"outcome": "partial_disclosure", "citations": ["s43(2)"]},
        id="'We are refusing part of your request' under section 43(2)",
    ),
    pytest.param(
        "scottish_eisr_exceptions_apply_to_some_of_the_information",
        {"jurisdiction": "scotland_eisr", "outcome": "partial_disclosure", "citations": ["reg10(4)(a)", "reg11(2)"]},
        # "Exceptions under regulations 10(4)(a) (...) and 11(2) (...) apply to some of the information"
        id="EISR exceptions that apply to some of the information",
    ),
    pytest.param(
        "ambulance_trust_response_below_table",
        {"outcome": "full_disclosure", "citations": []},
        id="'please find the Trust's response below' and a table of figures",
    ),
    pytest.param(
        "nz_council_automated_acknowledgement",
        {"outcome": "acknowledgement", "citations": []},
        id="'This is an automated acknowledgement of your email'",
    ),
    pytest.param(
        "au_department_extension_by_agreement_15aa",
        {"jurisdiction": "au_foi", "outcome": "delay", "citations": []},
        # "seeking your agreement to a 30 day extension of the statutory deadline under section 15AA"
        id="an Australian request to extend by agreement under section 15AA",
    ),
    pytest.param(
        "fire_service_answers_as_below",
        {"outcome": "full_disclosure", "citations": []},
        id="'please find the answers to your questions as below'",
    ),
    pytest.param(
        "council_auto_reply_receiving_attention_bilingual",
        {"outcome": "acknowledgement", "citations": []},
        # "This is receiving attention and a further response will be provided as soon as possible";
        # "20 working days, unless we need clarification" is a condition, not a request
        id="a bilingual automatic reply that mentions clarification only as a condition",
    ),
    pytest.param(
        "eu_agency_access_with_parts_expunged",
        {"jurisdiction": "eu_1049", "outcome": "partial_disclosure", "citations": ["art4(1)(a)"]},
        id="'some limited parts of these documents had to be expunged'",
    ),
    pytest.param(
        "council_statistics_questions_written_out_above_answers",
        {"outcome": "full_disclosure", "citations": []},
        # "2) What proportion of requests were granted an extension of time." is the question, not
        # this reply's extension; "has received a total of 1,406 requests" is an answer
        id="the request's questions written out above the answers are not the reply's own words",
    ),
    pytest.param(
        "museum_trust_cost_limit_time_allocation",
        {"outcome": "refused", "labels": ["refused"], "needs_review": False, "citations": ["s12"]},
        # "this cannot be answered within the FOI time allocation" is the cost limit, not a late reply
        id="'cannot be answered within the FOI time allocation' is the cost limit",
    ),
    pytest.param(
        "trust_whole_answer_points_to_published_log",
        {"outcome": "other", "needs_review": True, "citations": ["s21"]},
        # nothing is decided or withheld (the answer is a link), but the provision applied is named
        id="a reply that only points to a published answer still names section 21",
    ),
    pytest.param(
        "university_consults_on_unclear_request",
        {"jurisdiction": "nz_oia", "outcome": "clarification_requested", "citations": []},
        # "It is not clear from your request which contractor you mean ... please provide it so
        # that we can identify the right staff members"
        id="'it is not clear from your request' and 'please provide it so that we can identify'",
    ),
    pytest.param(
        "eu_confirmatory_extension_retells_initial_refusal",
        {"jurisdiction": "eu_1049", "outcome": "delay", "citations": []},
        # "Your confirmatory application concerns the reply of the DG ..., which refused access ...
        # on the basis of Article 4(3)": the grounds of the reply under review, not of this extension
        id="an extension of a confirmatory application does not list the initial reply's grounds",
    ),
    pytest.param(
        "police_clarification_likely_over_cost_limit",
        {"outcome": "clarification_requested", "needs_review": False, "citations": []},
        # "It is highly likely that answering the request as it stands would exceed the appropriate
        # limit": a forecast that explains the question, not a refusal under section 12
        id="'it is highly likely that ... would exceed the appropriate limit' is a forecast",
    ),
    pytest.param(
        "nz_ministry_extends_timeframe_section_15a",
        {"jurisdiction": "nz_oia", "outcome": "delay", "citations": []},
        # "needs to extend the timeframe for responding"; "which is an extension of 10 working days"
        id="an OIA extension of the timeframe by 10 working days",
    ),
    pytest.param(
        "nz_department_asks_for_evidence_of_eligibility",
        {"jurisdiction": "nz_oia", "outcome": "clarification_requested", "citations": []},
        id="'we would appreciate it if you could confirm your eligibility'",
    ),
    pytest.param(
        "council_log_answer_quotes_request_fallback",
        {"outcome": "full_disclosure", "labels": ["full_disclosure"], "citations": []},
        # "If you are unable to provide three years of data, please provide two" is the request's
        # own fallback, repeated under "Response:", not the council being unable
        id="the request's 'if you are unable to provide' fallback is no refusal",
    ),
    pytest.param(
        "nz_university_answers_by_link_to_agenda",
        {"jurisdiction": "nz_oia", "outcome": "full_disclosure", "citations": []},
        id="'please find below the link to the ... meeting agenda' answers the request",
    ),
    pytest.param(
        "council_automated_receipt_with_general_delay_warning",
        {"outcome": "acknowledgement", "citations": []},
        # "This is an automated response confirming receipt of your email"; the warning that "in
        # many cases the Council will not be able to meet the statutory timescale" is general
        id="an automated receipt with a general warning of delays is an acknowledgement",
    ),
    pytest.param(
        "au_department_full_access_no_charge",
        {"jurisdiction": "au_foi", "outcome": "full_disclosure", "citations": []},
        id="'I have decided not to impose a charge' is no fee notice",
    ),
    pytest.param(
        "au_department_access_in_part_deletions",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": []},
        id="'give access to the document ... in part, subject to the deletion of exempt material'",
    ),
    pytest.param(
        "police_log_exemption_applicable_to_information_requested",
        {"outcome": "refused", "citations": ["s12"]},
        # "The exemption applicable to the information requested is:" introduces the ground, not a
        # quotation of the request
        id="'the exemption applicable to the information requested is:' is not a quoted request",
    ),
    pytest.param(
        "council_log_answer_is_a_link_to_document",
        {"outcome": "full_disclosure", "needs_review": True, "citations": []},
        # "Please see document located here.": the answer is the linked document (a person should
        # still check that it answers every question)
        id="a disclosure-log answer that is only a link to a document",
    ),
    pytest.param(
        "police_holding_email_after_deadline",
        {"outcome": "delay", "citations": []},
        # "apologies for the slow progress ...; I am aware we have exceeded the 20 day time limit"
        id="a holding email that apologises for slow progress past the 20 day limit",
    ),
    pytest.param(
        "agency_one_part_not_held_other_part_section_21",
        {"outcome": "not_held", "labels": ["not_held"], "citations": ["s21"]},
        # "MLA does not hold this information." answers question 1 between the quoted questions;
        # "exempt by virtue of Section 21 of the FOIA" points to a published report: nothing withheld
        id="one part not held, the other pointed to under section 21",
    ),
    pytest.param(
        "au_department_decision_list_release_in_part",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": ["s47F"]},
        # "These documents were in the possession of the Department ... when your request was
        # received" states the scope, it acknowledges nothing; "... within the scope of your request
        # is as follows:" introduces the decision, not a quoted request; "Release two documents in
        # part with deletions"
        id="an Australian decision list: release two documents in part",
    ),
    pytest.param(
        "highways_agency_information_you_are_seeking_below",
        {"outcome": "full_disclosure", "citations": []},
        id="'Please find the information you are seeking below' and answers in words",
    ),
    pytest.param(
        "rail_company_review_handled_appropriately",
        {"outcome": "review_decision", "review_result": "upheld", "citations": []},
        # "my conclusion is that your request was handled appropriately"; "In response you were
        # informed that ... is not subject to the Act" retells the reply under review
        id="a review that finds the request was handled appropriately is upheld",
    ),
    pytest.param(
        "au_department_access_with_exempt_material_removed_after_extension",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": []},
        # "grant you access to the documents, with exempt material removed"; "On 14 February 2025,
        # the department requested a 21-calendar day extension" is how the request went, not a delay
        id="access with exempt material removed, after an extension told as history",
    ),
    pytest.param(
        "ministry_cannot_answer_without_further_clarification",
        {"outcome": "clarification_requested", "citations": []},
        # "I will not be able to answer it without further clarification"; "I am currently unclear
        # as to the exact scope of your request"
        id="'cannot answer it without further clarification' and 'unclear as to the exact scope'",
    ),
    pytest.param(
        "nz_ministry_request_lacks_due_particularity",
        {"jurisdiction": "nz_oia", "outcome": "clarification_requested", "citations": []},
        # "lacks due particularity"; "grateful if you could provide further detail"; "so that we can
        # commence work on your request"
        id="an OIA request that lacks due particularity",
    ),
    pytest.param(
        "au_office_grants_access_in_part_refuses_rest",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": []},
        id="'grant access in part to 19 documents, and refuse access in full to 12'",
    ),
    pytest.param(
        "nz_university_breakdown_partial_refusal_18g",
        {"jurisdiction": "nz_oia", "outcome": "partial_disclosure", "citations": ["s18(g)"]},
        # the figures are in "the enclosed spreadsheet"; the breakdowns the system cannot produce are
        # refused: "This constitutes a partial refusal of your request under section 18(g)"
        id="'This constitutes a partial refusal of your request'",
    ),
    pytest.param(
        "nz_ministry_one_part_refused_recording_not_held",
        {"jurisdiction": "nz_oia", "outcome": "partial_disclosure", "citations": ["s18(g)(i)"]},
        # the answer follows the quoted request on the next line: "Please see the attached document
        # ... that contains the transcript" ends the quotation and is a release
        id="'Please see the attached document' right under the quoted request",
    ),
    pytest.param(
        "council_acknowledgement_either_supply_or_explain",
        {"outcome": "acknowledgement", "citations": []},
        # "either supplying you with the information you asked for, or explaining to you why we
        # cannot supply it" promises either outcome; it withholds nothing
        id="an acknowledgement that promises to supply or explain why not",
    ),
    pytest.param(
        "au_agency_decision_after_agreed_extension",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": ["s47F"]},
        # "Extension of time" (a heading the sentence runs on from) "On 15 September 2025, you agreed
        # to a 30-day extension" is the request's history, not this letter's extension
        id="a decision that retells an agreed extension under a heading",
    ),
    pytest.param(
        "fire_log_entry_request_detail_cost_not_recorded",
        {"outcome": "partial_disclosure", "citations": []},
        # "Request detail:" quotes the request ("the estimated cost" is no fee); "does not record the
        # cost ..., however an indicative cost could be worked out" asserts its first clause
        id="a disclosure-log entry: spreadsheet given, cost not recorded",
    ),
    pytest.param(
        "scottish_directorate_eir_release_with_s39_technical_exemption",
        {"jurisdiction": "scotland_eisr", "outcome": "full_disclosure", "citations": []},
        # FOISA s39(2) applied "so that we do not also have to deal with your request under FOISA"
        # withholds nothing; "we have considered if the public interest ..." weighs, it does not decide;
        # "the public interest lies in upholding the exemption" is no review; "Please find a copy of
        # the monitoring results you requested enclosed" is the release
        id="a Scottish EIR release with the technical section 39(2) exemption",
    ),
    pytest.param(
        "regulator_cost_limit_not_in_extractable_format",
        {"outcome": "refused", "citations": ["s12"]},
        # "not stored in an extractable format"; "the estimated cost of one person spending 18 hours"
        # explains the cost limit, it is no fee
        id="a cost-limit refusal that explains the 18 hours",
    ),
    pytest.param(
        "scottish_council_acknowledgement_may_ask_for_clarification",
        {"jurisdiction": "scotland_foisa", "outcome": "acknowledgement", "citations": []},
        # "We may be in touch to ask for further clarification"; "to seek clarification where necessary"
        id="an acknowledgement that may ask for clarification later",
    ),
    pytest.param(
        "au_department_grants_edited_copy_exempt_material_removed",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": []},
        id="'access to an edited copy of the documents, with irrelevant and exempt material removed'",
    ),
    pytest.param(
        "au_defence_statement_of_reasons_partially_release",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": ["s47F"]},
        # "On 4 August 2025, Defence sought the applicant's written agreement to extend" is history;
        # "partially release twelve (12) documents in accordance with section 22" is the decision
        id="an Australian statement of reasons that partially releases documents",
    ),
    pytest.param(
        "welsh_council_acknowledgement_charges_list_enclosed",
        {"jurisdiction": "uk_eir", "outcome": "acknowledgement", "citations": []},
        # "a list of our charges is enclosed" and a guidance leaflet release nothing; "We will notify you
        # if there is a need to extend the time limit" extends nothing
        id="an acknowledgement with a charges list and a leaflet enclosed",
    ),
    pytest.param(
        "london_council_answers_with_section_1_explanatory_footer",
        {"outcome": "full_disclosure", "citations": []},
        # the footer explains the Act: "Unless exemptions apply, the first duty ... is to confirm or deny";
        # "Where exemptions are relied upon, section 17 ... requires" withholds nothing
        id="answers with a footer that explains sections 1 and 17",
    ),
    pytest.param(
        "au_agency_notice_of_charges_request_mentions_review",
        {"jurisdiction": "au_foi", "outcome": "fee_notice", "citations": []},
        # "Your request seeks access to the following documents:" quotes the request (its "internal
        # review decision maker" is no review); "The preliminary assessment of that charge is as follows"
        id="a notice of charges whose quoted request mentions a review",
    ),
    pytest.param(
        "police_log_entry_neither_confirms_nor_denies",
        {"outcome": "refused", "ncnd": True, "citations": ["s31(3)", "s38(2)"]},
        # "neither confirms nor denies" (third person) outweighs the request's "Please can you confirm
        # whether ...?"; "should not be taken as an indication that the information ... is or is not
        # held" says nothing is not held
        id="'the Force neither confirms nor denies' under a logged question",
    ),
    pytest.param(
        "ca_agency_records_disclosed_in_part",
        {"jurisdiction": "ca_atia", "outcome": "partial_disclosure", "ncnd": True, "citations": ["s16(1)(c)"]},
        # "the Agency neither confirms nor denies whether records ... exist" for part 2; part 1's records
        # "are enclosed and are disclosed in part"
        id="records 'disclosed in part' beside a part neither confirmed nor denied",
    ),
    pytest.param(
        "transport_body_eir_refusal_material_in_course_of_completion",
        {"jurisdiction": "uk_eir", "outcome": "refused", "citations": ["reg12(4)(d)"]},
        # "we are not obliged under the EIR to supply this information": the regulation's own words
        # quoted in the same sentence ("a public authority may refuse") do not make it hypothetical
        id="'we are not obliged under the EIR to supply this information'",
    ),
    pytest.param(
        "department_internal_review_supported_original_decision",
        {"outcome": "review_decision", "review_result": "upheld", "citations": ["s43(2)"]},
        id="'The internal review you requested ... has supported the original decision'",
    ),
    pytest.param(
        "au_agency_apology_and_third_party_consultation",
        {"jurisdiction": "au_foi", "outcome": "delay", "citations": []},
        # "Section 27 of the FOI Act provides that, if a request is made ... the organisation might
        # reasonably wish to contend that the document is exempt" paraphrases the Act; nothing is decided
        id="an apology for delay while third parties are consulted",
    ),
    pytest.param(
        "scottish_directorate_release_exemptions_listed_by_number",
        {"jurisdiction": "scotland_foisa", "outcome": "partial_disclosure", "citations": ["s33(1)(b)", "s38(1)(b)"]},
        # "exemptions apply to that information under FOISA sections:" then "• 33(1)(b), Commercial
        # interests": the list items are citations without the word "section"
        id="exemptions listed by bare number under 'FOISA sections:'",
    ),
    pytest.param(
        "council_statistics_withheld_in_response_to_n_requests",
        {"jurisdiction": "scotland_foisa", "outcome": "full_disclosure", "citations": []},
        # "information was withheld in full on these grounds in response to 27 requests" is a count;
        # "in such cases we explain ... why we are unable to provide the information" is general
        id="statistics: 'withheld ... in response to 27 requests'",
    ),
    pytest.param(
        "police_log_attached_response_plus_ncnd_other_information",
        {"outcome": "partial_disclosure", "ncnd": True, "citations": ["s24(2)", "s31(3)"]},
        # "In addition to the attached response, Midshire Police can neither confirm nor deny that it
        # holds any other information": the attached response was given
        id="an attached response plus NCND for any other information",
    ),
    pytest.param(
        "au_commission_notice_under_s24ab",
        {"jurisdiction": "au_foi", "outcome": "clarification_requested", "citations": []},
        # "Notice under s 24AB of the FOI Act": the request consultation process, asking the applicant
        # to revise a request that does not identify the documents
        id="an Australian 'Notice under s 24AB' asks for a revised request",
    ),
    pytest.param(
        "army_cost_limit_may_hold_some_information",
        {"outcome": "refused", "citations": ["s12"]},
        # "I can confirm that we may hold some information" hedges before a cost-limit refusal of
        # everything; "hold some of the information" would be a partial answer
        id="'we may hold some information' before a cost-limit refusal is no partial answer",
    ),
    pytest.param(
        "scottish_council_cost_limit_for_three_questions_table_for_fourth",
        {"jurisdiction": "scotland_foisa", "outcome": "partial_disclosure", "citations": ["s12"]},
        # "we are therefore unable to comply with this part of your request", then a table answers
        # question 4
        id="'unable to comply with this part of your request' beside a table of figures",
    ),
    pytest.param(
        "museum_single_question_answered_with_an_estimated_total",
        {"outcome": "full_disclosure", "citations": []},
        # "The estimated total of objects ... is currently 1.4 million": the answer is the figure
        id="an answer that is an estimated total",
    ),
    pytest.param(
        "council_disclosure_log_budget_answer_and_published_spend",
        {"outcome": "full_disclosure", "citations": ["s21"]},
        # "The total budget for grass cutting of parks and road verges is £412,650.00": the budget is
        # given; the rest is published (section 21 keeps the letter a full answer)
        id="a budget figure given and the rest pointed to under section 21",
    ),
    pytest.param(
        "council_figures_only_from_a_later_year",
        {"outcome": "partial_disclosure", "citations": []},
        # "Note: we only have figures from 2017 onwards": ten years asked for, six given
        id="'we only have figures from 2017 onwards' answers part of the request",
    ),
    pytest.param(
        "us_commission_appeal_considered_and_denied",
        {"jurisdiction": "us_foia", "outcome": "review_decision", "review_result": "upheld", "citations": ["b7(A)"]},
        # "I have considered your appeal, and it is denied"; "the FOIA Officer correctly asserted
        # Exemption 7(A)"
        id="a US appeal 'considered, and it is denied' upholds the denial",
    ),
    pytest.param(
        "us_agency_pages_partially_releasable_with_appeal_instructions",
        {"jurisdiction": "us_foia", "outcome": "partial_disclosure", "citations": ["b6"]},
        # "15 pages are partially releasable", "Enclosed are 15 pages with certain information
        # withheld"; "you must send your appeal ... within 90 days" explains the right to appeal
        id="US pages 'partially releasable' with appeal instructions is no review decision",
    ),
    pytest.param(
        "welsh_council_bilingual_request_accepted",
        {"outcome": "acknowledgement", "citations": []},
        # a bilingual letterhead, then "Request Accepted" and a summary of the request
        id="a letter headed 'Request Accepted' is an acknowledgement",
    ),
    pytest.param(
        "scottish_council_acknowledgement_passed_to_partnership_with_foi_leaflet",
        {"jurisdiction": "scotland_foisa", "outcome": "acknowledgement", "citations": []},
        # "passed to the Health and Social Care Partnership who will action it and respond to you direct";
        # "Please find attached further details on FoI with a summary of our policy and procedures"
        id="an acknowledgement that encloses FOI guidance releases nothing",
    ),
    pytest.param(
        "english_council_eir_acknowledgement_routed_from_foia",
        {"jurisdiction": "uk_eir", "outcome": "acknowledgement", "citations": []},
        # "falls within the scope of the EIR and as such is exempt from the FOI Act, under Section 39";
        # "the provision exists to extend ... if the request is felt to be particularly complex"
        id="an EIR acknowledgement: section 39 routes the request, an extension is only possible",
    ),
    pytest.param(
        "nz_council_email_attaching_acknowledgment_letter",
        {"jurisdiction": "nz_lgoima", "outcome": "acknowledgement", "citations": []},
        # "Please find attached an acknowledgment letter": what is attached is no release
        id="an email that attaches an acknowledgment letter",
    ),
    pytest.param(
        "au_agency_internal_review_confirms_original_decision",
        {"jurisdiction": "au_foi", "outcome": "review_decision", "review_result": "upheld", "citations": ["s38"]},
        # "I confirm the original decision that these documents are exempt"
        id="an Australian reviewer who 'confirms the original decision' upholds it",
    ),
    pytest.param(
        "transport_body_burden_refusal_mentions_what_would_be_refused",
        {"outcome": "refused", "citations": ["s14(1)"]},
        # "Detailed information of this nature ... would be refused under sections 24 and 38": the
        # burden explained, not grounds applied
        id="a section 14 burden refusal: what 'would be refused' is no ground",
    ),
    pytest.param(
        "au_authority_email_seeks_confirmation_of_scope",
        {"jurisdiction": "au_foi", "outcome": "clarification_requested", "citations": []},
        # "I seek confirmation that you are seeking documents solely relating to ..."
        id="'I seek confirmation that you are seeking' asks to clarify the scope",
    ),
    pytest.param(
        "us_commission_order_grants_in_part_application_for_review",
        {"jurisdiction": "us_foia", "outcome": "review_decision", "review_result": "partly", "citations": ["b7(A)"]},
        # a commission's order: "we grant in part and deny in part Fenwick's application for review of a
        # decision by the Spectrum Enforcement Bureau"; "Washington, D.C." places it under the US FOIA
        id="a US commission's order on an application for review, granted in part",
    ),
    pytest.param(
        "us_commission_order_denies_fee_waiver_application_for_review",
        {"jurisdiction": "us_foia", "outcome": "review_decision", "review_result": "upheld", "citations": []},
        # "we deny an application for review filed by ..."; "the staff correctly determined that OAP is
        # not entitled to a fee waiver"
        id="a US commission's order denying an application for review of a fee-waiver denial",
    ),
    pytest.param(
        "eu_parliament_documents_made_public_in_register",
        {"jurisdiction": "eu_1049", "outcome": "full_disclosure", "citations": []},
        # "In light of your application for public access to documents, Parliament has identified 41
        # documents (see Annex), which are being made publicly available on Parliament's Public Register"
        id="EU documents 'being made publicly available' in the register are released",
    ),
    pytest.param(
        "nz_ministry_decision_set_out_below_answers",
        {"jurisdiction": "nz_oia", "outcome": "full_disclosure", "citations": []},
        # "Please find my decision set out below", then each question answered in prose
        id="a NZ letter whose decision, set out below, answers each question",
    ),
    pytest.param(
        "au_regulator_notice_of_intention_to_refuse_practical_refusal",
        {"jurisdiction": "au_foi", "outcome": "clarification_requested", "citations": ["s24AA(1)(b)"]},
        # "Notice of intention to refuse access because a practical refusal reason exists": the request
        # consultation process of s24AB, the applicant may revise the request
        id="an Australian 'notice of intention to refuse access' asks for a revised request",
    ),
    pytest.param(
        "au_police_no_documents_s24a_letterhead_abn",
        {"jurisdiction": "au_foi", "outcome": "not_held", "citations": ["s24A(1)(b)(ii)"]},
        # the letterhead's "ABN 22 631 874 509" is no row of figures released
        id="an Australian Business Number in a letterhead is no disclosure",
    ),
    pytest.param(
        "scottish_ambulance_service_section_17_not_held",
        {"jurisdiction": "scotland_foisa", "outcome": "not_held", "citations": []},
        # "section 17 of the Freedom of Information Act 2002": the Scottish Act, named without "(Scotland)"
        id="'the Freedom of Information Act 2002' is the Scottish Act",
    ),
    pytest.param(
        "us_agency_automated_notice_acknowledges_receipt",
        {"jurisdiction": "us_foia", "outcome": "acknowledgement", "citations": []},
        # "This automated notice acknowledges receipt of your ... request"; "unique FOIA tracking number"
        id="a US 'automated notice' acknowledging receipt, with the fee terms",
    ),
    pytest.param(
        "police_cost_estimate_without_naming_the_limit",
        {"outcome": "refused", "citations": ["s12"]},
        # "it has been calculated that this would cost in the region of £2,583.00": a cost estimate that
        # refuses the request without naming the appropriate limit, not a figure released
        id="a cost estimate without the limit's name refuses; its sum is no figure released",
    ),
    pytest.param(
        "regulator_log_question_headings_answer_and_part_not_held",
        {"outcome": "partial_disclosure", "citations": ["s40(2)"]},
        # "Question 2:" then "The Betting Standards Commission holds no information falling in scope of
        # this part of your request": an answer (kept, not folded as a quoted question), and a part not held
        id="a log's answer under 'Question 2:' that part of the request is not held",
    ),
    pytest.param(
        "nuclear_regulator_eir_manifestly_unreasonable_holds_information_of_the_description",
        {"jurisdiction": "uk_eir", "outcome": "refused", "citations": ["reg12(4)(b)"]},
        # "ORS holds some information of the description specified in your requests. However, ...
        # manifestly unreasonable": the duty to confirm, then a refusal of the whole
        id="'holds some information of the description specified' before a refusal is no partial answer",
    ),
    pytest.param(
        "transport_body_covid_acknowledgement_asks_to_withdraw",
        {"outcome": "acknowledgement", "citations": []},
        # "Should you wish to proceed with the request we will aim to issue a response by 1 October 2020"
        id="a pandemic acknowledgement that asks to withdraw and still gives the date",
    ),
    pytest.param(
        "au_agency_deemed_refusal_notice_still_considering_release",
        {"jurisdiction": "au_foi", "outcome": "delay", "citations": []},
        # "is deemed to have refused your request under section 15AC ... (deemed refusal)": the
        # deadline passed with no decision; the agency is still considering release
        id="an Australian deemed refusal is a late reply, not a refusal",
    ),
    pytest.param(
        "police_commissioner_diary_cost_threshold_refusal_notice",
        {"outcome": "refused", "citations": ["s12"]},
        # "it will not be possible to answer your request without exceeding the appropriate cost
        # threshold": the limit applied, not only the Act's provision described
        id="'without exceeding the appropriate cost threshold' applies the cost limit",
    ),
    pytest.param(
        "nhs_trust_internal_review_initial_response_was_correct",
        {"outcome": "review_decision", "review_result": "upheld", "citations": ["s36"]},
        # "I have considered our initial response and concluded that our response was factually correct"
        id="a review that concluded the initial response was correct upholds it",
    ),
    pytest.param(
        "agency_release_tables_at_annexes",
        {"outcome": "full_disclosure", "citations": []},
        # "Please find at Annex B a table which shows ...": each answer is a table in an annex
        id="answers given as tables 'at Annex A' and 'at Annex B'",
    ),
    pytest.param(
        "scottish_council_log_entry_names_only_the_council",
        {"jurisdiction": "scotland_foisa", "outcome": "full_disclosure", "citations": []},
        # a disclosure-log entry that names no Act, only "Angus Council": a Scottish authority
        id="a Scottish council named in a log entry that names no Act",
    ),
    pytest.param(
        "council_asks_which_grant_scheme_before_going_further",
        {"outcome": "clarification_requested", "needs_review": True, "citations": []},
        # "Before we can go further we need you to tell us which of the two grant schemes you mean":
        # no rule places it; the learned fallback's guess, flagged for a person to check
        id="a letter no rule places gets the learned model's guess",
    ),
    pytest.param(
        "nz_agency_decision_to_withhold_some_of_the_information",
        {"jurisdiction": "nz_oia", "outcome": "partial_disclosure", "citations": ["s9(2)(a)", "s9(2)(b)(ii)"]},
        # "I enclose the information you requested ... a decision has been made to withhold some of the
        # information under the following sections" then bullets of bare numbers ("• 9(2)(a) to protect ...")
        id="withholding some of the information, under a list of bare section numbers, is partial",
    ),
    pytest.param(
        "nz_council_release_after_refining_would_have_been_declined",
        {"outcome": "full_disclosure", "citations": []},
        # "your request would likely have resulted in a refusal under section 17(f)": the earlier
        # exchange retold; the refined request was answered in full
        id="a refusal the request would have met before it was refined is no ground",
    ),
    pytest.param(
        "council_we_have_issued_figures_in_prose",
        {"outcome": "full_disclosure", "citations": []},
        # "We have issued 14 fixed penalty notices ...": a figure given in a sentence is the answer
        id="a figure the council says it has issued is released",
    ),
    pytest.param(
        "council_only_able_to_supply_some_of_the_information",
        {"outcome": "partial_disclosure", "citations": ["s40(2)"]},
        # "We are only able to supply some of the information you have requested."
        id="only able to supply some of the information is partial",
    ),
    pytest.param(
        "fire_service_information_held_partially",
        {"outcome": "partial_disclosure", "citations": []},
        # "The Service can confirm the requested incident information is held partially."
        id="information held partially is a partial answer",
    ),
    pytest.param(
        "police_one_complaint_further_information_exempt",
        {"outcome": "partial_disclosure", "citations": ["s30(1)(a)"]},
        # "= 2 complaints have been received ... In this case any further information about these
        # complaints is exempt": the count was given, the rest withheld
        id="a count given and any further information exempt is partial",
    ),
    pytest.param(
        "department_dealing_with_your_request_aim_to_send_response_by",
        {"outcome": "acknowledgement", "citations": []},
        # "I am dealing with your request ... and aim to send you a response by 2 April 2024": the
        # first promised date, not a later one
        id="dealing with your request and aiming to reply by a date is an acknowledgement",
    ),
    pytest.param(
        "department_considering_your_concerns_review_request",
        {"outcome": "acknowledgement", "citations": []},
        # "We are considering your concerns and will aim to provide you with a response by ..."
        id="a review request being considered is acknowledged",
    ),
    pytest.param(
        "department_asks_you_for_clarification_cannot_take_further",
        {"outcome": "clarification_requested", "citations": []},
        # "we would like to ask you for clarification"; "I will not be able to take this matter
        # further without this extra information from you"
        id="asking you for clarification before taking the request further",
    ),
    pytest.param(
        "council_response_to_your_request_set_out_below",
        {"outcome": "full_disclosure", "citations": []},
        # "Please find Eastfield City Council's response to your request set out below:"
        id="the council's response set out below, every question answered, is full",
    ),
    pytest.param(
        "council_review_carried_out_ncnd_maintained",
        {"outcome": "review_decision", "review_result": "upheld", "ncnd": True, "citations": ["s40(5)"]},
        # "You have asked us for an internal review ... A full and impartial review has now been carried
        # out"; the original reply is quoted at length; "we were correct to apply section 40(5B)(a)(i)"
        id="a review carried out that keeps the original reply is upheld",
    ),
    pytest.param(
        "council_review_not_changing_our_response",
        {"outcome": "review_decision", "review_result": "upheld", "citations": []},
        # "We are not changing our response of 12 August 2024, and therefore not upholding your complaint."
        id="not changing our response is a review upheld",
    ),
    pytest.param(
        "council_further_fortnight_before_we_can_reply",
        {"outcome": "delay", "citations": []},
        # "It is likely that it will be a further fortnight before we are in a position to reply to you."
        id="a further fortnight before we can reply is a delay",
    ),
    pytest.param(
        "council_eir_charges_for_this_information",
        {"jurisdiction": "uk_eir", "outcome": "fee_notice", "citations": []},
        # EIR reg 8: "Brackenfield City Council charges for this information. Please make your request to ..."
        id="the council charges for this information is a fee notice",
    ),
    pytest.param(
        "council_informal_we_dont_hold_information",
        {"outcome": "not_held", "citations": []},
        # "we don’t hold information about that camera" (a curly apostrophe, no "do not")
        id="we don't hold information is not held",
    ),
    pytest.param(
        "department_auto_receipt_currently_processing",
        {"outcome": "acknowledgement", "citations": []},
        # "Thank you for your email. We are currently processing your request."
        id="we are currently processing your request acknowledges it",
    ),
    pytest.param(
        "council_review_accepts_complaint_about_failure_to_respond",
        {"jurisdiction": "uk_eir", "outcome": "review_decision", "citations": []},
        # "We accept your complaint about our failure to respond to your original request": a review of
        # a reply never sent, which releases the information with it
        id="a review that accepts a complaint about a missing reply is a review decision",
    ),
    pytest.param(
        "council_answers_request_that_says_reply_unknown_if_not_held",
        {"outcome": "full_disclosure", "citations": []},
        # the request's own instruction, quoted: 'Please reply "unknown" if this information is not held.'
        id="the request's 'if this information is not held' is no answer",
    ),
    pytest.param(
        "council_late_reply_figures_out_of_total",
        {"outcome": "full_disclosure", "citations": []},
        # an apology for the delay, then the answer: "In 2023, 212 out of 240 council allotment plots were let."
        id="a late reply that gives 'X out of Y' figures is a release",
    ),
    pytest.param(
        "fire_service_summary_of_our_findings_below",
        {"outcome": "full_disclosure", "citations": []},
        # "Please find below a summary of our findings." then the request and the figures
        id="a summary of our findings below is a release",
    ),
    pytest.param(
        "police_withholding_by_virtue_of_exemption_statute_quoted",
        {"outcome": "refused", "citations": ["s43(2)"]},
        # "we are withholding the information by virtue of the following exemption: Section 43(2) ...
        # “(2) Information is exempt information if ...”": the statute quoted inside the decision
        id="a decision that quotes the statute is not hypothetical",
    ),
    pytest.param(
        "us_city_board_invokes_extension_additional_working_days",
        {"outcome": "delay", "citations": []},
        # "I am invoking an extension of five additional working days to respond to your request"
        id="an extension of five additional working days is a delay",
    ),
    pytest.param(
        "nhs_trust_requested_information_contained_within_attached_csv",
        {"outcome": "full_disclosure", "citations": []},
        # "Please find the requested information contained within the attached CSV files."
        id="the requested information within the attached files is a release",
    ),
    pytest.param(
        "nhs_trust_breakdowns_can_be_found_on_attached_files",
        {"outcome": "full_disclosure", "citations": []},
        # "Detailed breakdowns can be found on the attached .csv files"
        id="breakdowns found on the attached files are a release",
    ),
    pytest.param(
        "scottish_directorate_exemption_under_sections_semicolon_list",
        {"jurisdiction": "scotland_foisa", "outcome": "partial_disclosure", "citations": ["s30(b)(i)", "s33(1)(b)", "s38(1)(b)"]},
        # "an exemption under sections;" then bullets of bare numbers: the stray semicolon still introduces the list
        id="a list of bare section numbers after 'sections;' is cited",
    ),
    pytest.param(
        "nhs_trust_answers_two_parts_cannot_comply_with_part_three",
        {"outcome": "partial_disclosure", "citations": ["s12"]},
        # parts 1 and 2 answered in a table; "not able to comply with part 3 of the request as to do so
        # would require it to exceed the appropriate limit"
        id="the cost limit for one numbered part, the rest answered, is a partial disclosure",
    ),
    pytest.param(
        "nhs_trust_numbered_answers_item_three_under_section_12",
        {"outcome": "partial_disclosure", "citations": ["s12"]},
        # "1 - We employ 14 ...", "2 - Please see the response document attached ...", "3 - Under Section 12 ..."
        id="a numbered answer line refused under section 12 beside answered ones is a partial disclosure",
    ),
    pytest.param(
        "council_refuses_every_numbered_question_cost_limit",
        {"outcome": "refused", "citations": ["s12"]},
        # every numbered answer line is a section 12 refusal and nothing is given: still a refusal
        id="the cost limit on every numbered question is a refusal",
    ),
    pytest.param(
        "australian_department_grant_you_access_in_part",
        {"jurisdiction": "au_foi", "outcome": "partial_disclosure", "citations": ["s47F", "s47G"]},
        # "I have decided to: grant you access in full to 3 documents; grant you access in part to 9 documents"
        id="'grant you access in part' is a partial disclosure",
    ),
    pytest.param(
        "scottish_council_long_bare_number_exemption_list",
        {"jurisdiction": "scotland_foisa", "outcome": "partial_disclosure",
         "citations": ["s30(b)(i)", "s30(b)(ii)", "s30(c)", "s33(1)(b)", "s36(1)", "s38(1)(b)"]},
        # six bullets of bare numbers under "... under sections:": the items past the third are listed too
        id="every item of a long bare-number list is cited",
    ),
    pytest.param(
        "police_review_will_now_be_conducted",
        {"outcome": "acknowledgement", "citations": []},
        # "A review will now be conducted ... The reviewing officer will reconsider the original request
        # before responding to you with their findings."
        id="a review that will now be conducted is a review request acknowledged",
    ),
    pytest.param(
        "hospital_trust_will_reply_on_or_before_date",
        {"outcome": "acknowledgement", "citations": []},
        # "We can confirm that <the trust> will reply on or before 14/10/25."
        id="'will reply on or before' a date is an acknowledgement",
    ),
    pytest.param(
        "agency_relevant_data_in_pdf_attached",
        {"outcome": "full_disclosure", "citations": []},
        # "Please find the relevant data requested in the .pdf attached to the covering email."
        id="the relevant data in the attached pdf is a release",
    ),
    pytest.param(
        "regulator_holds_some_but_cannot_process_any_further_s12",
        {"outcome": "refused", "citations": ["s12"]},
        # "does hold some of the information ... exempt under Section 12 ... we cannot process your request
        # any further": the cost limit for the whole request, not a partial disclosure
        id="a request that cannot be processed any further under section 12 is refused",
    ),
    pytest.param(
        "mapping_agency_having_reviewed_your_request_not_valid",
        {"outcome": "refused", "citations": []},
        # "Having reviewed your information request, the Agency is unable to comply": the first reading of
        # a request, not an internal review (the footer names the "FOI Internal Review Officer")
        id="'having reviewed your information request' is no review decision",
    ),
    pytest.param(
        "hospital_trust_request_as_detailed_below_then_report_attached",
        {"outcome": "full_disclosure", "citations": []},
        # "your request for information received by the Trust on 24 March 2025 as detailed below:" quotes
        # the request ("Please could you provide me with further information ..."): folded, not a clarification
        id="a request quoted 'as detailed below' is folded",
    ),
    pytest.param(
        "school_acknowledgement_lists_what_reply_will_do",
        {"outcome": "acknowledgement", "citations": []},
        # "we have 20 school days to either: * provide you with the information ...; or * if we are unable to
        # provide this information, let you know the reason": a promise of either outcome, not a refusal
        id="'if we are unable to provide this information' in an acknowledgement is no refusal",
    ),
    pytest.param(
        "department_response_due_date_changed",
        {"outcome": "delay", "citations": []},
        # "The date that the response is due for your request ... has been changed to 14th November."
        id="a response due date changed to a later one is a delay",
    ),
    pytest.param(
        "council_finalising_response_hope_to_have_it_tomorrow",
        {"outcome": "delay", "citations": []},
        # "We are just finalising your response and hope to have it with you tomorrow."
        id="a response being finalised is a delay",
    ),
    pytest.param(
        "police_disclosure_log_excel_workbook_attached",
        {"outcome": "full_disclosure", "citations": []},
        # "Please find attached an excel workbook containing the information requested."
        id="an attached workbook with the information is a release",
    ),
    pytest.param(
        "department_section_21_already_reasonably_accessible",
        {"outcome": "refused", "citations": ["s21"]},
        # "Under section 21 of the Act, we are not required to provide information which is already reasonably
        # accessible to you." and a pointer to the published table: section 21 applied to the whole request
        id="section 21 applied to the whole request is a refusal",
    ),
    pytest.param(
        "nz_council_considered_partial_release_withholds_negotiations",
        {"jurisdiction": "nz_lgoima", "outcome": "refused", "citations": ["s7(2)(i)"]},
        # "We did consider a partial release of the information requested, however ...": weighed, not made
        id="a partial release considered and turned down is no partial disclosure",
    ),
    pytest.param(
        "fire_service_carried_out_full_review_findings",
        {"outcome": "review_decision", "needs_review": False, "citations": []},
        # "I have carried out a full review of the original request ... My findings are as follows:"
        # (without the rule only the learned fallback guessed it, flagged for review)
        id="'I have carried out a full review' is a review decision",
    ),
    pytest.param(
        "police_disclosure_log_exemption_heading_then_statute_text",
        {"outcome": "partial_disclosure", "citations": ["s31(1)(g)"]},
        # "please see below for the following exemption: Section 31(1)(g) ... Information which is not exempt
        # information by virtue of section 30 is exempt information if ...": the exemption named is relied on
        # (the statute quoted in the same sentence does not make it hypothetical); section 30 is the statute's
        # own cross-reference, not a ground
        id="an exemption named above the statute's text is relied on, the statute's cross-reference is not",
    ),
    pytest.param(
        "prosecution_office_request_quoted_after_colon_dash_figures_given",
        {"jurisdiction": "scotland_foisa", "outcome": "full_disclosure", "citations": []},
        # "... including the following request: -" then the numbered questions: the request is folded away,
        # so "withheld under section 38" in a question is not read as the answer
        id="a request quoted after 'including the following request: -' is not the answer",
    ),
    pytest.param(
        "rail_company_document_titles_partly_withheld",
        {"outcome": "partial_disclosure", "citations": ["s31(1)(a)"]},
        # "Some information in the listed report titles has been withheld under the following:"
        id="some information in the listed titles withheld is a partial disclosure",
    ),
    pytest.param(
        "scottish_university_acknowledges_receipt_response_date",
        {"jurisdiction": "scotland_foisa", "outcome": "acknowledgement", "needs_review": False, "citations": []},
        # "The University acknowledges receipt of your request and confirms that a response will be sent ..."
        id="'acknowledges receipt' is an acknowledgement",
    ),
    pytest.param(
        "university_acknowledgement_fees_notice_would_be_issued",
        {"outcome": "acknowledgement", "citations": []},
        # "A fees notice will be issued to you, and the fee must be paid before we continue": what happens if a
        # charge applies, in an acknowledgement, not a fees notice
        id="an acknowledgement that says a fees notice would be issued is no fees notice",
    ),
    pytest.param(
        "council_acknowledgement_scheduled_response_date",
        {"outcome": "acknowledgement", "needs_review": False, "citations": []},
        # "The scheduled date for our response to your request for information is on or before 30 October 2024."
        id="a scheduled date for the response is an acknowledgement",
    ),
    pytest.param(
        "au_department_cannot_identify_documents_asks_for_details",
        {"jurisdiction": "au_foi", "outcome": "clarification_requested", "citations": []},
        # "I cannot identify the documents you want, and I am asking you to give me specific details ..."
        id="documents that cannot be identified and details asked for is a clarification request",
    ),
    pytest.param(
        "nz_department_question_two_refused_not_held_words",
        {"jurisdiction": "nz_oia", "outcome": "partial_disclosure", "needs_review": False, "citations": ["s18(g)"]},
        # "In response to question one, the table below ..."; "In response to question two, the Ministry is
        # refusing your request under section 18(g)": parts named in words answered differently
        id="questions numbered in words answered differently is a confident partial disclosure",
    ),
    pytest.param(
        "police_log_table_row_refusal_with_section_12",
        {"outcome": "refused", "citations": ["s12"]},
        # a disclosure log's table cells run into one sentence: "Full Refusal with Section 12 and Section 17
        # Exemptions N/A 14 May 2024 N/A ...": the section numbers are citations, not a table of counts
        id="section numbers in a disclosure log's table row are no table of counts",
    ),
    pytest.param(
        "police_decided_today_to_disclose_some_after_quoted_request",
        {"outcome": "partial_disclosure", "citations": ["s31(1)(a)", "s40(2)"]},
        # the quoted request ends at "I have today decided to disclose some of the requested information."
        # (before, the fold ran on over the decision and nothing was left to read)
        id="'I have today decided' ends a quoted request",
    ),
    pytest.param(
        "agency_holds_partial_information_advice_given",
        {"outcome": "partial_disclosure", "citations": []},
        # "I can confirm the agency holds partial information in response to your request."
        id="'holds partial information' is a partial disclosure",
    ),
    pytest.param(
        "agency_numbered_request_response_s21_by_name_and_annex_tables",
        {"outcome": "full_disclosure", "citations": ["s21"]},
        # "exempt from release under section 21 (information accessible by other means)": a pointer to the
        # published figures, the rest in annexed tables: everything was given
        id="section 21 named by its heading beside annexed tables is a full disclosure",
    ),
    pytest.param(
        "nhs_trust_log_request_exempt_already_published",
        {"outcome": "refused", "citations": ["s21"]},
        # "Under Section 21 ..., this request has been exempt on the grounds that the information is already
        # publicly available": section 21 applied to the whole request
        id="a whole request 'exempt' under section 21 is a refusal",
    ),
    pytest.param(
        "fire_service_information_being_released_some_data_not_held",
        {"outcome": "partial_disclosure", "citations": []},
        # "I have detailed below the information that is being released to you." then figures, and "Data not
        # held." for one question: given in part (before, only "not held" was read)
        id="'the information that is being released to you' beside a part not held is a partial disclosure",
    ),
    pytest.param(
        "agency_holds_some_part_held_by_officer_not_subject_to_foia",
        {"outcome": "partial_disclosure", "citations": []},
        # "holds some of the information" and figures, one part "not subject to the Freedom of Information Act":
        # a partial disclosure, not a letter outside the Act
        id="one part outside the Act beside answered parts is a partial disclosure",
    ),
    pytest.param(
        "agency_acknowledgement_for_any_reason_unable_to_meet_deadline",
        {"jurisdiction": "uk_eir", "outcome": "acknowledgement", "citations": []},
        # "...; for any reason, we are unable to meet the deadline we will keep you fully informed": a condition
        # whose "if" was lost, not a delay
        id="'for any reason, we are unable to meet the deadline' is a condition, not a delay",
    ),
    pytest.param(
        "us_agency_cover_email_attaching_acknowledgement_letter",
        {"outcome": "acknowledgement", "citations": []},
        # "I'm attaching the Acknowledgement letter regarding your FOIA request."
        id="a cover email attaching the acknowledgement letter is an acknowledgement",
    ),
    pytest.param(
        "us_appeal_officer_correctly_asserted_exemption",
        {"jurisdiction": "us_foia", "outcome": "review_decision", "review_result": "upheld", "citations": ["b7(A)"]},
        # "I have determined that the FOIA Officer correctly asserted Exemption 7(A).": a reviewer's finding
        id="'the FOIA Officer correctly asserted' is a review that upholds",
    ),
    pytest.param(
        "university_secretary_reviewed_request_points_raised",
        {"outcome": "review_decision", "citations": ["s40(2)"]},
        # "I have reviewed your Freedom of Information request and considered the points you raised in your emails"
        id="a request reviewed on the points the requester raised is a review decision",
    ),
    pytest.param(
        "us_department_final_response_documents_provided_with_redactions",
        {"jurisdiction": "us_foia", "outcome": "partial_disclosure", "citations": ["b6"]},
        # "The documents are being provided to you as described in the accompanying index." and information
        # withheld in them under Exemption 6
        id="documents being provided with information withheld in them is a partial disclosure",
    ),
    pytest.param(
        "police_authority_cost_refusal_fee_regulations_redaction_work",
        {"outcome": "refused", "labels": ["refused"], "citations": ["s12"]},
        # "unable to provide you with all the information ... too costly within the context of the fees
        # regulations" is no missed deadline, and "sensitive information to be redacted" is work the cost
        # estimate counts, not a redaction made
        id="redaction counted in a cost estimate, and 'within the context of', decide nothing",
    ),
    pytest.param(
        "county_council_acknowledgement_letter_request_received_date",
        {"outcome": "acknowledgement", "citations": []},
        # "This letter is our acknowledgement of your request received 14-MAR-2024."
        id="a letter that calls itself our acknowledgement is one",
    ),
    pytest.param(
        "district_council_acknowledgement_time_limits_may_require_extension",
        {"outcome": "acknowledgement", "citations": []},
        # "EIR requests may require an extension of time to 40 working days where ...", "... unless the request is a
        # complex one requiring the Council to extend the deadline": the time limits explained, nothing extended
        id="an acknowledgement's list of possible extensions is no extension",
    ),
    pytest.param(
        "transport_body_cost_refusal_redacting_not_included_in_estimate",
        {"outcome": "refused", "labels": ["refused"], "citations": ["s12"]},
        # "This would not include redacting any personal information in the complaints.": work a cost estimate leaves out
        id="redacting that a cost estimate would not include is no redaction",
    ),
    pytest.param(
        "police_force_automatic_reply_reference_number_to_follow",
        {"outcome": "acknowledgement", "citations": []},
        # "you will be issued with a unique reference number once your request has been processed and logged"
        id="a reference number still to be issued is an acknowledgement",
    ),
    pytest.param(
        "transport_body_complaint_counts_received_a_further",
        {"outcome": "full_disclosure", "citations": []},
        # "We received a further 58 contacts commenting on the design of the new trams": a count given; "Your request
        # has been considered in accordance with ..." opens the decision
        id="a count of contacts received 'a further' is an answer",
    ),
    pytest.param(
        "borough_council_log_see_attached_some_years_not_available",
        {"outcome": "partial_disclosure", "citations": []},
        # "Please see attached. Please also note that some data is not available for the years 2006 to 2010"
        id="some data not available beside an attachment is a partial disclosure",
    ),
    pytest.param(
        "council_log_not_information_held_by_council_or_ijb",
        {"outcome": "not_held", "citations": []},
        # "This is not information which would be held by either Glenmorie Council or the Glenmorie Integration Joint Board."
        id="'not information which would be held by' the council is not held",
    ),
    pytest.param(
        "council_log_exclusions_figures_college_would_hold_rest",
        {"outcome": "partial_disclosure", "labels": ["partial_disclosure", "not_held"], "citations": []},
        # figures for question 1; "Brookvale Pupil Referral Unit would hold this information" for the rest: another body holds it
        id="another body that would hold the information is a part not held",
    ),
    pytest.param(
        "welsh_department_complaint_considered_data_published",
        {"outcome": "review_decision", "citations": []},
        # "I have considered your complaint in accordance with the procedure set out in our guidance": the review
        id="a complaint considered under the request procedure is a review decision",
    ),
    pytest.param(
        "borough_council_acknowledgement_if_for_any_reason_we_cannot_provide",
        {"outcome": "acknowledgement", "citations": []},
        # "If, for any reason, we cannot provide you with the information, we will tell you why."
        id="'if, for any reason, we cannot provide' in an acknowledgement is no refusal",
    ),
    pytest.param(
        "health_board_request_needs_full_name_before_processing",
        {"outcome": "clarification_requested", "citations": []},
        # "In order for me to process this as a Freedom of Information request I do require your full name"
        id="a request that needs the requester's full name first is a clarification request",
    ),
    pytest.param(
        "city_council_parking_request_quoted_after_requested_that",
        {"outcome": "full_disclosure", "citations": []},
        # "You have requested that Kingsmere City Council provides you with the following information:" introduces
        # the request quoted back; its "Could you please confirm how many ..." is the requester's question
        id="a request quoted after 'you have requested that the council provides you with' is folded",
    ),
    pytest.param(
        "nhs_trust_log_nil_return_no_operations_cancelled",
        {"outcome": "full_disclosure", "needs_review": True, "citations": []},
        # "There were no cataract operations cancelled for non-clinical reasons in the period requested.": a nil
        # return is the answer (alone, weak evidence: a person checks)
        id="a nil return is an answer",
    ),
    pytest.param(
        "department_asks_full_name_under_section_8",
        {"outcome": "clarification_requested", "citations": []},
        # "In accordance with section 8(1)(b) of the Freedom of Information Act, can you please provide your full name"
        id="a request for the requester's full name under section 8 is a clarification request",
    ),
    pytest.param(
        "regulator_no_information_within_scope_held_licensing_elsewhere",
        {"outcome": "not_held", "citations": []},
        # "no information falling within the scope of your request is held by the Authority" (the subject and
        # "is held" further apart than before); "which has been processed under the ... Act" opens the decision
        id="no information within the scope of the request held is not held",
    ),
    pytest.param(
        "borough_council_information_held_by_county_council_and_not",
        {"outcome": "not_held", "citations": []},
        # "the information you require is held by Westshire County Council and not Elmbridge Vale Borough Council"
        id="information held by another council and not this one is not held",
    ),
    pytest.param(
        "county_council_acknowledgement_explanation_if_not_released",
        {"outcome": "acknowledgement", "citations": []},
        # "We have 20 working days in which to deal with your request." and "We will also provide an
        # explanation if any information is not released to you." (a promise, not a refusal)
        id="an acknowledgement's promise to explain any information not released is no refusal",
    ),
    pytest.param(
        "borough_council_full_name_needed_request_not_valid",
        {"outcome": "clarification_requested", "citations": []},
        # "please confirm your full name, as the request is not deemed valid until you do so"
        id="a request not valid until the requester confirms their full name is a clarification request",
    ),
    pytest.param(
        "county_council_eir_time_extension_regulation_7",
        {"outcome": "delay", "citations": []},
        # headed "Time Extension: Environmental Information Regulations Request"; "Regulation 7 of the EIR makes
        # provision for public authorities to take up to 40 working days"
        id="an EIR time extension notice under regulation 7 is a delay",
    ),
    pytest.param(
        "community_trust_does_not_provide_the_service_redirect",
        {"outcome": "not_held", "citations": []},
        # "Ornsby Community Health NHS Trust does not provide the service mentioned in your request."
        id="an authority that does not provide the service asked about holds nothing",
    ),
    pytest.param(
        "nz_ministry_cables_withheld_some_information_sections",
        {"outcome": "partial_disclosure", "citations": ["s18(f)", "s6(a)", "s9(2)(a)"]},
        # one part refused under s18(f); the rest attached, and "We have withheld some information under section 6(a)"
        id="information attached with some withheld beside a refused part is a partial disclosure",
    ),
    pytest.param(
        "australian_department_decision_to_exempt_documents_in_part",
        {"outcome": "partial_disclosure", "citations": []},
        # "The decision is to exempt the documents in part." (the reasons are in an attached decision record)
        id="a decision to exempt the documents in part is a partial disclosure",
    ),
    pytest.param(
        "agency_release_attached_at_annex_a_anonymised_spreadsheet",
        {"outcome": "full_disclosure", "needs_review": False, "citations": []},
        # "Attached at Annex A is an anonymised copy of the drive-off spreadsheet ..., as you asked."
        id="a copy attached at an annex is a release",
    ),
    pytest.param(
        "county_council_bus_passes_renewal_figures_not_available",
        {"outcome": "partial_disclosure", "labels": ["partial_disclosure", "not_held"], "citations": []},
        # figures given; "Figures for the number of renewals processed are not available, as the Council only
        # keeps data on the passes it has issued": one part not held
        id="figures for one part not available beside the figures given is a part not held",
    ),
    pytest.param(
        "loans_company_some_information_section_21_published_rest_below",
        {"outcome": "full_disclosure", "citations": ["s21"]},
        # "Some of the information you have requested is exempt under section 21 of the Act, because it is
        # reasonably accessible to you by other means": pointed to, not withheld; the rest is given
        id="some information exempt under section 21 because it is published is no partial withholding",
    ),
    pytest.param(
        "mapping_agency_holds_some_information_all_exempt_cost_limit",
        {"outcome": "refused", "citations": ["s12", "s22"]},
        # "does hold some of the information you have requested; however, we consider the information to be exempt":
        # what is held, then all of it exempt
        id="some information held and all of it exempt is a refusal",
    ),
    pytest.param(
        "medicines_agency_answer_in_figures_of_published_report",
        {"outcome": "full_disclosure", "citations": []},
        # "This information is already publicly available in our ... Annual Report 2023. The information you have
        # specifically requested is present within Figure 2 and Table 5"
        id="the answer pointed to in the figures of a published report is a release",
    ),
    pytest.param(
        "sports_council_acknowledgement_respond_as_soon_as_possible",
        {"outcome": "acknowledgement", "needs_review": False, "citations": []},
        # "Active Northfield will respond to your request as soon as possible and, in any event, within 20 working days"
        id="a promise to respond as soon as possible and in any event within 20 working days is an acknowledgement",
    ),
    pytest.param(
        "metropolitan_council_acknowledgement_clarification_should_it_be_required",
        {"outcome": "acknowledgement", "citations": []},
        # "we will write to you to seek clarification should this be required"; "It is our intention to have the
        # response delivered to you within 20 working days"
        id="clarification sought only should it be required is an acknowledgement's condition",
    ),
    pytest.param(
        "county_borough_council_no_longer_hold_webcast",
        {"outcome": "not_held", "citations": []},
        # "please find attached the response ... Unfortunately, we no longer hold the information"
        id="information no longer held is not held",
    ),
    pytest.param(
        "town_council_response_to_your_foi_listed_below",
        {"outcome": "full_disclosure", "citations": []},
        # "The response to your FOI is listed below: -" and each question answered after a dash
        id="the response to your FOI listed below is a release",
    ),
    pytest.param(
        "district_council_cost_limit_exceeded_hours_estimate",
        {"outcome": "refused", "needs_review": False, "citations": ["s12"]},
        # section 12 explained as a condition; "Letter confirming that the applicable cost limit is exceeded";
        # "this would take approximately 516 hours"
        id="a letter confirming the cost limit is exceeded with an hours estimate is a section 12 refusal",
    ),
    pytest.param(
        "borough_council_clarification_elaborate_on_detail",
        {"outcome": "clarification_requested", "citations": []},
        # "I acknowledge receipt of your email ... Could I ask at the outset that you elaborate a little on the detail of the request?"
        id="asking the requester to elaborate on the detail of the request is a clarification request",
    ),
    pytest.param(
        "nz_university_likely_to_charge_or_decline_broad_request",
        {"outcome": "clarification_requested", "citations": ["s18(f)"]},
        # NZ OIA s18B: "we are likely to either propose a charge or decline your request on the basis of section 18(f)"
        id="a warning that a broad request is likely to be charged for or declined is a consultation, not a refusal",
    ),
    pytest.param(
        "ambulance_trust_acknowledgement_attaches_rights_leaflet",
        {"outcome": "acknowledgement", "citations": []},
        # "We will deal with this request in accordance with your right of access ..., and I attach a leaflet
        # containing further information about both your rights and our obligations"
        id="an attached leaflet about the requester's rights is not a release",
    ),
    pytest.param(
        "borough_council_disclosure_log_info_provided_numbered_answers",
        {"outcome": "full_disclosure", "needs_review": False, "citations": []},
        # a disclosure log's status line "Info provided - 12 May 2023" above numbered answers
        id="a disclosure log entry marked info provided is a release",
    ),
    pytest.param(
        "australian_department_acknowledgement_heading_after_salutation",
        {"outcome": "acknowledgement", "citations": []},
        # "Dear Ms Tran / Acknowledgement of Freedom of Information Request No: FOI 24/1183"
        id="a notice headed acknowledgement of freedom of information request is an acknowledgement",
    ),
    pytest.param(
        "nz_health_board_section_15a_notice_extend_that_time_limit",
        {"outcome": "delay", "citations": []},
        # "This letter is a notice under s15A that the Board will need to extend that time limit to 27 March 2025"
        id="a notice under s15A extending that time limit is a delay",
    ),
    pytest.param(
        "college_attached_marks_withholding_exam_papers",
        {"outcome": "partial_disclosure", "citations": ["s36(2)(c)"]},
        # "Please find attached marks, where we hold them, ..."; "We are withholding the examination papers ... under section 36(2)(c)"
        id="marks attached beside papers withheld is a partial disclosure",
    ),
    pytest.param(
        "nz_ministry_addressed_each_question_below_part_refused_18e",
        {"outcome": "partial_disclosure", "citations": ["s18(e)"]},
        # "I have addressed each of your questions below."; part 1 refused under s18(e), part 2 answered with a list
        id="each question addressed below with one part refused as not existing is a partial disclosure",
    ),
    pytest.param(
        "borough_council_acknowledges_your_request_dated",
        {"outcome": "acknowledgement", "citations": []},
        # "I acknowledge your request for information dated 14 April 2025 relating to ..."
        id="I acknowledge your request is an acknowledgement",
    ),
    pytest.param(
        "regulator_auto_reply_aim_to_give_full_response",
        {"outcome": "acknowledgement", "citations": []},
        # "We aim to give you a full and clear response within fifteen working days from receipt of your email."
        id="an automatic reply that aims to give a full response within fifteen working days is an acknowledgement",
    ),
    pytest.param(
        "london_borough_late_acknowledgement_of_complaint",
        {"outcome": "acknowledgement", "citations": []},
        # "I must apologise for the delay in acknowledging your email ..."; "You will receive a response by 3 March 2025."
        id="an apology for a late acknowledgement is not a late reply",
    ),
    pytest.param(
        "rail_company_considering_request_aim_to_reply_no_later_than",
        {"outcome": "acknowledgement", "citations": []},
        # "We are considering your request under the Freedom of Information Act 2000 and aim to reply as soon as
        # possible and no later than 21 October."
        id="considering a request and aiming to reply no later than a date is an acknowledgement",
    ),
    pytest.param(
        "nz_council_lgoima_section_14_extending_time_limit",
        {"outcome": "delay", "citations": []},
        # LGOIMA s14: "Kauri Coast District Council is extending the time limit for responding to your request. We will
        # reply to your request by 26 March 2025."; "The reason for this extension is:"
        id="a council extending the time limit with a reply date is a delay, not an acknowledgement",
    ),
    pytest.param(
        "nz_city_council_lgoima_charge_payable",
        {"outcome": "fee_notice", "citations": []},
        # "Under S.13 (1A) of LGOIMA there is a charge payable for the provision of that information."
        id="there is a charge payable is a fee notice",
    ),
    pytest.param(
        "nz_district_council_grant_request_in_part_emails_withheld",
        {"outcome": "partial_disclosure", "citations": []},
        # "Decision to partially release information requested"; "has decided to grant your request for information in
        # part"; "We have decided to withhold 6 emails under legal privilege." (the ground in words only)
        id="a decision to grant the request in part is a partial disclosure",
    ),
    pytest.param(
        "nz_city_commission_text_exchange_parts_withheld",
        {"outcome": "partial_disclosure", "citations": ["s7(2)(h)", "s7(2)(i)"]},
        # "The attachment is a series of text exchanges ... Parts of the exchange are withheld under the following sections"
        id="parts of an attached exchange withheld is a partial disclosure",
    ),
    pytest.param(
        "police_acknowledgement_questions_logged_under_references",
        {"outcome": "acknowledgement", "citations": []},
        # "Your questions have been logged under the references shown below"; "we are required to reply within 20
        # working days"; the cost limit (with its £450) only as an example of an exemption that can apply
        id="questions logged under new references with the cost limit as an example is an acknowledgement",
    ),
    pytest.param(
        "police_public_interest_extension_signature_phone_extension",
        {"outcome": "delay", "needs_review": False, "citations": ["s31"]},
        # "require an extension in order to consider the Public Interest Test"; the signature's "Tel: 101 Ext: 4418062"
        # is no figure given
        id="an extension to consider the public interest test is a delay and a phone extension no release",
    ),
    pytest.param(
        "government_department_contact_unit_auto_reply_target",
        {"outcome": "acknowledgement", "citations": []},
        # "We have a target of replying to emails within 15 working days ..., and 20 working days where a case is
        # handled under the Freedom of Information Act 2000"
        id="an automatic reply stating a target for replying is an acknowledgement",
    ),
    pytest.param(
        "hospital_trust_confirms_holds_and_supplying_agency_spend",
        {"outcome": "full_disclosure", "needs_review": False, "citations": []},
        # "is confirming in accordance with section 1 (a) of the Act that it holds the information requested and is
        # supplying it in accordance with section 1(b) unless otherwise specified"
        id="confirming the information is held and supplying it is a release",
    ),
    pytest.param(
        "borough_sickness_absence_over_the_appropriate_limit_hours",
        {"outcome": "refused", "refusal_grounds": ["cost_limit"], "citations": ["s12"]},
        # "would take them over the appropriate limit of 18.5 hours allowed by the legislation": the
        # cost limit relied on without naming section 12
        id="over the appropriate limit is the cost limit",
    ),
    pytest.param(
        "scottish_council_empty_homes_exceeds_forty_hour_limit",
        {"jurisdiction": "scotland_foisa", "outcome": "refused", "refusal_grounds": ["cost_limit"], "citations": ["s12"]},
        # "would take about 175 hours of work, which would exceed the 40 hour limit"
        id="exceeding the 40 hour limit is the FOISA cost limit",
    ),
    pytest.param(
        "nz_ministry_cables_withheld_under_labelled_sections",
        {"jurisdiction": "nz_oia", "outcome": "partial_disclosure", "citations": ["s6(a)", "s6(b)(i)", "s9(2)(a)"]},
        # "withheld under the following sections of the Act: 6(a): to avoid ...; 6(b)(i): ...; 9(2)(a): ..."
        id="a list labelled by bare section numbers names each ground",
    ),
]


@pytest.mark.parametrize(("name", "expected"), OWN_LETTERS)
def test_own_letter_is_read_right(triager, name, expected):
    result = triager.triage_path(OWN / f"{name}.txt")
    got = {"citations": citations(result)}
    got.update({field: getattr(result, field) for field in expected if field != "citations"})
    assert got == expected
