"""The citation grammar: every way FOI letters write a provision, normalised as the contract says."""

import pytest

from bot.stages.citations import find_citations, normalise

CASES = [
    ("Sections 31 and 24 of the Freedom of Information Act", ["s31", "s24"]),
    ("Section 31 and 24 are qualified exemptions", ["s31", "s24"]),
    ("exempt under s.40(2) of the Act", ["s40(2)"]),
    ("S40(2) and S43 apply", ["s40(2)", "s43"]),
    ("section 40(2) and (3A)(a)", ["s40(2)", "s40(3A)(a)"]),
    ("sections 41 and 43(2)", ["s41", "s43(2)"]),
    ("regulation 12(5)(e)", ["reg12(5)(e)"]),
    ("regulations 12(4)(b) and 12(5)(a)", ["reg12(4)(b)", "reg12(5)(a)"]),
    ("withheld under reg. 13", ["reg13"]),
    ("exempt under the provisions of section 21", ["s21"]),
    ("section 36(2)(b)(i) and (ii)", ["s36(2)(b)(i)", "s36(2)(b)(ii)"]),
    ("Section 31(1)(a)(b) of the Act", ["s31(1)(a)", "s31(1)(b)"]),
    ("section 36(2)(b)(i)(ii) of the Act", ["s36(2)(b)(i)", "s36(2)(b)(ii)"]),
    # a number after a letter starts the next subsection: "(1)(g)" and then "(2)(a)(b)"
    ("Section 31 (1)(g)(2)(a)(b) Law Enforcement", ["s31(1)(g)", "s31(2)(a)", "s31(2)(b)"]),
    ("sections 30(1)(a), 31(1)(a) and 40(2)", ["s30(1)(a)", "s31(1)(a)", "s40(2)"]),
    ("Article 4(1)(b) and Article 4(3)", ["art4(1)(b)", "art4(3)"]),
    ("Exemption 6 and Exemption 7(C)", ["b6", "b7(C)"]),
    ("5 U.S.C. § 552(b)(6)", ["b6"]),
    ("withheld pursuant to (b)(7)(C)", ["b7(C)"]),
    ("s 47F and s 47E(d)", ["s47F", "s47E(d)"]),
    ("under s24AA of the FOI Act", ["s24AA"]),
    ("subsection 19(1) and paragraph 21(1)(a)", ["s19(1)", "s21(1)(a)"]),
    ("sections 9(2)(a) and 18(e)", ["s9(2)(a)", "s18(e)"]),
    ("we are applying exception 12(4) (a)", ["reg12(4)(a)"]),
    # a letter glued to the bracket: "regulation 10(4)e of the EIRs"
    ("An exception under regulation 10(4)e of the EIRs applies", ["reg10(4)(e)"]),
    ("sections 31(1)a and 24", ["s31(1)(a)", "s24"]),
    ("section 40(2)and section 43", ["s40(2)", "s43"]),
    # no word before the numbers: which law's numbers they are is for the caller (see below)
    ("information exempt under 40(2) and 30(1)(a)", ["s40(2)", "s30(1)(a)"]),
    # a subsection written with a space for its brackets before a bracketed part ...
    ("An exemption under section 33 1(b) of FOISA applies", ["s33(1)(b)"]),
    ("exempt under Section 38 1(b) Personal information", ["s38(1)(b)"]),
    # ... but not a number that no bracketed part follows
    ("section 40 2 of the Act", ["s40"]),
    # a list labelled by bare numbers after an introduction that ends in a colon
    (
        "We have withheld some information under the following sections of the OIA: 6(a): to avoid "
        "prejudicing the security or defence of New Zealand; 6(b)(i): to protect the passing of information "
        "from another government on a confidential basis; 9(2)(a): to protect individuals' privacy.",
        ["s6(a)", "s6(b)(i)", "s9(2)(a)"],
    ),
    ("Document 2 is refused in full under: 6(a): to avoid prejudice; 9(2)(g)(i): free and frank opinions", ["s6(a)", "s9(2)(g)(i)"]),
    ("exempt under the following sections: 40(2) - personal information; 43(2) - commercial interests", ["s40(2)", "s43(2)"]),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_citations_are_found_and_normalised(text, expected):
    assert [c.citation for c in find_citations(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "it's 40 pages long",
        "we received 24 requests and 31 complaints",
        "see pages 12 and 14",
        "Dear Sir",
        "Redactions noted at paragraphs 17, 26 and 44 were made",  # the document's paragraphs
    ],
)
def test_numbers_that_are_not_citations_are_ignored(text):
    assert find_citations(text) == []


def test_spans_point_at_the_citation():
    text = "The information is exempt under section 43(2) of the Act."
    (cit,) = find_citations(text)
    assert text[cit.start : cit.end] == "43(2)"


def test_normalise_one_citation():
    assert normalise("s.40(2)") == "s40(2)"
    assert normalise("nothing here") is None


@pytest.mark.parametrize(
    ("text", "law"),
    [
        ("section 34(1) of the Data Protection Act 2018", "Data Protection Act"),
        ("section 106 of the Town and Country Planning Act 1990", "Town and Country Planning Act"),
        ("section 38(1)(b) of the Freedom of Information (Scotland) Act 2002", "Freedom of Information (Scotland) Act"),
        ("section 24A(1) of the FOI Act", "FOI Act"),
        ("section 12 of the Act", ""),
        ("regulation 12(5)(e) of the Regulations", ""),
        # "of that Act": the Act named last before it
        (
            "The Commissioners for Revenue and Customs Act 2005 prohibits it, and section 23 of that Act applies",
            "The Commissioners for Revenue and Customs Act",
        ),
        ("section 40(2) of that Act", ""),
    ],
)
def test_the_law_a_citation_names_is_reported(text, law):
    assert [c.of_law for c in find_citations(text)] == [law]


def test_a_us_exemption_list_is_not_read_as_subparagraphs():
    # a form listing every exemption: "(b)" starts the next item, it is no subparagraph "(B)"
    text = "(b) (1) (b) (2) (b) (3) Statute: (b) (4) (b) (5) (b) (6) (b) (7) (A) (b) (7) (C)"
    assert [c.citation for c in find_citations(text)] == ["b1", "b2", "b3", "b4", "b5", "b6", "b7(A)", "b7(C)"]


@pytest.mark.parametrize(
    "text",
    [
        "children under 5 years old",
        "under 18 months",
        "we hold 12(4) copies",
        # labels of a list that is not of provisions
        "Please answer the following questions: 1(a): how many staff; 1(b): how much was spent",
    ],
)
def test_a_bare_number_is_a_citation_only_in_the_shape_of_a_provision_after_under(text):
    assert find_citations(text) == []


def test_a_labelled_list_ends_where_no_label_follows_within_a_few_lines():
    text = "exempt under the following sections: 40(2) - personal information." + " More text." * 40 + "; 43(2) - x"
    assert [c.citation for c in find_citations(text)] == ["s40(2)"]


@pytest.mark.parametrize(
    ("text", "prefix", "expected"),
    [
        ("Exemptions 24(1) national security", "s", "s24(1)"),  # a UK letter: not the US b24(1)
        ("exemption 40(2)(a) applies", "s", "s40(2)(a)"),
        ("Exemption 7(C)", "b", "b7(C)"),
        ("an exception under 12(4)(d) draft material", "reg", "reg12(4)(d)"),
    ],
)
def test_a_citation_reads_in_the_numbering_of_the_letters_law(text, prefix, expected):
    (cit,) = find_citations(text)
    assert cit.in_numbering_of(prefix) == expected
