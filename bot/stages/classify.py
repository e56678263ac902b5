"""Classify stage: Letter -> Classification.

The wording is data (`rules/classify.toml` for outcome signals, `rules/law/*.toml` for which
citations are exemptions of which law). This module holds only the mechanism:

1. split the quote-folded letter into sentences, marking those that are hypothetical
   ("some information may be exempt") or part of the "your right to complain" footer;
2. score each signal (ack, delay, withheld, not_held, full, review, ...) from its patterns;
3. find citations with the grammar in `citations.py` and keep those the law knows, cited in
   a sentence that relies on them;
4. combine the signals into the primary outcome and the labels with the fixed procedure in
   `decide()`, and say how sure it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from bot.model import Classification, Exemption, Letter, Outcome, ReviewReason
from bot.rulebook import Law, Rulebook
from bot.stages.citations import find_citations
from bot.stages.prefilter import lowered, prefilter_for

PARAGRAPH_RE = re.compile(r"\n[ \t]*\n+")
#: "withheld under reg. 12(5)(a)", "s. 40(2)", "art. 4(1)(b)", "No. 3": a number after these is no new sentence
_ABBREVIATION_BEFORE = "".join(
    rf"(?<!\b{word}\.)" for word in ("[Rr]eg", "[Rr]egs", "[Ss]", "[Ss]s", "[Ss]ec", "[Aa]rt", "[Pp]ara", "[Nn]o")
)

SENTENCE_END_RE = re.compile(
    rf"(?<=[.!?])(?:{_ABBREVIATION_BEFORE}[\"'”’)]?\s+(?=[A-Z0-9\"“‘(•\-])|[\"'”’)]?\s+(?=[A-Z\"“‘(•\-]))"
    r"|\n(?=\s*(?:[-•*▪]|\(?\d{1,2}[.)]|[A-Z][a-z]+:)\s)"
    r"|\n(?=\s*(?:(?:Q|Question\s*)\d+\s*[-–:.)]?|(?:A|Answer|Response)\s*\d*\s*[-–:.)])\s)"
    r"|\n(?=[^\n]*\|)"  # table rows
)

LIST_CONTEXT = 3  # how many sentences back a listed citation may take its "relied on" wording from
#: a list whose introduction names the kind of provision, with a colon, a stray semicolon or neither
#: ("... under FOISA sections:", "an exemption under sections;", "withhold some of the information under
#: the following sections") and whose items give bare numbers ("• 30(b)(i), Free and frank exchange of views")
LIST_INTRO_RE = re.compile(r"\b(sections?|regulations?|articles?|exemptions?|exceptions?)\s*[:;]?\s*$", re.IGNORECASE)
BARE_ITEM_RE = re.compile(r"^[\W_]*(?=\d{1,3}[A-Z]{0,2}\s?\()")
LIST_WORD = {"s": "section", "reg": "regulation", "art": "article"}

DECISIONS = (
    Outcome.FULL_DISCLOSURE,
    Outcome.PARTIAL_DISCLOSURE,
    Outcome.REFUSED,
    Outcome.NOT_HELD,
    Outcome.REVIEW_DECISION,
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # verbatim
    flat: str  # whitespace collapsed, for matching
    contexts: frozenset[str]


@dataclass
class Signal:
    score: float = 0.0
    evidence: str = ""
    best: float = 0.0
    hits: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CompiledRules:
    contexts: dict[str, tuple[frozenset[str], tuple[re.Pattern, ...]]]
    signals: dict[str, tuple[tuple[re.Pattern, float, int], ...]]
    review_results: dict[str, tuple[re.Pattern, ...]]
    exemption_context: tuple[re.Pattern, ...]
    access_law_name: re.Pattern
    law_numbered_words: frozenset[str]
    #: matches the words just before a citation that the statute itself cites ("[Information which
    #: is] not exempt information by virtue of section 30", quoted inside s31): not a ground relied on
    statute_cross_reference: re.Pattern
    thresholds: dict[str, float]
    exclusive: dict[str, tuple[str, ...]]
    learned_fallback: LearnedFallback
    #: the confidence under which a reading goes to a person, per outcome ("any" for the rest)
    review_below: dict[str, float]


@dataclass(frozen=True)
class LearnedFallback:
    """How the learned model is heard: `[learned_fallback]` in rules/classify.toml."""

    #: its guess is taken for a letter no rule places when it is at least this sure
    min_probability: float
    never: frozenset[Outcome]
    #: a letter the rules do place goes to a person when the model gives that outcome less than this
    doubt_below: float


def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=8)
def compile_rules(rulebook: Rulebook) -> CompiledRules:
    data = rulebook.classify
    contexts = {
        name: (frozenset(spec["applies_to"]), tuple(_compile(p) for p in spec["patterns"]))
        for name, spec in data["context"].items()
    }
    signals = {
        name: tuple((_compile(p["re"]), float(p["w"]), int(p.get("n", 1))) for p in spec["patterns"])
        for name, spec in data["signals"].items()
    }
    review_results = {name: tuple(_compile(p) for p in pats) for name, pats in data["review_results"].items()}
    exemption_context = tuple(_compile(p) for p in data["exemption_context"]["patterns"])
    exclusive = {name: tuple(others) for name, others in data.get("exclusive", {}).items()}
    access_law_name = _compile(data["citations"]["access_law_name"])
    law_numbered_words = frozenset(data["citations"]["law_numbered_words"])
    statute_cross_reference = _compile(data["citations"]["statute_cross_reference"])
    fallback = data["learned_fallback"]
    learned_fallback = LearnedFallback(
        float(fallback["min_probability"]),
        frozenset(Outcome(o) for o in fallback["never"]),
        float(fallback["doubt_below"]),
    )
    return CompiledRules(
        contexts,
        signals,
        review_results,
        exemption_context,
        access_law_name,
        law_numbered_words,
        statute_cross_reference,
        data["thresholds"],
        exclusive,
        learned_fallback,
        {(key if key == "any" else Outcome(key).value): float(value) for key, value in data["review_below"].items()},
    )


def split_sentences(text: str, rules: CompiledRules) -> list[Sentence]:
    """Sentences with their spans; a paragraph that opens the complaints footer is footer throughout."""
    pieces: list[tuple[bool, int, str, str]] = []  # (first of its paragraph, start, text, flat)
    pos = 0
    for para_match in list(PARAGRAPH_RE.finditer(text)) + [None]:
        para_end = para_match.start() if para_match else len(text)
        paragraph = text[pos:para_end]
        para_start = pos
        pos = para_match.end() if para_match else len(text)
        cursor = 0
        first = True
        for end_match in list(SENTENCE_END_RE.finditer(paragraph)) + [None]:
            s_end = end_match.start() if end_match else len(paragraph)
            s_start = cursor
            raw = paragraph[s_start:s_end]
            cursor = end_match.end() if end_match else len(paragraph)
            if not raw.strip():
                continue
            start = para_start + s_start + (len(raw) - len(raw.lstrip()))
            pieces.append((first, start, raw.strip(), " ".join(raw.split())))
            first = False

    matcher = SentenceMatcher([flat for *_, flat in pieces])
    in_context = {
        name: set().union(*(matcher.hits(p) for p in patterns)) for name, (_, patterns) in rules.contexts.items()
    }
    sentences: list[Sentence] = []
    footer_started = para_footer = False
    for index, (first, start, text_, flat) in enumerate(pieces):
        contexts = {name for name, hits in in_context.items() if index in hits}
        if first:
            para_footer = "rights_footer" in contexts
        if _is_rights_heading(flat):
            footer_started = True
        elif footer_started and ANNEX_HEADING_RE.match(flat):
            footer_started = False  # reasons set out in an annex after the sign-off are the decision again
        if para_footer or footer_started:
            contexts.add("rights_footer")
        sentences.append(Sentence(start, start + len(text_), text_, flat, frozenset(contexts)))
    return sentences


RIGHTS_HEADING_RE = re.compile(
    r"^(your )?(rights?\b|right(s)? (to complain|of (appeal|complaint|review))|complaints? (procedure|and appeals?)|"
    r"(internal )?review (rights|procedure)|how to (complain|appeal)|if you are (unhappy|dissatisfied|not satisfied)|"
    r"appeal rights|review and appeal|information commissioner)\b",
    re.IGNORECASE,
)


ANNEX_HEADING_RE = re.compile(r"^(annex|appendix|schedule|attachment)\b[\w .:-]{0,40}$", re.IGNORECASE)


def _is_rights_heading(flat: str) -> bool:
    return len(flat) < 90 and bool(RIGHTS_HEADING_RE.match(flat))


class SentenceMatcher:
    """Which sentences each pattern matches, each pattern computed at most once per letter.

    A pattern is run on a sentence only if the words it requires (`prefilter.py`) are in the
    sentence; a letter missing them is ruled out with one substring test per pattern.
    """

    def __init__(self, flats: list[str]) -> None:
        self.flats = flats
        self.lowered = [lowered(flat) for flat in flats]
        self.whole = " ".join(self.lowered)
        self._hits: dict[re.Pattern, frozenset[int]] = {}

    def hits(self, pattern: re.Pattern) -> frozenset[int]:
        found = self._hits.get(pattern)
        if found is None:
            prefilter = prefilter_for(pattern.pattern)
            if not prefilter.may_match(self.whole):
                found = frozenset()
            else:
                found = frozenset(
                    i
                    for i, (flat, low) in enumerate(zip(self.flats, self.lowered, strict=True))
                    if prefilter.may_match(low) and pattern.search(flat)
                )
            self._hits[pattern] = found
        return found


def score_signals(sentences: list[Sentence], rules: CompiledRules) -> dict[str, Signal]:
    excluded_by: dict[str, set[str]] = {}
    for name, (applies, _) in rules.contexts.items():
        for signal in applies:
            excluded_by.setdefault(signal, set()).add(name)
    matcher = SentenceMatcher([s.flat for s in sentences])

    def unblocked(signal: str) -> list[int]:
        """Sentences in no context that blocks the signal."""
        blocked = excluded_by.get(signal, set())
        return [i for i, s in enumerate(sentences) if not (s.contexts & blocked)]

    def signal_hits(signal: str) -> set[int]:
        """Sentences where the signal counts: matched and unblocked ("nothing has been withheld"
        is no withholding, so it takes no sentence from `full`)."""
        matched = set().union(*(matcher.hits(p) for p, _, _ in rules.signals[signal]))
        return matched.intersection(unblocked(signal))

    scores: dict[str, Signal] = {}
    for name, patterns in rules.signals.items():
        sig = Signal()
        taken_by_rivals = set().union(*(signal_hits(r) for r in rules.exclusive.get(name, ())))
        eligible = [i for i in unblocked(name) if i not in taken_by_rivals]
        for pattern, weight, times in patterns:
            hits = matcher.hits(pattern)
            if not hits:
                continue
            counted = 0
            for index in eligible:
                if index in hits:
                    sentence = sentences[index]
                    sig.score += weight
                    sig.hits.append(pattern.pattern)
                    if weight > sig.best:
                        sig.best, sig.evidence = weight, sentence.text
                    counted += 1
                    if counted >= times:
                        break
        scores[name] = sig
    return scores


#: sentences that only contemplate an outcome ("if any information is exempt ...")
SPECULATIVE = frozenset({"hypothetical", "conditional"})
#: sentences whose citations are not grounds relied on by this letter
NOT_RELIED_ON = SPECULATIVE | {"rights_footer", "negated", "statistics"}


def find_exemptions(
    sentences: list[Sentence], law: Law, rules: CompiledRules, skip: frozenset[str] = NOT_RELIED_ON
) -> list[tuple[Exemption | None, str]]:
    """Citations the law knows, in sentences that rely on them; (exemption, ground) pairs.

    A provision that is a ground but not listed as an exemption (a not-held notice) comes back
    as (None, ground). Sentences in a `skip` context do not count.
    """
    found: dict[str, tuple[Exemption, str]] = {}
    grounds_only: set[str] = set()
    relying = [any(p.search(s.flat) for p in rules.exemption_context) for s in sentences]
    list_starts = _list_starts(sentences)
    for index, sentence in enumerate(sentences):
        if sentence.contexts & skip:
            continue
        # a citation in a list ("as the following exemptions apply:" then one per line) takes its
        # context from the sentences just before the list
        if not any(relying[max(0, list_starts[index] - LIST_CONTEXT) : index + 1]):
            continue
        for citation, provision in _known_citations(_as_listed(sentences, index, list_starts[index], law), law, rules):
            if citation in found:
                continue
            if not provision.listed:
                grounds_only.add(provision.ground)
                continue
            exemption = Exemption(
                citation=citation,
                name=provision.name,
                kind=provision.kind,
                evidence=sentence.text,
            )
            found[citation] = (exemption, provision.ground)
    # a ground the letter says is no longer relied on ("Section 18(f) no longer applies")
    for sentence in sentences:
        if "withdrawn" in sentence.contexts:
            for citation, _ in _known_citations(sentence.flat, law, rules):
                found.pop(citation, None)
    # "section 40" and "section 40(2)" in one letter: keep the precise one
    citations = list(found)
    for citation in citations:
        if any(other != citation and other.startswith(citation + "(") for other in citations):
            found.pop(citation, None)
    return list(found.values()) + [(None, ground) for ground in sorted(grounds_only)]


def _as_listed(sentences: list[Sentence], index: int, list_start: int, law: Law) -> str:
    """The sentence's text; a bare-number list item under "... sections:" gets the law's word back."""
    flat = sentences[index].flat
    item = BARE_ITEM_RE.match(flat)
    if item and law.citation_prefix in LIST_WORD and any(
        LIST_INTRO_RE.search(before.flat) for before in sentences[max(0, list_start - LIST_CONTEXT) : list_start]
    ):
        return f"{LIST_WORD[law.citation_prefix]} {flat[item.end():]}"
    return flat


def _list_starts(sentences: list[Sentence]) -> list[int]:
    """For each sentence, the first item of the run of bare-number list items it ends (itself when it
    is none): a long list ("• 29(1)(b) ...", "• 30(c) ...", seven more) is introduced once, above it."""
    starts: list[int] = []
    previous_is_item = False
    for index, sentence in enumerate(sentences):
        is_item = bool(BARE_ITEM_RE.match(sentence.flat))
        starts.append(starts[-1] if is_item and previous_is_item else index)
        previous_is_item = is_item
    return starts


#: how far before a citation its words are read for `statute_cross_reference` (characters)
STATUTE_LOOKBEHIND = 80


def _known_citations(text: str, law: Law, rules: CompiledRules):
    """(normalised citation, provision) for each citation in a sentence's text that the law knows;
    an alias ("s40(3A)(a)") comes back as the provision it belongs to ("s40(2)"). A citation of
    another law ("section 34(1) of the Data Protection Act 2018") is none of them."""
    for cit in find_citations(text):
        if cit.of_law and not rules.access_law_name.search(cit.of_law):
            continue
        if rules.statute_cross_reference.search(text, max(0, cit.start - STATUTE_LOOKBEHIND), cit.start):
            continue
        citation = cit.citation
        if cit.word in rules.law_numbered_words and cit.prefix != law.citation_prefix:
            citation = cit.in_numbering_of(law.citation_prefix)
        elif not _prefix_matches(cit.prefix, law):
            continue
        provision = law.lookup(citation)
        if provision is not None:
            yield (provision.citation if law.alias_of(citation) else citation), provision


def _listed(found: list[tuple[Exemption | None, str]]) -> list[tuple[Exemption, str]]:
    return [(e, g) for e, g in found if e is not None]


def _prefix_matches(prefix: str, law: Law) -> bool:
    return prefix == law.citation_prefix or (prefix == "s" and law.citation_prefix in {"s"})


def decide(signals: dict[str, Signal], grounds: set[str], thresholds: dict[str, float]) -> tuple[Outcome, list[Outcome], float]:
    """The fixed procedure that turns signal scores into an outcome, labels and a confidence.

    Order of questions, most specific first:
    review outcome -> fee notice -> decision (disclosed / withheld / not held) -> no decision yet
    (clarification asked, delay/extension, acknowledgement) -> other.
    """
    t, strong = thresholds["signal"], thresholds["strong"]

    def s(name: str) -> float:
        return signals[name].score

    # a citation adds weight to withholding words; alone (a quoted earlier refusal) it decides nothing
    pending = max(s("ack"), s("delay"), s("clarification"))
    withheld_words = max(s("withheld"), s("refused_words"))
    cited = "exemption" in grounds and (withheld_words > 0 or pending < t)
    withheld = withheld_words + (1.0 if cited else 0.0)
    refusal_ground = bool(grounds & {"cost_limit", "vexatious", "repeated", "ncnd"})
    released = s("full")
    partial = s("partial")
    not_held = s("not_held") + (1.0 if "not_held" in grounds else 0.0)  # "refused under s15(1)(a): records do not exist"
    decision = max(withheld, released, partial, not_held, s("cost_limit"), s("vexatious"), s("ncnd"))
    late = max(s("apology"), s("delay"))  # with a decision, either means the `delay` label

    labels: list[Outcome] = []
    outcome: Outcome
    if s("transfer") >= strong and s("transfer") >= max(decision, pending):
        outcome = Outcome.OTHER
    elif s("not_foi") >= strong and s("not_foi") > decision and s("not_foi") >= pending and s("partial") < strong:
        # (a letter that gives some of what was asked and says one part is outside the Act is a
        # partial disclosure, not "not an FOI reply")
        outcome = Outcome.OTHER
    elif (
        s("review") >= strong
        and not (s("undecided") >= strong and s("delay") >= t)
        and not (s("ack") >= strong and s("ack") >= s("review") and decision < t)
    ):
        # (a review that is itself delayed is a delay; a review request acknowledged is an acknowledgement)
        outcome = Outcome.REVIEW_DECISION
    elif s("fee") >= strong and released < thresholds["release_over_fee"] * s("fee") and (
        s("fee") >= s("cost_limit") or (signals["fee"].best >= 2.5 and s("refused_words") < t)
    ):
        outcome = Outcome.FEE_NOTICE
    elif s("clarification") >= strong and (
        s("clarification") >= decision
        or (s("refused_words") < t and s("withheld") < strong and not_held < strong and s("ncnd") < strong)
    ):
        outcome = Outcome.CLARIFICATION_REQUESTED
    elif refusal_ground or withheld >= t or partial >= strong or ("exemption" in grounds and released >= strong):
        cost_or_vexatious = bool(grounds & {"cost_limit", "vexatious", "repeated"})
        refused_whole = cost_or_vexatious and s("whole_request") >= t
        # (a ground, even the cost limit, for one numbered part, and the other parts answered: partial)
        part_refused = s("part_refused") >= t and released >= strong
        if (partial >= strong or part_refused) and not refused_whole:
            outcome = Outcome.PARTIAL_DISCLOSURE
        elif released >= 1.5 and not cost_or_vexatious and (s("ncnd") < strong or released >= strong):
            # something was given (figures, attachments) and something withheld or neither confirmed nor denied
            outcome = Outcome.PARTIAL_DISCLOSURE
        elif not_held >= strong and not refusal_ground and (
            not_held > withheld or ("not_held" in grounds and "exemption" not in grounds)
        ):  # refused under a "does not exist" provision and nothing else: not held
            outcome = Outcome.NOT_HELD
        else:
            outcome = Outcome.REFUSED
        if s("delay") >= strong and not refusal_ground and (
            s("undecided") >= strong or _pending_wins(signals, decision, thresholds)
        ):
            outcome = Outcome.DELAY
    elif not_held >= t and not_held >= pending:
        outcome = Outcome.PARTIAL_DISCLOSURE if released >= strong else Outcome.NOT_HELD
    elif released >= t and released > pending * 0.8:
        outcome = Outcome.FULL_DISCLOSURE
    elif max(s("delay"), s("apology")) >= t and max(s("delay"), s("apology")) >= s("ack"):
        outcome = Outcome.DELAY
    elif s("ack") >= t:
        outcome = Outcome.ACKNOWLEDGEMENT
    elif s("clarification") >= t:
        outcome = Outcome.CLARIFICATION_REQUESTED
    elif s("fee") >= t:
        outcome = Outcome.FEE_NOTICE
    else:
        outcome = Outcome.OTHER

    labels.append(outcome)
    if outcome in (Outcome.PARTIAL_DISCLOSURE, Outcome.REVIEW_DECISION, Outcome.NOT_HELD) and (
        withheld >= t or refusal_ground
    ):
        labels.append(Outcome.REFUSED)
    if outcome in (Outcome.REFUSED, Outcome.PARTIAL_DISCLOSURE, Outcome.FULL_DISCLOSURE) and not_held >= strong:
        labels.append(Outcome.NOT_HELD)
    if outcome == Outcome.REFUSED and partial >= strong and released >= t:
        labels.append(Outcome.PARTIAL_DISCLOSURE)
    if outcome in DECISIONS and late >= strong:
        labels.append(Outcome.DELAY)
    if outcome == Outcome.DELAY and s("clarification") >= strong:
        labels.append(Outcome.CLARIFICATION_REQUESTED)

    strength = {
        Outcome.FULL_DISCLOSURE: released,
        Outcome.PARTIAL_DISCLOSURE: max(partial, min(released, withheld)),
        Outcome.REFUSED: max(withheld, s("cost_limit"), s("vexatious"), s("ncnd")),
        Outcome.NOT_HELD: not_held,
        Outcome.DELAY: max(s("delay"), s("apology")),
        Outcome.ACKNOWLEDGEMENT: s("ack"),
        Outcome.CLARIFICATION_REQUESTED: s("clarification"),
        Outcome.FEE_NOTICE: s("fee"),
        Outcome.REVIEW_DECISION: s("review"),
    }
    related = {
        Outcome.PARTIAL_DISCLOSURE: {Outcome.FULL_DISCLOSURE, Outcome.REFUSED},
        Outcome.REVIEW_DECISION: set(DECISIONS) | {Outcome.DELAY},
        Outcome.FEE_NOTICE: {Outcome.ACKNOWLEDGEMENT},
        Outcome.DELAY: {Outcome.ACKNOWLEDGEMENT},
    }.get(outcome, set())
    if outcome == Outcome.OTHER:
        confidence = 0.7 if max(s("transfer"), s("not_foi")) >= strong else 0.2
    else:
        rivals = [v for o, v in strength.items() if o != outcome and o not in labels and o not in related]
        margin = strength[outcome] - max(rivals, default=0.0) - (0.5 if strength[outcome] < strong else 0.0)
        confidence = min(0.99, 1.0 / (1.0 + math.exp(-1.2 * margin)))
        confidence *= _hard_pair_doubt(outcome, signals, withheld, thresholds)
        confidence = round(confidence, 3)
    return outcome, list(dict.fromkeys(labels)), confidence


def _hard_pair_doubt(outcome: Outcome, signals: dict[str, Signal], withheld: float, thresholds: dict[str, float]) -> float:
    """How much the evidence for the nearest confusable class should lower confidence (1 = none).

    The hard pairs (refused/partial/full, not held/partial, a decision/a delay) are where the
    classifier is most often wrong; the stronger the evidence for the other side, the more doubt.
    """
    strong, t = thresholds["strong"], thresholds["signal"]
    released, partial = signals["full"].score, signals["partial"].score
    not_held, delay = signals["not_held"].score, signals["delay"].score
    # a decision in a letter that also reads like a review, or like no FOI reply at all
    unsure_kind = 0.6 if (signals["review"].score >= t or signals["not_foi"].score >= t) else 1.0
    if outcome == Outcome.REFUSED:
        return math.exp(-0.45 * released) * (0.7 if delay >= strong else 1.0) * unsure_kind
    if outcome == Outcome.PARTIAL_DISCLOSURE:
        return (1.0 if partial >= strong else 0.7) * unsure_kind
    if outcome == Outcome.FULL_DISCLOSURE:
        # "you got everything" is the costliest mistake: a letter that also reads as a holding
        # letter (late, sorry, still working on it) goes to a person, and so does a release read
        # from weak evidence alone ("please see attached", one figure)
        not_yet = max(delay, signals["apology"].score, signals["undecided"].score)
        weak = released < strong
        return math.exp(-0.35 * (withheld + not_held + partial)) * unsure_kind * (0.5 if not_yet >= t or weak else 1.0)
    if outcome == Outcome.NOT_HELD:
        return math.exp(-0.35 * (released + withheld)) * unsure_kind
    if outcome == Outcome.FEE_NOTICE:
        # an acknowledgement that explains possible fees is the usual confusion
        return math.exp(-0.3 * max(0.0, signals["ack"].score - 1.0))
    return 1.0


def _released_on_review(result: str | None, signals: dict[str, Signal], thresholds: dict[str, float]) -> bool:
    """A review overturned the decision and the information is now given, with nothing redacted."""
    return (
        result == "overturned"
        and signals["full"].score >= thresholds["strong"]
        and signals["partial"].score < thresholds["signal"]
    )


def _pending_wins(signals: dict[str, Signal], decision: float, thresholds: dict[str, float]) -> bool:
    """A delay/extension letter that mentions exemptions under consideration is not yet a decision."""
    withheld_now = signals["withheld"].score + signals["refused_words"].score
    found_nothing = signals["not_held"].score >= thresholds["strong"]  # "we do not hold it": searched and decided
    return signals["delay"].score >= decision and withheld_now < thresholds["strong"] + 1.0 and not found_nothing


def review_result(sentences: list[Sentence], rules: CompiledRules) -> str | None:
    for result in ("partly", "overturned", "upheld"):
        for pattern in rules.review_results[result]:
            if any(pattern.search(s.flat) for s in sentences if "rights_footer" not in s.contexts):
                return result
    return None


#: a learned model's view of a letter text: each outcome's probability
OutcomeProbabilities = Callable[[str], dict[str, float]]


def learned_guess(probabilities: dict[str, float], fallback: LearnedFallback) -> tuple[Outcome, float] | None:
    """The learned model's outcome and its probability when it is sure enough and allowed to say it."""
    best = max(probabilities, key=probabilities.__getitem__, default=None)
    if best is None or probabilities[best] < fallback.min_probability:
        return None
    outcome = Outcome(best)
    return None if outcome == Outcome.OTHER or outcome in fallback.never else (outcome, round(probabilities[best], 3))


