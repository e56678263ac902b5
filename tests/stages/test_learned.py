"""The learned outcome model: a fallback guess when no rule places a letter, a second opinion when
one does; never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devtools import train_outcome_model
from bot.model import Letter, Outcome, ReviewReason
from bot.rulebook import MODELS_DIR
from bot.stages import classify, learned
from bot.stages.jurisdiction import detect_jurisdiction
from bot.stages.quotes import fold_quotes
from tests.conftest import LETTERS

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "classify"
NO_RULE_PLACES_IT = OWN / "council_asks_which_grant_scheme_before_going_further.txt"
TRANSFER = next(LETTERS.glob("*/043_nz_oia_ministry_transfer_s14*.txt"))
PLACED = OWN / "department_public_interest_extension.txt"  # the rules read it as an extension (delay)
#: a held-out letter (a US agency releasing everything) that the rules misread, sure of themselves,
#: as a review decision (a known error in tests/test_jurisdictions.py); the model finds that unlikely
MISREAD_WITH_CONFIDENCE = next(LETTERS.glob("*/093_us_foia_seismic_monitoring_station_logs_full*.txt"))


def sure_of(outcome: str, probability: float = 0.9):
    """A model's view that puts `probability` on one outcome and spreads the rest."""
    rest = (1.0 - probability) / (len(learned.LABELS) - 1)
    return {label: probability if label == outcome else rest for label in learned.LABELS}


def classified(path: Path, rulebook, learned_view=None):
    text = path.read_text(encoding="utf-8")
    letter = Letter(text=fold_quotes(text, rulebook.folding), full_text=text)
    law = rulebook.law(detect_jurisdiction(letter, rulebook))
    return classify.classify(letter, rulebook, law, learned=learned_view)


def test_the_shipped_model_is_what_the_training_script_makes(tmp_path):
    # trained deterministically on the tuning split: retraining gives the same bytes
    shipped = MODELS_DIR / learned.MODEL_DIR_NAME
    count = train_outcome_model.write_model(tmp_path / "retrained")
    assert count == len(train_outcome_model.training_letters())
    assert sorted(p.name for p in (tmp_path / "retrained").iterdir()) == sorted(p.name for p in shipped.iterdir())
    for name in ("cfg", "model"):
        assert (tmp_path / "retrained" / name).read_bytes() == (shipped / name).read_bytes(), name


def test_the_training_letters_are_the_tuning_split_only():
    letters = train_outcome_model.training_letters()
    tuned = sum(1 for name in train_outcome_model.TRAINING_SPLITS for line in open(LETTERS / name) if line.strip())
    assert len(letters) == tuned
    assert {outcome for _, outcome in letters} == set(learned.LABELS)
    assert not any("heldout" in name for name in train_outcome_model.TRAINING_SPLITS)


def test_a_letter_no_rule_places_gets_the_learned_guess_and_stays_flagged(triager):
    assert classified(NO_RULE_PLACES_IT, triager.rulebook).outcome == Outcome.OTHER  # the rules alone
    result = triager.triage_path(NO_RULE_PLACES_IT)
    assert result.outcome == "clarification_requested"
    assert result.labels == ["clarification_requested"]
    assert result.needs_review
    assert result.review_reason == ReviewReason.GUESS
    assert 0.5 <= result.confidence < 1.0  # the model's probability, said in the summary


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (sure_of("not_held", 0.5), (Outcome.NOT_HELD, 0.5)),
        (sure_of("not_held", 0.49), None),  # not sure enough
        (sure_of("full_disclosure", 0.99), None),  # never told "you got everything" on a guess
        (sure_of("other", 0.9), None),
        ({}, None),
    ],
)
def test_when_a_guess_is_taken(triager, view, expected):
    fallback = classify.compile_rules(triager.rulebook).learned_fallback
    assert classify.learned_guess(view, fallback) == expected


