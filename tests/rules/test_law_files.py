"""The per-law rule files under rules/law/: they load, they are internally consistent, and the
facts the deadline and classify stages rely on (calendars, kinds, grounds, lookups) are right."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pytest

from bot.model import Letter
from bot.rulebook import RULES_DIR, Law, Rulebook
from bot.stages.jurisdiction import detect_jurisdiction

LAW_DIR = RULES_DIR / "law"
LAW_FILES = sorted(LAW_DIR.glob("*.toml"))
SHARED_RULES = Path(__file__).resolve().parents[2].parent / "shared" / "law" / "rules.json"
FIXTURE_LETTERS = Path(__file__).resolve().parents[1] / "fixtures" / "letters"

EXPECTED_IDS = {
    "uk_foia",
    "uk_eir",
    "scotland_foisa",
    "scotland_eisr",
    "ireland_foi",
    "us_foia",
    "au_foi",
    "nz_oia",
    "nz_lgoima",
    "ca_atia",
    "eu_1049",
}
STATUSES = {"verified", "partly-verified", "unverified"}
TEMPLATE_KEYS = {"law_phrase", "review_request", "regulator_action", "draft_salutation", "review_basis"}

# A normalised citation: prefix, a number (optionally dotted for Canada, lettered like 22A/24AA/47F),
# then bracketed parts: s40(2), s31(1)(a), reg12(5)(e), b7(C), art4(1)(b), s9(2)(f)(iv), s16.1.
CITATION_RE = re.compile(r"^(s|reg|art|b)\d{1,3}(\.\d{1,2})?[A-Z]{0,2}(\([0-9A-Za-z]{1,4}\))*$")
# Grounds without a statutory section carry a descriptive pseudo-citation.
PSEUDO_CITATION_RE = re.compile(r"^[a-z]+(_[a-z]+)*$")


@pytest.fixture(scope="module")
def rulebook() -> Rulebook:
    return Rulebook()


def _load(path: Path) -> Law:
    with open(path, "rb") as fh:
        return Law.model_validate(tomllib.load(fh))


def _working_day(rulebook: Rulebook, law_id: str, day: str) -> bool:
    return rulebook.calendar(rulebook.law(law_id)).is_working_day(dt.date.fromisoformat(day))


# --- every file ---


def test_there_is_one_file_per_supported_law() -> None:
    assert {p.stem for p in LAW_FILES} == EXPECTED_IDS


@pytest.mark.parametrize("path", LAW_FILES, ids=lambda p: p.stem)
def test_file_validates_and_id_matches_file_name(path: Path) -> None:
    law = _load(path)
    assert law.id == path.stem


def test_rulebook_loads_every_law_with_unique_ids(rulebook: Rulebook) -> None:
    ids = [_load(p).id for p in LAW_FILES]
    assert len(ids) == len(set(ids))
    assert set(rulebook.laws) == EXPECTED_IDS


@pytest.mark.parametrize("path", LAW_FILES, ids=lambda p: p.stem)
def test_every_provision_has_name_kind_source_and_status(path: Path) -> None:
    law = _load(path)
    assert law.exemptions, "a law without exemptions cannot classify refusals"
    for provision in [*law.exemptions, *law.grounds]:
        assert provision.name.strip(), provision.citation
        assert provision.kind in {"absolute", "qualified", "unknown"}
        assert provision.status in STATUSES, provision.citation
        sources = [provision.source] if isinstance(provision.source, str) else provision.source
        assert sources and all(s.startswith("http") for s in sources), provision.citation


@pytest.mark.parametrize("path", LAW_FILES, ids=lambda p: p.stem)
def test_citations_are_normalised_and_in_exactly_one_list(path: Path) -> None:
    law = _load(path)
    exemption_citations = {p.citation for p in law.exemptions}
    ground_citations = {p.citation for p in law.grounds}
    assert not exemption_citations & ground_citations
    for provision in law.exemptions:
        assert provision.ground == "exemption", provision.citation
        assert CITATION_RE.match(provision.citation), provision.citation
        assert provision.citation.startswith(law.citation_prefix), provision.citation
    for provision in law.grounds:
        assert provision.ground != "exemption", provision.citation
        assert CITATION_RE.match(provision.citation) or PSEUDO_CITATION_RE.match(provision.citation)


@pytest.mark.parametrize("path", LAW_FILES, ids=lambda p: p.stem)
def test_cost_limit_citation_is_a_cost_ground(path: Path) -> None:
    law = _load(path)
    if law.cost_limit is None:
        pytest.skip(f"{law.id} has no cost-limit refusal")
    provision = law.lookup(law.cost_limit.citation)
    assert provision is not None and provision.ground == "cost_limit"


@pytest.mark.parametrize("path", LAW_FILES, ids=lambda p: p.stem)
def test_templates_detect_and_sources_are_filled(path: Path) -> None:
    law = _load(path)
    assert TEMPLATE_KEYS <= set(law.templates), TEMPLATE_KEYS - set(law.templates)
    assert all(law.templates[k].strip() for k in TEMPLATE_KEYS)
    assert law.detect.phrases and law.detect.weight > 0
    assert law.sources and all(s.startswith("http") for s in law.sources)
    assert law.citation_words


# --- review paths and regulators ---


def test_review_paths_match_each_law(rulebook: Rulebook) -> None:
    foia = rulebook.law("uk_foia")
    assert foia.internal_review.request_within.describe() == "40 working days"
    assert not foia.internal_review.statutory
    assert foia.regulator.complaint_window.describe() == "6 weeks"
    assert rulebook.law("scotland_foisa").regulator.complaint_window.describe() == "6 months"
    assert rulebook.law("scotland_foisa").internal_review.name == "requirement for review"
    assert rulebook.law("us_foia").internal_review.name == "administrative appeal"
    assert rulebook.law("us_foia").internal_review.request_within.describe() == "90 calendar days"
    assert rulebook.law("eu_1049").internal_review.name == "confirmatory application"
    for nz_law in ("nz_oia", "nz_lgoima"):
        nz = rulebook.law(nz_law)
        assert nz.internal_review.request_within is None
        assert nz.regulator.requires_internal_review is False
    assert rulebook.law("ca_atia").regulator.complaint_window.describe() == "60 calendar days"


def test_response_periods(rulebook: Rulebook) -> None:
    periods = {law_id: rulebook.law(law_id).response.duration.describe() for law_id in EXPECTED_IDS}
    assert periods == {
        "uk_foia": "20 working days",
        "uk_eir": "20 working days",
        "scotland_foisa": "20 working days",
        "scotland_eisr": "20 working days",
        "ireland_foi": "20 working days",  # 4 weeks of 5 weekdays excluding public holidays
        "us_foia": "20 working days",
        "au_foi": "30 calendar days",
        "nz_oia": "20 working days",
        "nz_lgoima": "20 working days",
        "ca_atia": "30 calendar days",
        "eu_1049": "15 working days",
    }


# --- calendars ---


@pytest.mark.parametrize("day", ["2018-03-19", "2018-03-30", "2018-04-02"])
def test_uk_foia_skips_bank_holidays_anywhere_in_the_uk(rulebook: Rulebook, day: str) -> None:
    assert not _working_day(rulebook, "uk_foia", day)


def test_uk_foia_deadline_counts_the_northern_ireland_holiday(rulebook: Rulebook) -> None:
    law = rulebook.law("uk_foia")
    calendar = rulebook.calendar(law)
    due = calendar.add(dt.date(2018, 2, 27), law.response.duration)
    # 20 working days after 27 Feb 2018, skipping St Patrick's Day (observed) on 19 March.
    assert due == dt.date(2018, 3, 28)
    assert [d for d, _ in calendar.skipped_holidays(dt.date(2018, 2, 27), due)] == [dt.date(2018, 3, 19)]


def test_scotland_skips_scottish_bank_holidays_only(rulebook: Rulebook) -> None:
    for law_id in ("scotland_foisa", "scotland_eisr"):
        assert not _working_day(rulebook, law_id, "2018-01-02")
        assert not _working_day(rulebook, law_id, "2018-11-30")
        assert _working_day(rulebook, law_id, "2018-04-02")  # Easter Monday is not a Scottish bank holiday


def test_us_skips_legal_public_holidays_but_not_executive_closures(rulebook: Rulebook) -> None:
    assert not _working_day(rulebook, "us_foia", "2025-06-19")  # Juneteenth
    assert _working_day(rulebook, "us_foia", "2025-12-24")  # closed by executive order, not a legal holiday


@pytest.mark.parametrize("law_id", ["nz_oia", "nz_lgoima"])
def test_nz_skips_the_summer_closed_period_inclusive(rulebook: Rulebook, law_id: str) -> None:
    day = dt.date(2025, 12, 29)
    while day <= dt.date(2026, 1, 15):
        assert not _working_day(rulebook, law_id, day.isoformat()), day
        day += dt.timedelta(days=1)
    assert _working_day(rulebook, law_id, "2026-01-16")
    assert _working_day(rulebook, law_id, "2025-12-24")


def test_ireland_skips_irish_public_holidays(rulebook: Rulebook) -> None:
    assert not _working_day(rulebook, "ireland_foi", "2025-02-03")  # St Brigid's Day
    assert _working_day(rulebook, "ireland_foi", "2025-04-18")  # Good Friday is not a public holiday


def test_canada_includes_easter_monday_and_victoria_day(rulebook: Rulebook) -> None:
    assert not _working_day(rulebook, "ca_atia", "2025-04-21")
    assert not _working_day(rulebook, "ca_atia", "2025-05-19")


def test_eu_counts_institution_holidays_not_national_ones(rulebook: Rulebook) -> None:
    assert not _working_day(rulebook, "eu_1049", "2023-05-09")  # Schuman Day
    assert not _working_day(rulebook, "eu_1049", "2023-04-06")  # Maundy Thursday
    assert _working_day(rulebook, "eu_1049", "2023-11-10")


# --- lookups, kinds and grounds ---


@pytest.mark.parametrize(
    ("law_id", "cited", "provision"),
    [
        ("uk_foia", "s40(2)(a)", "s40(2)"),
        ("uk_foia", "s31(1)(a)", "s31(1)(a)"),
        ("uk_foia", "s31(1)(h)", "s31"),
        ("uk_foia", "s36(2)(b)(ii)", "s36(2)(b)(ii)"),
        ("uk_eir", "reg12(5)(e)", "reg12(5)(e)"),
        ("uk_eir", "reg13(1)", "reg13"),
        ("scotland_foisa", "s38(1)(b)", "s38(1)(b)"),
        ("us_foia", "b7(C)", "b7(C)"),
        ("au_foi", "s47F(1)", "s47F"),
        ("au_foi", "s24AA(1)(a)", "s24AA"),
        ("nz_oia", "s9(2)(a)", "s9(2)(a)"),
        ("nz_oia", "s9(2)(g)(i)", "s9(2)(g)(i)"),
        ("nz_lgoima", "s7(2)(f)(i)", "s7(2)(f)(i)"),
        ("nz_lgoima", "s7(2)(g)", "s7(2)(g)"),
        ("ca_atia", "s19(1)", "s19"),
        ("eu_1049", "art4(1)(b)", "art4(1)(b)"),
        ("ireland_foi", "s37(1)", "s37(1)"),
    ],
)
def test_lookup_finds_the_nearest_provision(rulebook: Rulebook, law_id: str, cited: str, provision: str) -> None:
    found = rulebook.law(law_id).lookup(cited)
    assert found is not None and found.citation == provision


@pytest.mark.parametrize(
    ("law_id", "cited"),
    [
        ("uk_foia", "s99(1)"),
        ("uk_foia", "s45"),  # the Code of Practice section
        ("uk_foia", "s1(1)(a)"),  # the duty to confirm or deny
        ("uk_foia", "s10(3)"),  # the public interest extension
        ("uk_foia", "s17(1)"),  # the refusal notice
        ("uk_eir", "reg12(1)(b)"),  # the public interest test itself
        ("uk_eir", "reg12(2)"),  # the presumption in favour of disclosure
        ("nz_oia", "s9(1)"),  # the public interest balance, not a withholding ground
        ("nz_oia", "s15A"),  # extension
        ("nz_lgoima", "s7(1)"),  # the public interest balance, not a withholding ground
        ("nz_lgoima", "s14"),  # extension
        ("au_foi", "s11A(5)"),  # the public interest test for conditional exemptions
        ("au_foi", "s22"),  # edited copy
        ("eu_1049", "art4(6)"),  # partial access
        ("eu_1049", "art7(3)"),  # extension
    ],
)
def test_procedural_provisions_are_not_refusal_grounds(rulebook: Rulebook, law_id: str, cited: str) -> None:
    assert rulebook.law(law_id).lookup(cited) is None


@pytest.mark.parametrize(
    ("law_id", "citation", "kind"),
    [
        ("uk_foia", "s21", "absolute"),
        ("uk_foia", "s40(2)", "absolute"),
        ("uk_foia", "s40(5)", "unknown"),
        ("uk_foia", "s43(2)", "qualified"),
        ("uk_foia", "s37(1)(a)", "absolute"),
        ("uk_foia", "s37(1)(b)", "qualified"),
        ("uk_foia", "s36(2)(b)(i)", "qualified"),
        ("uk_eir", "reg12(5)(e)", "qualified"),
        ("uk_eir", "reg13", "absolute"),
        ("scotland_foisa", "s36(2)", "absolute"),
        ("scotland_foisa", "s36(1)", "qualified"),
        ("scotland_foisa", "s30(b)(i)", "qualified"),
        ("nz_oia", "s6(a)", "absolute"),
        ("nz_oia", "s9(2)(a)", "qualified"),
        ("nz_lgoima", "s6(b)", "absolute"),
        ("nz_lgoima", "s7(2)(a)", "qualified"),
        ("au_foi", "s33", "absolute"),
        ("au_foi", "s47C", "qualified"),
        ("eu_1049", "art4(1)(a)", "absolute"),
        ("eu_1049", "art4(3)", "qualified"),
    ],
)
def test_exemption_kinds(rulebook: Rulebook, law_id: str, citation: str, kind: str) -> None:
    assert rulebook.law(law_id).provisions[citation].kind == kind


@pytest.mark.parametrize(
    ("law_id", "citation", "ground"),
    [
        ("uk_foia", "s12", "cost_limit"),
        ("uk_foia", "s14(1)", "vexatious"),
        ("uk_foia", "s14(2)", "repeated"),
        ("uk_eir", "reg12(4)(a)", "not_held"),
        ("uk_eir", "reg12(4)(b)", "cost_limit"),
        ("uk_eir", "reg12(6)", "ncnd"),
        ("scotland_foisa", "s12", "cost_limit"),
        ("scotland_foisa", "s17", "not_held"),
        ("scotland_foisa", "s18", "ncnd"),
        ("ireland_foi", "s15(1)(a)", "not_held"),
        ("au_foi", "s24AA", "cost_limit"),
        ("au_foi", "s24A", "not_held"),
        ("nz_oia", "s18(e)", "not_held"),
        ("nz_oia", "s18(f)", "cost_limit"),
        ("nz_oia", "s18(h)", "vexatious"),
        ("nz_lgoima", "s17(e)", "not_held"),
        ("nz_lgoima", "s17(f)", "cost_limit"),
        ("nz_lgoima", "s17(h)", "vexatious"),
        ("us_foia", "no_records", "not_held"),
        ("ca_atia", "s6.1", "vexatious"),
    ],
)
def test_refusal_grounds(rulebook: Rulebook, law_id: str, citation: str, ground: str) -> None:
    provision = rulebook.law(law_id).provisions[citation]
    assert provision in rulebook.law(law_id).grounds
    assert provision.ground == ground


def test_nz_s18e_is_not_an_exemption(rulebook: Rulebook) -> None:
    assert "s18(e)" not in {p.citation for p in rulebook.law("nz_oia").exemptions}


def test_cost_limit_amounts(rulebook: Rulebook) -> None:
    assert rulebook.law("uk_foia").cost_limit.amounts == ["£600", "£450"]
    assert rulebook.law("scotland_foisa").cost_limit.amounts == ["£600"]
    assert rulebook.law("uk_eir").cost_limit.citation == "reg12(4)(b)"


# --- detection ---


def test_specific_laws_outweigh_the_general_ones(rulebook: Rulebook) -> None:
    weight = {law_id: rulebook.law(law_id).detect.weight for law_id in EXPECTED_IDS}
    assert weight["uk_eir"] > weight["uk_foia"]
    assert weight["scotland_foisa"] > weight["uk_foia"]
    assert weight["scotland_eisr"] > weight["scotland_foisa"]
    assert weight["scotland_eisr"] > weight["uk_eir"]


def test_no_phrase_contains_another(rulebook: Rulebook) -> None:
    """A phrase inside another would count twice for one law, or hand one law's evidence to another
    (the authorities' names of rules/places.toml included)."""
    phrases = [(law.id, p.lower()) for law in rulebook.laws.values() for p in law.detect.phrases]
    phrases += [(f"places.{country}", name.lower()) for country, names in rulebook.places.items() for name in names]
    nested = [(a, pa, b, pb) for a, pa in phrases for b, pb in phrases if (a, pa) != (b, pb) and pa in pb]
    assert nested == []


def _phrase_pick(rulebook: Rulebook, text: str) -> str:
    """The law the detector picks from the words alone (no sender or recipient address): a
    measurement of the phrases, place names and joint mentions in the data."""
    return detect_jurisdiction(Letter(text=text), rulebook)


def test_detect_phrases_pick_the_corpus_jurisdictions(rulebook: Rulebook) -> None:
    corpus = SHARED_RULES.parent.parent / "corpus" / "dev.jsonl"
    if not corpus.is_file():
        pytest.skip(f"the labelled corpus is not here ({corpus}): ../shared is absent")
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    right = sum(_phrase_pick(rulebook, r["text"]) == r["jurisdiction"] for r in records)
    assert right / len(records) >= 0.9


@pytest.mark.parametrize("labels", sorted(FIXTURE_LETTERS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_detect_phrases_pick_the_fixture_letter_jurisdictions(rulebook: Rulebook, labels: Path) -> None:
    records = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    picks = [
        (r["id"], r["jurisdiction"], _phrase_pick(rulebook, (FIXTURE_LETTERS / r["path"]).read_text(encoding="utf-8")))
        for r in records
    ]
    wrong = [p for p in picks if p[1] != p[2]]
    assert len(wrong) / len(picks) <= 0.1, wrong


# --- coverage of the research notes (../shared/law/rules.json) ---

NOTES_TO_LAW = {
    "uk_foia": "uk_foia",
    "uk_eir": "uk_eir",
    "scot_foisa": "scotland_foisa",
    "scot_eisr": "scotland_eisr",
    "ie_foi": "ireland_foi",
    "us_foia": "us_foia",
    "au_foi": "au_foi",
    "nz_oia_lgoima": "nz_oia",
    "ca_atia": "ca_atia",
    "eu_1049": "eu_1049",
}
# Deliberately not provisions: Art 4(6) is the duty to give partial access, not an exception.
NOT_PROVISIONS = {("eu_1049", "art4(6)")}


def test_every_exemption_in_the_research_notes_is_known(rulebook: Rulebook) -> None:
    if not SHARED_RULES.is_file():
        pytest.skip(f"the research notes are not here ({SHARED_RULES}): ../shared is absent")
    notes = json.loads(SHARED_RULES.read_text(encoding="utf-8"))
    missing = []
    for regime in notes["regimes"]:
        law = rulebook.law(NOTES_TO_LAW[regime["id"]])
        for exemption in regime["exemptions"]:
            citation = exemption["citation"]
            if not CITATION_RE.match(citation) or (law.id, citation) in NOT_PROVISIONS:
                continue  # ranges and lists such as "s16.1-16.6" or "s38(1)(a),(c),(d)"
            if law.lookup(citation) is None:
                missing.append((law.id, citation))
    assert missing == []


def test_every_exemption_labelled_in_the_corpus_and_fixtures_is_known(rulebook: Rulebook) -> None:
    """Every provision a labelled letter relies on resolves in its law (else classify cannot name it)."""
    sources = sorted(FIXTURE_LETTERS.glob("*.jsonl"))
    corpus = SHARED_RULES.parent.parent / "corpus" / "dev.jsonl"
    if corpus.is_file():
        sources.append(corpus)
    missing = []
    for path in sources:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            law = rulebook.law(record["jurisdiction"])
            for citation in record.get("exemptions") or []:
                if law.lookup(citation) is None:
                    missing.append((path.name, record["id"], citation))
    assert missing == []