def learned_doubts(outcome: Outcome, probabilities: dict[str, float], fallback: LearnedFallback) -> bool:
    """The learned model finds the rules' outcome unlikely (never without a model)."""
    return bool(probabilities) and probabilities.get(outcome.value, 0.0) < fallback.doubt_below


def _nothing_decided(outcome: Outcome, signals: dict[str, Signal], thresholds: dict[str, float]) -> bool:
    """No signal placed the letter ("other" not because it is a transfer or no FOI request)."""
    strong = thresholds["strong"]
    return outcome == Outcome.OTHER and signals["transfer"].score < strong and signals["not_foi"].score < strong


def classify(letter: Letter, rulebook: Rulebook, law: Law, learned: OutcomeProbabilities | None = None) -> Classification:
    """Outcome, labels, grounds and exemptions of a letter; `learned` is asked only when the rules place nothing."""
    rules = compile_rules(rulebook)
    sentences = split_sentences(letter.text, rules)
    signals = score_signals(sentences, rules)
    found = find_exemptions(sentences, law, rules)

    grounds = {ground for _, ground in found}
    found = _listed(found)
    if signals["cost_limit"].score >= rules.thresholds["strong"]:
        grounds.add("cost_limit")
    if signals["vexatious"].score >= rules.thresholds["strong"]:
        grounds.add("vexatious")
    if signals["repeated"].score >= rules.thresholds["strong"]:
        grounds.add("repeated")
    ncnd = signals["ncnd"].score >= rules.thresholds["strong"]
    if ncnd:
        grounds.add("ncnd")

    # pointing to published information (FOIA s21) gives it: alone, it withholds nothing
    withholding = [
        e for e, g in found if g == "exemption" and not ((p := law.lookup(e.citation)) and p.points_elsewhere)
    ]
    decision_grounds = grounds if withholding else grounds - {"exemption"}
    outcome, labels, confidence = decide(signals, decision_grounds, rules.thresholds)
    guessed = False
    if learned is not None and _nothing_decided(outcome, signals, rules.thresholds):
        guess = learned_guess(learned(letter.full_text or letter.text), rules.learned_fallback)
        if guess is not None:
            (outcome, confidence), guessed = guess, True
            labels = [outcome]
    result = review_result(sentences, rules) if outcome == Outcome.REVIEW_DECISION else None
    if outcome == Outcome.DELAY or ncnd:
        # an extension notice names the exemptions it is still considering ("may be exempt under
        # ..."), and a neither-confirm-nor-deny reply those that would apply "if it were held"
        found = _listed(find_exemptions(sentences, law, rules, skip=(NOT_RELIED_ON - SPECULATIVE) | {"earlier_decision"}))
    elif result in ("partly", "overturned"):
        # a review that changes the decision: the grounds of the reply under review count only
        # where the review itself still relies on them
        found = _listed(find_exemptions(sentences, law, rules, skip=NOT_RELIED_ON | {"earlier_decision"}))

    exemptions = [e for e, _ in found]
    if "cost_limit" in grounds and law.cost_limit and not any(g == "cost_limit" for _, g in found):
        provision = law.lookup(law.cost_limit.citation)
        exemptions.append(
            Exemption(
                citation=law.cost_limit.citation,
                name=provision.name if provision else "Cost limit",
                kind=provision.kind if provision else "unknown",
                evidence=signals["cost_limit"].evidence,
            )
        )
    if outcome in (Outcome.NOT_HELD,) and Outcome.REFUSED not in labels:
        grounds.add("not_held")
    if outcome == Outcome.CLARIFICATION_REQUESTED:
        # a notice of intention to refuse (AU s24AB) names the practical-refusal ground it would use
        kept = {e.citation for e, g in found if g == "cost_limit"}
        exemptions = [e for e in exemptions if e.citation in kept]
        grounds = {"cost_limit"} if kept else set()
    elif outcome in (Outcome.ACKNOWLEDGEMENT, Outcome.FEE_NOTICE, Outcome.OTHER):
        # nothing was decided, so nothing is withheld; but a reply that only points to where the
        # information is published (FOIA s21) still names the provision it applied
        pointers = [e for e, g in found if g == "exemption" and e not in withholding] if outcome == Outcome.OTHER else []
        exemptions, grounds = pointers, set()
    if outcome == Outcome.FULL_DISCLOSURE:
        grounds = set()
    elif _released_on_review(result, signals, rules.thresholds):
        # a review that overturns the decision and releases everything relies on no ground: the
        # citations it discusses are the ones it set aside
        exemptions, grounds = [], set()

    evidence_signal = {
        Outcome.FULL_DISCLOSURE: "full",
        Outcome.PARTIAL_DISCLOSURE: "partial",
        Outcome.REFUSED: "withheld",
        Outcome.NOT_HELD: "not_held",
        Outcome.DELAY: "delay",
        Outcome.ACKNOWLEDGEMENT: "ack",
        Outcome.CLARIFICATION_REQUESTED: "clarification",
        Outcome.FEE_NOTICE: "fee",
        Outcome.REVIEW_DECISION: "review",
    }.get(outcome)
    evidence: list[str] = []
    if evidence_signal:
        for name in (evidence_signal, "refused_words", "cost_limit", "ncnd", "vexatious"):
            if signals[name].evidence and (name == evidence_signal or outcome == Outcome.REFUSED):
                evidence.append(signals[name].evidence)
                break
    if Outcome.DELAY in labels and outcome != Outcome.DELAY and signals["delay"].evidence:
        evidence.append(signals["delay"].evidence)

    def second_opinion_doubts() -> bool:
        # the rules' outcome stands, but one the model finds unlikely goes to a person
        return learned is not None and learned_doubts(outcome, learned(letter.full_text or letter.text), rules.learned_fallback)

    review_reason = _review_reason(letter, outcome, confidence, guessed, second_opinion_doubts, rules.review_below)
    return Classification(
        outcome=outcome,
        labels=tuple(labels),
        confidence=confidence,
        needs_review=review_reason is not None,
        review_reason=review_reason,
        refusal_grounds=tuple(g for g in ("exemption", "cost_limit", "vexatious", "repeated", "ncnd", "not_held") if g in grounds),
        exemptions=tuple(exemptions),
        ncnd=ncnd,
        review_result=result,
        evidence=tuple(dict.fromkeys(evidence)),
        scores={name: round(sig.score, 2) for name, sig in signals.items()},
        stated_review_window=_stated_review_window(letter.text),
    )


