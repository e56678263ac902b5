"""A learned opinion on the outcome: a guess for the replies the rules cannot place, a check on the rest.

A spaCy bag-of-words text classifier (`TextCatBOW`: unigrams and bigrams, one exclusive class
per outcome) trained on the tuning split of the letters written for the project
(`tests/fixtures/letters/*_tune.jsonl`) by `python -m bot.devtools.train_outcome_model`, which
writes `models/outcome_textcat/`. Training is deterministic: the same letters and library
versions give the same bytes, and a test checks that the shipped model is what the script makes.

The classify stage consults it in two ways (`rules/classify.toml`, `[learned_fallback]`):
- when no signal decides the outcome ("other"), its guess is taken and stays flagged for a person
  to check;
- when the rules do place a letter, as a second opinion: their outcome stands, but if the model
  gives it a very low probability the reply is flagged for a person to check (review reason
  "second_opinion"). Its probabilities track the rules' mistakes better than the rules' own
  confidence does (docs/accuracy.md, round 18).

The model shares the entity stage's tokenizer (spaCy's English defaults, the same as
`spacy.blank("en")` used in training), so loading it costs no second tokenizer.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.model import Outcome

MODEL_DIR_NAME = "outcome_textcat"
#: The component's architecture; training and loading must agree on it.
TEXTCAT_CONFIG: dict[str, Any] = {
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 32768,
    }
}
#: The component is stored without its vocabulary: hashed n-grams need none, and the
#: strings of the training letters would only grow the entity model's string store.
NOT_STORED = ["vocab"]
LABELS = tuple(outcome.value for outcome in Outcome)
SEED = 0
EPOCHS = 20
BATCH_SIZE = 16


class OutcomeModel:
    """Loads `models/outcome_textcat` once onto the entity stage's spaCy pipeline."""

    def __init__(
        self, model_dir: Path, nlp: Callable[[], Any], max_chars: int = 20_000, tokens: Callable[[str], Any] | None = None
    ) -> None:
        self.model_dir = Path(model_dir)
        self._nlp = nlp
        self.max_chars = max_chars
        #: how a text becomes a Doc: the entity stage's `tokens`, which keeps the Doc for its own read
        self._tokens = tokens or (lambda text: self._nlp().make_doc(text))
        #: why the model could not be loaded ("" when it was, or has not been tried yet)
        self.load_error = ""

    @cached_property
    def component(self):
        """The loaded component; None when its files are missing or damaged (then it guesses nothing:
        a broken install must not stop replies being read by the rules; `foibot doctor` says so)."""
        # created, not added: the entity stage's `nlp(text)` must not run it on every letter
        component = self._nlp().create_pipe("textcat", name=MODEL_DIR_NAME, config=TEXTCAT_CONFIG)
        try:
            return component.from_disk(self.model_dir, exclude=NOT_STORED)
        except (OSError, ValueError) as exc:
            self.load_error = f"{self.model_dir.name} does not load ({exc.__class__.__name__})"
            return None

    def probabilities(self, text: str) -> dict[str, float]:
        """Each outcome's probability for this letter text (they sum to 1); {} without a model."""
        if self.component is None:
            return {}
        return dict(self.component(self._tokens(text[: self.max_chars])).cats)


def train(letters: Iterable[tuple[str, str]]):
    """A textcat component trained on (text, outcome) pairs; the same pairs give the same weights."""
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(SEED)
    nlp = spacy.blank("en")
    component = nlp.add_pipe("textcat", name=MODEL_DIR_NAME, config=TEXTCAT_CONFIG)
    for label in LABELS:
        component.add_label(label)
    examples = [
        Example.from_dict(nlp.make_doc(text), {"cats": {label: float(label == outcome) for label in LABELS}})
        for text, outcome in letters
    ]
    optimizer = nlp.initialize(lambda: examples)
    shuffle = random.Random(SEED)
    for _ in range(EPOCHS):
        shuffle.shuffle(examples)
        for start in range(0, len(examples), BATCH_SIZE):
            nlp.update(examples[start : start + BATCH_SIZE], sgd=optimizer, drop=0.0)
    return component