def test_a_transfer_is_other_whatever_the_model_says(triager):
    verdict = classified(TRANSFER, triager.rulebook, lambda text: sure_of("refused"))
    assert verdict.outcome == Outcome.OTHER


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        (sure_of("refused", 0.99), ReviewReason.SECOND_OPINION),  # "delay" gets about 0.001
        (sure_of("delay", 0.5), None),
        (sure_of("refused", 0.5), None),  # another outcome likelier, but "delay" not unlikely (0.056)
        ({}, None),  # no model: the rules alone
    ],
)
def test_the_model_is_a_second_opinion_on_a_letter_the_rules_place(triager, view, reason):
    verdict = classified(PLACED, triager.rulebook, lambda text: view)
    assert verdict.outcome == Outcome.DELAY  # the rules' outcome stands whatever the model says
    assert verdict.confidence >= 0.5
    assert verdict.review_reason == reason
    assert verdict.needs_review == (reason is not None)


def test_doubt_is_below_the_configured_probability(triager):
    fallback = classify.compile_rules(triager.rulebook).learned_fallback
    assert 0 < fallback.doubt_below < fallback.min_probability
    assert classify.learned_doubts(Outcome.DELAY, {"delay": fallback.doubt_below - 0.001}, fallback)
    assert not classify.learned_doubts(Outcome.DELAY, {"delay": fallback.doubt_below}, fallback)
    assert not classify.learned_doubts(Outcome.DELAY, {}, fallback)


def test_a_confident_misreading_the_model_doubts_goes_to_a_person(triager):
    rules_alone = classified(MISREAD_WITH_CONFIDENCE, triager.rulebook)
    assert not rules_alone.needs_review  # the rules alone would have told the requester, unflagged
    result = triager.triage_path(MISREAD_WITH_CONFIDENCE)
    assert (result.outcome, result.confidence) == (rules_alone.outcome, rules_alone.confidence)
    assert result.needs_review
    assert result.review_reason == ReviewReason.SECOND_OPINION
    assert "second reading of the wording" in result.summary


def test_the_model_reads_the_letter_with_the_entity_stage_tokenizer(triager):
    probabilities = triager.outcome_model.probabilities(NO_RULE_PLACES_IT.read_text(encoding="utf-8"))
    assert set(probabilities) == set(learned.LABELS)
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert "outcome_textcat" not in triager.tagger.nlp.pipe_names  # the entity stage does not run it


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_missing_or_damaged_model_means_no_guess_not_a_failure(triager, tmp_path, damage):
    model_dir = tmp_path / learned.MODEL_DIR_NAME
    if damage == "garbage":
        model_dir.mkdir()
        (model_dir / "cfg").write_text((MODELS_DIR / learned.MODEL_DIR_NAME / "cfg").read_text())
        (model_dir / "model").write_bytes(b"not a model")
    broken = learned.OutcomeModel(model_dir, lambda: triager.tagger.nlp)
    assert broken.probabilities(NO_RULE_PLACES_IT.read_text(encoding="utf-8")) == {}
    assert broken.load_error.startswith(learned.MODEL_DIR_NAME)
    assert classified(NO_RULE_PLACES_IT, triager.rulebook, broken.probabilities).outcome == Outcome.OTHER


def test_the_triager_reports_a_missing_model_and_still_reads_letters(triager, tmp_path):
    import shutil

    from bot.rulebook import Rulebook
    from bot.triage import Triager

    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODELS_DIR / "entity_patterns.jsonl", models)  # everything but the outcome model
    without_model = Triager(Rulebook(triager.rulebook.rules_dir, models))
    without_model.__dict__["tagger"] = triager.tagger  # the loaded spaCy pipeline, shared
    assert without_model.load_models() == [f"{learned.MODEL_DIR_NAME} does not load (FileNotFoundError)"]
    assert without_model.triage_path(NO_RULE_PLACES_IT).outcome == "other"
    assert triager.load_models() == []
