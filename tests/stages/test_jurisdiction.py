"""Which law a reply is read under when the evidence is only shared or evenly split (bot/stages/jurisdiction.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.model import Limits
from bot.stages.extract import extract_letter, letter_from_document
from bot.stages.jurisdiction import detect_jurisdiction, jurisdiction_evidence
from bot.stages.parse import parse_message
from tests.conftest import LETTERS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jurisdiction"


def letter_from_mail(name: str):
    raw = (FIXTURES / name).read_bytes()
    return extract_letter(parse_message(raw, Limits()), Limits())


def test_a_site_address_shared_by_four_uk_laws_reads_the_general_act(triager):
    rulebook = triager.rulebook
    # only the WhatDoTheyKnow address speaks: it serves FOIA, EIR, FOISA and the EISRs alike, so
    # it must not pick the Scottish environmental regulations because their name weighs more
    letter = letter_from_mail("wdtk_cost_refusal_no_law_named.eml")
    evidence = jurisdiction_evidence(letter, rulebook)
    assert {law for law, found in evidence.items() if found.named} == set()
    assert len({found.score for found in evidence.values()}) == 1
    assert detect_jurisdiction(letter, rulebook) == "uk_foia"


def test_the_cost_refusal_then_names_the_acts_cost_limit(triager):
    result = triager.triage_path(FIXTURES / "wdtk_cost_refusal_no_law_named.eml")
    assert result.jurisdiction == "uk_foia"
    assert result.outcome == "refused"
    assert "cost_limit" in result.refusal_grounds
    assert [e.citation for e in result.exemptions] == ["s12"]


def test_a_scottish_domain_alone_reads_foisa_not_the_environmental_regulations(triager):
    rulebook = triager.rulebook
    letter = letter_from_mail("scottish_acknowledgement_no_law_named.eml")
    evidence = jurisdiction_evidence(letter, rulebook)
    assert evidence["scotland_eisr"].score == evidence["scotland_foisa"].score
    assert detect_jurisdiction(letter, rulebook) == "scotland_foisa"


def test_a_tie_between_named_laws_goes_to_the_specific_one(triager):
    rulebook = triager.rulebook
    # an EIR reply that names the Regulations as often as its rights footer names FOIA
    path = LETTERS / "uk" / "296_eir_combined_authority_review_partly_reg12_5_e_tram_model.txt"
    letter = letter_from_document(path.read_bytes(), path.name, Limits())
    evidence = jurisdiction_evidence(letter, rulebook)
    assert evidence["uk_eir"].score == evidence["uk_foia"].score
    assert evidence["uk_eir"].named and evidence["uk_foia"].named
    assert detect_jurisdiction(letter, rulebook) == "uk_eir"


def test_a_template_naming_foia_or_the_eir_is_no_evidence_for_the_regulations(triager):
    rulebook = triager.rulebook
    letter = letter_from_mail("acknowledgement_names_foia_or_eir.eml")
    evidence = jurisdiction_evidence(letter, rulebook)
    assert "uk_eir" not in evidence or not evidence["uk_eir"].named
    assert detect_jurisdiction(letter, rulebook) == "uk_foia"


def test_a_reply_under_the_eir_rather_than_foia_is_read_under_the_eir(triager):
    letter = letter_from_mail("eir_reply_rather_than_foia.eml")
    assert detect_jurisdiction(letter, triager.rulebook) == "uk_eir"


def test_a_joint_mention_that_is_not_a_regular_expression_is_refused_when_the_rules_load():
    from pydantic import ValidationError

    from bot.rulebook import Detect

    with pytest.raises(ValidationError, match="not_evidence"):
        Detect(not_evidence=["freedom of information act (2000"])


def letter_from_text(name: str):
    path = FIXTURES / name
    return letter_from_document(path.read_bytes(), path.name, Limits())


def test_an_authoritys_name_places_the_letter_without_choosing_between_its_countrys_laws(triager):
    # a Scottish council's disclosure log names no law: Scotland, and there its general Act
    letter = letter_from_text("moray_council_disclosure_log_page_no_law_named.txt")
    evidence = jurisdiction_evidence(letter, triager.rulebook)
    assert evidence["scotland_foisa"] == evidence["scotland_eisr"]
    assert not evidence["scotland_foisa"].named
    assert detect_jurisdiction(letter, triager.rulebook) == "scotland_foisa"


def test_a_councils_eisr_reply_naming_foisa_and_the_commissioner_stays_under_the_eisrs(triager):
    # the council's and the Commissioner's names count for both Scottish laws, so naming FOISA
    # once ("rather than the ... Act") does not outweigh the Regulations named as the law applied
    letter = letter_from_text("highland_council_eisr_reply_names_foisa_and_commissioner.txt")
    assert detect_jurisdiction(letter, triager.rulebook) == "scotland_eisr"


def test_a_law_whose_country_has_no_places_table_is_refused_when_the_rules_load(tmp_path):
    import shutil

    from bot.rulebook import RULES_DIR, Rulebook

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    places = rules / "places.toml"
    places.write_text(places.read_text(encoding="utf-8").replace("[scotland]", "[alba]"), encoding="utf-8")
    with pytest.raises(ValueError, match="country 'scotland' has no table"):
        Rulebook(rules)


def test_a_link_to_the_authoritys_site_places_a_reply_that_names_no_law(triager):
    # an auto-reply copied from a published thread: no envelope, no law named, only the web address
    letter = letter_from_text("australian_agency_auto_reply_link_only.txt")
    evidence = jurisdiction_evidence(letter, triager.rulebook)
    assert set(evidence) == {"au_foi"}
    assert detect_jurisdiction(letter, triager.rulebook) == "au_foi"


def test_the_scottish_regulations_written_like_the_english_ones_are_no_evidence_for_the_eir(triager):
    # "Environmental Information Regulations (Scotland) 2004" and a council site under gov.uk
    letter = letter_from_text("scottish_council_acknowledgement_regulations_name_slip.txt")
    evidence = jurisdiction_evidence(letter, triager.rulebook)
    assert not evidence["uk_eir"].named
    assert detect_jurisdiction(letter, triager.rulebook) == "scotland_foisa"
