"""The one entry point to the pipeline: bytes or a file in, a `Triage` out.

parse -> extract -> classify -> entities -> deadlines -> advise -> render.
The service reaches the stages only through this module.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path

from bot.errors import UnreadableInput
from bot.model import Letter, Limits, ParsedMessage, Triage
from bot.rulebook import Rulebook, load_rulebook
from bot.stages import advise, classify, deadlines, entities, extract, learned, parse, render
from bot.stages.jurisdiction import detect_jurisdiction

__all__ = ["Triager", "parse_message", "render"]

parse_message = parse.parse_message

DOCUMENT_SUFFIXES = {".pdf", ".docx", ".txt", ".text", ".html", ".htm"}


class Triager:
    """Holds the loaded rules and spaCy pipeline; load once per process, reuse for every reply."""

    def __init__(self, rulebook: Rulebook | None = None, limits: Limits | None = None) -> None:
        self.rulebook = rulebook or load_rulebook()
        self.limits = limits or Limits()

    @cached_property
    def tagger(self) -> entities.EntityTagger:
        return entities.EntityTagger(self.rulebook, max_chars=self.limits.max_nlp_chars)

    @cached_property
    def outcome_model(self) -> learned.OutcomeModel:
        return learned.OutcomeModel(
            self.rulebook.models_dir / learned.MODEL_DIR_NAME,
            lambda: self.tagger.nlp,
            max_chars=self.limits.max_nlp_chars,
            tokens=self.tagger.tokens,  # the entity stage then reads the same Doc: one tokenising per letter
        )

    def load_models(self) -> list[str]:
        """Load the spaCy pipeline and the learned outcome model now rather than at first use;
        returns what could not be loaded (the rules work without the learned fallback)."""
        self.outcome_model.component  # noqa: B018 - a cached property: reading it loads the model
        return [self.outcome_model.load_error] if self.outcome_model.load_error else []

    # ----------------------------------------------------------------- inputs

    def triage_path(self, path: str | Path, **options) -> Triage:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UnreadableInput(f"{path}: no such file") from None
        except IsADirectoryError:
            raise UnreadableInput(f"{path}: is a directory, not a file") from None
        except PermissionError:
            raise UnreadableInput(f"{path}: permission denied") from None
        suffix = path.suffix.lower()
        if suffix in DOCUMENT_SUFFIXES:
            return self.triage_letter(extract.letter_from_document(data, path.name, self.limits), **options)
        return self.triage_bytes(data, **options)

    def triage_bytes(self, raw: bytes, **options) -> Triage:
        """A raw RFC 5322 message (possibly a forward) or, failing that, a plain letter."""
        if not raw.strip():
            raise UnreadableInput("the input is empty")
        if extract.sniff_document(raw) is not None:
            return self.triage_letter(extract.letter_from_document(raw, "", self.limits), **options)
        message = parse.parse_message(raw, self.limits)
        return self.triage_message(message, **options)

    def triage_message(self, message: ParsedMessage, **options) -> Triage:
        return self.triage_letter(extract.extract_letter(message, self.limits), **options)

    # ----------------------------------------------------------------- pipeline

    def triage_letter(
        self,
        letter: Letter,
        *,
        today: dt.date | None = None,
        jurisdiction: str | None = None,
    ) -> Triage:
        today = today or dt.date.today()
        law = self.rulebook.law(jurisdiction or detect_jurisdiction(letter, self.rulebook))
        verdict = classify.classify(letter, self.rulebook, law, learned=self.outcome_model.probabilities)
        facts = self.tagger.find_facts(letter)
        due = deadlines.compute_deadlines(facts, verdict, law, self.rulebook.calendar(law), today=today)
        steps = advise.advise(verdict, facts, due, law, self.rulebook, today=today)
        result = Triage(
            outcome=verdict.outcome,
            labels=list(verdict.labels),
            confidence=verdict.confidence,
            needs_review=verdict.needs_review,
            review_reason=verdict.review_reason,
            jurisdiction=law.id,
            refusal_grounds=list(verdict.refusal_grounds),
            exemptions=list(verdict.exemptions),
            ncnd=verdict.ncnd,
            review_result=verdict.review_result,
            authority=facts.authority,
            reference=facts.reference,
            requester=facts.requester,
            dates=facts.dates,
            deadlines=due,
            entities=list(facts.entities),
            next_steps=steps,
            evidence=list(verdict.evidence),
            subject=letter.subject,
            sources=list(letter.sources),
            warnings=list(letter.warnings),
        )
        result.summary = render.summary_text(result, law, self.rulebook)
        return result

    # ----------------------------------------------------------------- output

    def render_text(self, triage: Triage) -> str:
        return render.summary_text(triage, self.rulebook.law(triage.jurisdiction), self.rulebook)

    def render_html(self, triage: Triage) -> str:
        return render.summary_html(triage, self.rulebook.law(triage.jurisdiction), self.rulebook)

    def outcome_words(self, triage: Triage) -> str:
        return render.outcome_short(triage, self.rulebook)