def _review_reason(
    letter: Letter,
    outcome: Outcome,
    confidence: float,
    guessed: bool,
    doubts: Callable[[], bool],
    review_below: dict[str, float],
) -> ReviewReason | None:
    """Why a person should check this reading, or None when it can stand; the second opinion
    (`doubts`) is asked last, only about a reading nothing else sends to a person."""
    if letter.unread:  # before "empty": a reply that was only a scanned letter says which file to open
        return ReviewReason.UNREAD_ATTACHMENT
    if not letter.text.strip():
        return ReviewReason.EMPTY
    if outcome == Outcome.OTHER:
        return ReviewReason.UNPLACED
    if guessed:
        return ReviewReason.GUESS
    if confidence < review_below.get(outcome.value, review_below["any"]):
        return ReviewReason.LOW_CONFIDENCE
    if doubts():
        return ReviewReason.SECOND_OPINION
    return None


REVIEW_WINDOW_RE = re.compile(
    r"\b(?:within|no later than|not later than|before the end of)\s+(?P<n>\d{1,3}|one|two|three|four|six|forty|twenty|sixty|ninety|thirty)\s+"
    r"(?P<unit>(?:calendar |working |business )?days?|weeks?|months?)\s+(?:of|from|after|following)\s+(?:the\s+)?"
    r"(?:date\s+of\s+)?(?:this|the|our|receiving|receipt of|your receipt of)",
    re.IGNORECASE,
)
REVIEW_WORD_RE = re.compile(r"review|appeal|reconsider|confirmatory", re.IGNORECASE)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twenty": 20, "thirty": 30, "forty": 40, "sixty": 60, "ninety": 90}


def _stated_review_window(text: str) -> str | None:
    """"Any review request should be sent within two months of the date of this letter" -> "2 months"."""
    flat = " ".join(text.split())
    for match in REVIEW_WINDOW_RE.finditer(flat):
        window = flat[max(0, match.start() - 200) : match.end()]
        if not REVIEW_WORD_RE.search(window):
            continue
        n_text = match.group("n").lower()
        n = int(n_text) if n_text.isdigit() else NUMBER_WORDS[n_text]
        unit = match.group("unit").lower()
        if unit.startswith("month"):
            return f"{n} months"
        if unit.startswith("week"):
            return f"{n} weeks"
        if "working" in unit or "business" in unit:
            return f"{n} working_days"
        return f"{n} calendar_days"
    return None
