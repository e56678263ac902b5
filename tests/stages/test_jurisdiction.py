"""Which law a reply is read under when the evidence is only shared or evenly split (bot/stages/jurisdiction.py)."""

from __future__ import annotations

from pathlib import Path

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
