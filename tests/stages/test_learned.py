"""The learned outcome fallback: consulted only when no rule places a letter, never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devtools import train_outcome_model
from bot.model import Letter, Outcome
from bot.rulebook import MODELS_DIR
from bot.stages import classify, learned
from bot.stages.jurisdiction import detect_jurisdiction
from bot.stages.quotes import fold_quotes
from tests.conftest import LETTERS

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "classify"
NO_RULE_PLACES_IT = OWN / "council_asks_which_grant_scheme_before_going_further.txt"
TRANSFER = next(LETTERS.glob("*/043_nz_oia_ministry_transfer_s14*.txt"))


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


def test_a_letter_the_rules_place_never_asks_the_model(triager):
    def must_not_be_asked(text: str) -> dict[str, float]:
        raise AssertionError("the model was asked about a letter the rules placed")

    verdict = classified(OWN / "department_public_interest_extension.txt", triager.rulebook, must_not_be_asked)
    assert verdict.outcome == Outcome.DELAY


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
