"""The classifier's prefilter may skip a regex only when the regex cannot match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.rulebook import load_rulebook
from bot.stages.classify import compile_rules, split_sentences
from bot.stages.prefilter import lowered, prefilter_for

LETTERS = Path(__file__).resolve().parents[1] / "fixtures" / "letters"


@pytest.mark.parametrize(
    ("pattern", "requirements"),
    [
        (r"\bwill be (withheld|redacted)\b", (("will be ",), ("withheld", "redacted"))),
        (r"withh?eld", (("with",), ("eld",))),  # an optional letter splits the word
        (r"(refus|declin)(ed|e)\b", (("refus", "declin"),)),  # "ed"/"e" too short to be worth a test
        (r"\b(?:a|answer)\s*\d", ()),  # one branch needs nothing: nothing is required
        (r"(?:exempt)?ion", (("ion",),)),  # an optional group requires nothing, the rest still does
        (r"(?:under )+section", (("under ",), ("section",))),
        (r"\|\s*\d", ()),
    ],
)
def test_required_words_come_from_the_parse_tree(pattern: str, requirements: tuple) -> None:
    assert prefilter_for(pattern).requirements == requirements


def test_letters_folded_by_ignorecase_still_pass() -> None:
    # IGNORECASE matches "ſ" (long s) and "ı" (dotless i) to ASCII letters; so must the prefilter
    pattern = re.compile(r"exemption applies", re.IGNORECASE)
    for text in ("The EXEMPTION APPLIES", "The exemptıon applieſ", "THE EXEMPTİON APPLIES"):
        assert pattern.search(text)
        assert prefilter_for(pattern.pattern).may_match(lowered(text))
    assert not prefilter_for(pattern.pattern).may_match(lowered("no exemption is claimed"))


def test_no_rule_pattern_is_skipped_on_a_sentence_it_matches() -> None:
    """Soundness over every classifier pattern and every sentence of our own letters."""
    rulebook = load_rulebook()
    rules = compile_rules(rulebook)
    patterns = [p for spec in rules.signals.values() for p, _, _ in spec]
    patterns += [p for _, pats in rules.contexts.values() for p in pats]
    patterns += list(rules.exemption_context)
    letters = sorted(LETTERS.glob("*/*.txt"))
    assert len(letters) > 150
    checked = skipped = 0
    for path in letters:
        for sentence in split_sentences(path.read_text(encoding="utf-8"), rules):
            low = lowered(sentence.flat)
            for pattern in patterns:
                hit = bool(pattern.search(sentence.flat))
                allowed = prefilter_for(pattern.pattern).may_match(low)
                assert allowed or not hit, (pattern.pattern, sentence.flat)
                checked += 1
                skipped += not allowed
    # the filter is worth having: most pattern/sentence pairs are ruled out without a regex
    assert skipped > checked / 2


def test_no_reference_label_is_skipped_where_it_matches() -> None:
    """The entity stage's reference labels use the same filter: sound on every letter's head."""
    from bot.stages.entities import EntityTagger

    tagger = EntityTagger(load_rulebook())
    letters = sorted(LETTERS.glob("*/*.txt"))
    skipped = 0
    for path in letters:
        head = path.read_text(encoding="utf-8")[:4000]
        low = lowered(head)
        for pattern, prefilter in zip(tagger._reference_res, tagger._reference_filters, strict=True):
            allowed = prefilter.may_match(low)
            assert allowed or not pattern.search(head), (pattern.pattern, path.name)
            skipped += not allowed
    assert skipped > 0
