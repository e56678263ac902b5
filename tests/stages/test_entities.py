"""The entity stage: spaCy entities plus the fields a summary needs (authority, reference, requester, dates).

Field accuracy is measured on the project's labelled letters (tuning split), with floors set at what
the stage reached; a few shapes are pinned exactly.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.model import Letter
from tests.conftest import LETTERS


@pytest.fixture(scope="module")
def tagger(triager):
    return triager.tagger


def facts_for(tagger, text: str):
    return tagger.find_facts(Letter(text=text, full_text=text))


def test_spacy_and_ruler_entities(tagger):
    text = (
        "Department of Rural Transport\nOur ref: FOI-2023-0412\n\nDear Ms Priya Shah,\n\n"
        "The information is exempt under section 43(2) of the Freedom of Information Act 2000. "
        "The contract was worth £1,250,000 in 2022.\n"
    )
    labels = {(e.label, e.text) for e in facts_for(tagger, text).entities}
    assert ("FOI_REF", "FOI-2023-0412") in labels
    assert ("LEGAL_CITATION", "section 43(2)") in labels
    assert ("LAW", "Freedom of Information Act 2000") in labels
    assert ("MONEY", "£1,250,000") in labels  # the sign is inside the span
    for e in facts_for(tagger, text).entities:
        assert text[e.start : e.end] == e.text


@pytest.mark.parametrize(
    "line,reference",
    [
        ("Our ref: FOI-2023-0412", "FOI-2023-0412"),
        ("Ref No: FOI 784", "FOI 784"),
        ("Reference: 000884/24", "000884/24"),
        ("Re: FOIA Request No. FMSA-2024-000482", "FMSA-2024-000482"),
        ("RE: FOIA Case No. 2024-HCB-0071 - Fee Estimate", "2024-HCB-0071"),
        ("Thanks for your request (our ref IC-2016-0104, received 4 April 2016).", "IC-2016-0104"),
        ("Subject: Your application - GESTDEM 2024/1883", "GESTDEM 2024/1883"),
        ("FOI request: AHGO 23/118", "AHGO 23/118"),
    ],
)
def test_reference_shapes(tagger, line, reference):
    assert tagger.reference(line + "\n\nDear Sir or Madam,\n") == reference


def test_requester_from_salutation_and_request_address(tagger):
    text = "Name: John Slater\ne-mail: request-467593-\n\nc3b9ea02@whatdotheyknow.com\n\nDear John Slater,\n\nThank you."
    person = facts_for(tagger, text).requester
    assert person.name == "John Slater"
    assert person.email == "request-467593-c3b9ea02@whatdotheyknow.com"
    assert facts_for(tagger, "Dear Sir/Madam,\n\nThank you.").requester.name == ""


def test_date_roles(tagger):
    text = (
        "Date: 14 March 2024\n\nDear Ms Shah,\n\nThank you for your request received on 15 February 2024. "
        "We will respond by 12 April 2024.\n"
    )
    dates = facts_for(tagger, text).dates
    assert dates["letter"] == dt.date(2024, 3, 14)
    assert dates["request_received"] == dt.date(2024, 2, 15)
    text = "Decision date: 7 August 2024\n\n1. On 8 July 2024 the department received your request for documents."
    dates = facts_for(tagger, text).dates
    assert dates == {"letter": dt.date(2024, 8, 7), "request_received": dt.date(2024, 7, 8)}


def test_capitalised_letterhead_is_tidied_and_government_banner_skipped(tagger):
    assert facts_for(tagger, "GLENMORVAN COUNCIL\nPlanning Service\n\nDear Mr Ross,").authority == "Glenmorvan Council"
    text = "Australian Government\nDepartment of Regional Infrastructure and Water\n\nDear Mr Hadley"
    assert facts_for(tagger, text).authority == "Department of Regional Infrastructure and Water"


def tuning_records():
    for name in ("uk_tune.jsonl", "intl_tune.jsonl"):
        path = LETTERS / name
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            yield record, path.parent / record["path"]


@pytest.mark.slow
def test_field_accuracy_on_the_tuning_letters(triager):
    hits = {"reference": 0, "letter": 0, "request_received": 0, "authority": 0}
    total = 0
    for record, path in tuning_records():
        result = triager.triage_path(path)
        total += 1
        hits["reference"] += (record.get("reference") or "") == result.reference
        hits["letter"] += (record.get("reply_date") or None) == (result.dates["letter"].isoformat() if "letter" in result.dates else None)
        got = result.dates.get("request_received")
        hits["request_received"] += (record.get("request_date") or None) == (got.isoformat() if got else None)
        gold, found = (record.get("authority") or "").lower(), result.authority.lower()
        hits["authority"] += bool(found) and (gold == found or found in gold or gold in found)
    rates = {k: v / total for k, v in hits.items()}
    assert total >= 120
    assert rates["reference"] >= 0.88, rates
    assert rates["letter"] >= 0.88, rates
    assert rates["request_received"] >= 0.85, rates
    assert rates["authority"] >= 0.88, rates


OWN = LETTERS.parent / "entities"


def test_an_org_the_model_stops_before_a_place_name_is_completed(tagger):
    # the sm model tags "The Police Service of" alone; a name cannot end with "of"
    text = (OWN / "org_cut_before_place_name.txt").read_text(encoding="utf-8")
    orgs = [e.text for e in tagger.entities(text) if e.label == "ORG"]
    assert orgs == ["The Police Service of Northern Ireland"]


def test_a_subject_line_is_not_the_authority(triager):
    # a disclosure-log entry with no letterhead: "Subject: Police Vehicle Tracking" names the topic
    result = triager.triage_path(OWN / "police_log_subject_line_no_letterhead.txt")
    assert not result.authority.lower().startswith("subject")
    assert result.reference == "FOI/20417"


def test_the_tokenizer_built_from_the_config_is_the_one_the_model_stores(tagger):
    # the entity stage skips reading the stored tokenizer (bot/stages/entities.py): that is only
    # right while the installed model keeps the tokenizer its config builds
    import spacy

    from bot.stages.entities import SPACY_MODEL, UNUSED_PIPES

    stored = spacy.load(SPACY_MODEL, exclude=[*UNUSED_PIPES, "ner"])  # the tokenizer read from the model's directory
    assert stored.tokenizer.to_bytes(exclude=["vocab"]) == tagger.nlp.tokenizer.to_bytes(exclude=["vocab"])
    text = "Per s.40(2) FOIA we can't release it; ref. FOI-2023/0412, e-mail foi@dwp.gov.uk, 1st Jan."
    assert [t.text for t in stored(text)] == [t.text for t in tagger.nlp.tokenizer(text)]


def test_a_letter_the_learned_model_read_first_is_tokenised_once_and_tagged_the_same(triager, monkeypatch):
    # the second opinion (bot/stages/learned.py) reads every letter the rules place before the
    # entity stage does; the entity stage takes the Doc it made rather than tokenising again
    first, second = (next(LETTERS.glob(f"uk/{n}_*.txt")).read_text(encoding="utf-8") for n in ("001", "002"))
    tagger = triager.tagger
    alone = {text: tagger.entities(text) for text in (first, second)}
    made = []
    make_doc = tagger.nlp.make_doc
    monkeypatch.setattr(tagger.nlp, "make_doc", lambda text: made.append(text) or make_doc(text))

    triager.outcome_model.probabilities(first)
    assert tagger.entities(first) == alone[first]
    assert len(made) == 1

    triager.outcome_model.probabilities(first)
    assert tagger.entities(second) == alone[second]  # a Doc of another text is never used
    assert tagger.entities(first) == alone[first]  # and a Doc is taken once: tagging again tokenises again
    assert len(made) == 4
