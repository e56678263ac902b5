"""A small grammar for legal citations in FOI letters.

Finds every citation such as "section 40(2)", "s.40(2)", "Sections 31 and 24",
"section 40(2) and (3A)(a)", "sections 41 and 43(2)", "regulation 12(5)(e)",
"regulations 12(4)(b) and 12(5)(a)", "Article 4(1)(b)", "Exemption 7(C)", "(b)(6)",
"5 U.S.C. § 552(b)(6)", "s 47F", "subsection 19(1)" and normalises each to the form the
contract uses (`s40(2)`, `reg12(5)(e)`, `art4(1)(b)`, `b7(C)`).

The grammar knows only the *shape* of citations; which of them are exemptions of which law
is data (rules/law/*.toml), decided by the classify stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The word that introduces a citation, mapped to the normalised prefix.
_WORDS = {
    "section": "s",
    "sections": "s",
    "sec": "s",
    "secs": "s",
    "s": "s",
    "ss": "s",
    "subsection": "s",
    "subsections": "s",
    "paragraph": "s",
    "paragraphs": "s",
    "§": "s",
    "§§": "s",
    "regulation": "reg",
    "regulations": "reg",
    "reg": "reg",
    "regs": "reg",
    "r": "reg",
    "article": "art",
    "articles": "art",
    "art": "art",
    "exemption": "b",
    "exemptions": "b",
    # the EIR's word for its grounds: "we are applying exception 12(4)(a)"
    "exception": "reg",
    "exceptions": "reg",
}

_NUMBER = r"\d{1,3}(?:\.\d{1,2}(?=[\s(,;:]|$))?[A-Z]{0,2}(?![A-Za-z])"
# a lower-case letter glued to the closing bracket before it: "10(4)e" is 10(4)(e)
_GLUED = r"(?<=\))[a-z](?![\w(])"
# a bracketed part, or a glued letter
_SUB = rf"(?:\(\s*[0-9A-Za-z]{{1,5}}\s*\)|{_GLUED})"
# a subsection written with a space for its brackets, before a bracketed part: "section 33 1(b)"
_SPACED = r"\s\d{1,2}(?=\s?\()"
_ONE = rf"{_NUMBER}(?:{_SPACED})?(?:\s?{_SUB})*"
_JOIN = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&|to)\s+|\s*/\s*|\s*&\s*)"
_ITEM = rf"(?:{_ONE}|(?:{_SUB})+)"  # a bare "(3A)(a)" continues the previous number
# a name in brackets between list items: "sections 29(1)(a) (formulation of policy) and 30(b)(i)"
_DESC = r"(?:\s*\([^()\d]{6,80}\))?"

_WORD_RE = (
    r"(?:sections?|secs?\.?|subsections?|paragraphs?|regulations?|regs?\.?|articles?|art\.?"
    r"|exemptions?|exceptions?|ss?\.?|r\.|§§?)"
)

CITATION_RE = re.compile(
    rf"(?<![\w/])(?P<word>{_WORD_RE})\s*(?P<items>{_ONE}(?:{_DESC}{_JOIN}{_ITEM})*)"
    # no word at all, but the shape of a provision right after "under": "exempt under 40(2)",
    # "an exception under 12(4)(d)"; the numbers are the letter's own law's
    rf"|(?<![\w/])(?P<bare>under|by virtue of|pursuant to)\s+(?P<bare_items>\d{{1,3}}[A-Z]?\s?{_SUB}(?:\s?{_SUB})*(?:{_JOIN}{_ITEM})*)(?![\w(])",
    re.IGNORECASE,
)

# US style: "(b)(6)", "(b)(7)(C)", "552(b)(6)", "b6", "b7C" when written as a token.
US_RE = re.compile(
    # (a "(b)" followed by "(7)" starts the next citation of a list, it is no subparagraph)
    r"(?:552\s*)?\(b\)\s*\((?P<num>[1-9])\)(?P<subs>(?:\s*\((?![bB]\)\s*\(\d)[A-Fa-f]\))*)|(?<![\w(])b(?P<num2>[1-9])(?P<sub2>\([A-F]\))?(?![\w])",
)

# A list whose items are labelled by bare numbers, after an introduction ending in a colon:
# "withheld under the following sections of the OIA: 6(a): to avoid prejudicing ...; 9(2)(a): to
# protect individuals' privacy", "refused in full under: 6(a): ...", "exempt under the following
# sections: 40(2) - personal information; 43(2) - commercial interests". Each label has the shape of
# a provision (a number and a bracketed part) and is followed by a colon or a dash; the next label
# starts after a semicolon, a bullet or a line break, within LABEL_GAP characters of the last.
_LABEL = r"\d{1,3}[A-Z]?(?:\s?\(\s*[0-9A-Za-z]{1,5}\s*\))+"
LABEL_INTRO_RE = re.compile(
    rf"(?:\b(?:sections?|grounds?|exemptions?|exceptions?|provisions?)\b[^.:;]{{0,60}}|\bunder)\s*:\s*(?=(?P<first>{_LABEL})\s*[:–-])",
    re.IGNORECASE,
)
LABEL_NEXT_RE = re.compile(rf"[;•\n]\s*(?:and\s+)?(?P<label>{_LABEL})\s*[:–-]", re.IGNORECASE)
LABEL_GAP = 300

_ITEM_RE = re.compile(rf"(?P<num>{_NUMBER})?(?:\s(?P<spaced>\d{{1,2}}))?(?P<subs>(?:\s?{_SUB})*)", re.IGNORECASE)
_SUB_RE = re.compile(rf"\(\s*([0-9A-Za-z]{{1,5}})\s*\)|({_GLUED})")


def _subs(text: str) -> list[str]:
    """The parts of "(2)(b)(i)" or "(4)e", in order."""
    return [bracketed or glued for bracketed, glued in _SUB_RE.findall(text)]


#: the `word` of a citation written with no word before its numbers ("exempt under 40(2)")
BARE = "(none)"

ROMAN = re.compile(r"^(?:i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii)$", re.IGNORECASE)
ROMAN_VALUES = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]


@dataclass(frozen=True)
class Citation:
    citation: str  # normalised, e.g. s40(2)
    prefix: str  # s | reg | art | b
    start: int
    end: int
    text: str  # the citation as written (the whole matched phrase)
    #: the law named right after it ("... of the Data Protection Act 2018"), or "" when none is
    #: named ("... of the Act"); whether that is the access law is for the caller to say
    of_law: str = ""
    #: the word that introduced it, lower case ("section", "exemptions"); "" for the US forms
    word: str = ""

    def in_numbering_of(self, prefix: str) -> str:
        """The same numbers under another law's prefix: "Exemptions 24(1)" in a letter under a
        law that cites sections is s24(1), not the US b24(1)."""
        number = re.match(r"[^(]*", self.citation[len(self.prefix) :]).group(0)
        subs = _subs(self.citation[len(self.prefix) + len(number) :])
        return f"{prefix}{number}" + "".join(_norm_sub(sub, prefix) for sub in subs)


# "... of the Data Protection Act 2018", "... of the Freedom of Information (Scotland) Act 2002"
NAMED_LAW_RE = re.compile(
    r"\s*,?\s*of\s+the\s+(?P<name>(?:[A-Z][\w'’.-]*\s+|and\s+|of\s+|for\s+|\([A-Za-z ]{2,30}\)\s+){1,8}?(?:Act|Regulations?|Order|Rules|Code)\b)"
)


# "... of that Act": the law is the one named last before the citation
THAT_ACT_RE = re.compile(r"\s*,?\s*of\s+(?:that|the said|the same)\s+Act\b")
ACT_NAME_RE = re.compile(r"\b(?:the\s+)?((?:[A-Z][\w'’.-]*\s+|and\s+|of\s+|for\s+|\([A-Za-z ]{2,30}\)\s+){1,8}?Act)\b")


def _named_law(text: str, start: int, end: int) -> str:
    """The law named by the words after a citation spanning text[start:end], or ""."""
    match = NAMED_LAW_RE.match(text, end)
    if match:
        return match.group("name")
    if THAT_ACT_RE.match(text, end):
        names = ACT_NAME_RE.findall(text, 0, start)
        return names[-1] if names else ""
    return ""


def _norm_sub(sub: str, prefix: str) -> str:
    sub = sub.strip()
    if sub.isdigit():
        return f"({sub})"
    if prefix == "b" and len(sub) == 1:
        return f"({sub.upper()})"
    if ROMAN.match(sub) or sub.isalpha():
        return f"({sub.lower()})"
    # "3A": digits then letters
    return f"({sub.upper()})"


def _norm_number(number: str) -> str:
    return number.upper()


def find_citations(text: str) -> list[Citation]:
    """Every citation in `text`, in order, normalised; a list like "31 and 24" yields two."""
    found: list[Citation] = []
    for match in CITATION_RE.finditer(text):
        if match.group("bare"):
            word, prefix, items_group = BARE, "s", "bare_items"
        else:
            word, items_group = match.group("word").lower().rstrip("."), "items"
            prefix = _WORDS.get(word)
            if prefix is None:
                continue
            if word in {"s", "ss", "r"} and not _plausible_short_word(text, match):
                continue
            if word in {"paragraph", "paragraphs"} and not re.match(rf"{_NUMBER}\s?{_SUB}", match.group("items")):
                continue  # "redactions at paragraphs 17, 26 and 44" are the document's paragraphs
        items_text = match.group(items_group)
        items_start = match.start(items_group)
        of_law = _named_law(text, match.start(), match.end())
        last_number = ""
        last_subs: list[str] = []
        for item in re.finditer(rf"{_ONE}|(?:{_SUB})+", items_text, re.IGNORECASE):
            parsed = _ITEM_RE.fullmatch(item.group(0))
            if not parsed:
                continue
            number = parsed.group("num")
            subs = _subs(parsed.group("subs") or "")
            if parsed.group("spaced"):
                subs = [parsed.group("spaced"), *subs]
            if number:
                last_number = _norm_number(number)
                if prefix == "b" and not subs and len(number) > 1 and number[-1].isalpha():
                    # "Exemption 7C" -> b7(C)
                    last_number, subs = number[:-1], [number[-1]]
            elif not last_number:
                continue
            else:
                subs = _continue_subs(last_subs, subs)
            last_subs = subs
            if prefix == "s" and last_number == "552":
                continue  # "5 U.S.C. § 552(b)(6)": the US pattern below names it b6
            for variant in (v for chain in _split_restarts(subs) for v in _split_siblings(chain)):
                citation = f"{prefix}{last_number}" + "".join(_norm_sub(s, prefix) for s in variant)
                found.append(
                    Citation(
                        citation=citation,
                        prefix=prefix,
                        start=items_start + item.start(),
                        end=items_start + item.end(),
                        text=match.group(0),
                        of_law=of_law,
                        word=word,
                    )
                )
    for start, end in _labelled_list_items(text):
        parsed = _ITEM_RE.fullmatch(text[start:end])
        if not parsed or not parsed.group("num"):
            continue
        number, subs = _norm_number(parsed.group("num")), _subs(parsed.group("subs") or "")
        citation = "s" + number + "".join(_norm_sub(sub, "s") for sub in subs)
        found.append(Citation(citation, "s", start, end, text[start:end], word=BARE))
    for match in US_RE.finditer(text):
        num = match.group("num") or match.group("num2")
        subs = re.findall(r"\(([A-Fa-f])\)", match.group("subs") or match.group("sub2") or "")
        citation = f"b{num}" + "".join(f"({s.upper()})" for s in subs)
        found.append(Citation(citation, "b", match.start(), match.end(), match.group(0)))
    found.sort(key=lambda c: c.start)
    return _dedupe_overlaps(found)


def _labelled_list_items(text: str) -> list[tuple[int, int]]:
    """The spans of the bare-number labels of each list introduced by "... sections ...:" or "under:"."""
    spans: list[tuple[int, int]] = []
    for intro in LABEL_INTRO_RE.finditer(text):
        if spans and intro.start() < spans[-1][1]:
            continue
        spans.append((intro.start("first"), intro.end("first")))
        while (label := LABEL_NEXT_RE.search(text, spans[-1][1], spans[-1][1] + LABEL_GAP)) is not None:
            spans.append((label.start("label"), label.end("label")))
    return spans


def _sub_kind(sub: str, previous: list[str]) -> str:
    sub = sub.strip()
    if sub[:1].isdigit():
        return "digit"
    if ROMAN.match(sub) and (len(sub) > 1 or (previous and previous[-1].isalpha() and previous[-1] != sub)):
        return "roman"
    return "letter"


def _split_restarts(subs: list[str]) -> list[list[str]]:
    """"31(1)(g)(2)(a)(b)" names subsection (1)(g) and then subsection (2)(a)(b): no level of a
    section is numbered below a lettered one, so a number after a letter starts a new subsection."""
    for i in range(1, len(subs)):
        if _sub_kind(subs[i], subs[:i]) == "digit" and _sub_kind(subs[i - 1], subs[: i - 1]) != "digit":
            return [subs[:i], *_split_restarts(subs[i:])]
    return [subs]


def _split_siblings(subs: list[str]) -> list[list[str]]:
    """"31(1)(a)(b)" lists two paragraphs, (a) and (b), and "36(2)(b)(i)(ii)" two sub-paragraphs:
    two letters, or two roman numerals, in rising order in a row are siblings, not nested."""
    for i in range(1, len(subs)):
        a, b = subs[i - 1].strip(), subs[i].strip()
        letters = a.isalpha() and b.isalpha() and len(a) == len(b) == 1 and not ROMAN.match(b) and ord(b.lower()) > ord(a.lower())
        romans = (
            _sub_kind(a, subs[: i - 1]) == "roman"
            and ROMAN.match(b) is not None
            and ROMAN_VALUES.index(b.lower()) > ROMAN_VALUES.index(a.lower())
        )
        if letters or romans:
            head = subs[: i - 1]
            return [head + [a], *_split_siblings(head + subs[i:])]
    return [subs]


def _continue_subs(previous: list[str], subs: list[str]) -> list[str]:
    """"section 40(2) and (3A)(a)": a bare "(3A)(a)" replaces the parts from its own level on."""
    if not subs:
        return previous
    kind = _sub_kind(subs[0], previous)
    for level in range(len(previous) - 1, -1, -1):
        if _sub_kind(previous[level], previous[:level]) == kind:
            return previous[:level] + subs
    return previous + subs


def _plausible_short_word(text: str, match: re.Match) -> bool:
    """"s" alone is a citation word only as "s.40", "s 40(2)", "S40": not "it's 40" or "pages 40"."""
    before = text[max(0, match.start() - 1) : match.start()]
    if before and (before.isalnum() or before in "'’"):
        return False
    raw = match.group("word")
    number_follows = match.group("items")[:1].isdigit()
    if raw.endswith("."):
        return number_follows
    # "s40(2)" or "s 40(2)": require a sub-part or a letter suffix to avoid "s 4" noise in prose
    return bool(re.match(r"\d{1,3}[A-Z]{0,2}\s?\(", match.group("items"))) or raw.isupper() or raw == "s"


def _dedupe_overlaps(citations: list[Citation]) -> list[Citation]:
    out: list[Citation] = []
    for cit in citations:
        if out and cit.start < out[-1].end and cit.citation == out[-1].citation:
            continue
        out.append(cit)
    return out


def normalise(citation_text: str) -> str | None:
    """Normalise one citation written by a person ("s.40(2)", "Exemption 6"); None if not one."""
    found = find_citations(citation_text)
    return found[0].citation if found else None
