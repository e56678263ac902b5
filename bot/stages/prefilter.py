"""Cheap "can this pattern match at all?" tests for the classifier's regular expressions.

The classifier tries about two hundred case-insensitive patterns on every sentence of a
letter; most of them cannot match anywhere in it. Nearly every pattern contains a literal
word that any match must contain (`\\bwill be (withheld|redacted)\\b` needs "will be " and one of
"withheld"/"redacted"). Looking for that word in the lower-cased letter with `str.__contains__`
costs a fraction of a regex scan, so a pattern whose required word is absent is skipped
without running it.

The required words are read from the pattern's parse tree (the `re` module's own parser). When
a pattern's tree is not understood, it has no required word and is always run: the filter can
only skip work, never change a result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

try:  # CPython 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older CPython
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MIN_LITERAL = 3  # shorter words ("a ", "of") are in every letter: not worth a test
SAFE_CHAR = re.compile(r"[a-z0-9 .,:;'()/&£$€%|-]")  # lower-casing these is exact; others may fold oddly

LITERAL = sre_constants.LITERAL
SUBPATTERN = sre_constants.SUBPATTERN
BRANCH = sre_constants.BRANCH
MAX_REPEAT = sre_constants.MAX_REPEAT
MIN_REPEAT = sre_constants.MIN_REPEAT
POSSESSIVE_REPEAT = getattr(sre_constants, "POSSESSIVE_REPEAT", None)
ATOMIC_GROUP = getattr(sre_constants, "ATOMIC_GROUP", None)

#: one of these lower-case strings must be in the text for a match (a single string, or the
#: alternatives of a group); None when nothing is known
Requirement = tuple[str, ...] | None


#: the non-ASCII letters that IGNORECASE matches to ASCII ones (re module documentation), and
#: the combining dot that "İ".lower() leaves behind
_FOLD_TO_ASCII = str.maketrans({"ı": "i", "ſ": "s", "\u0307": None})


def lowered(text: str) -> str:
    """The text as prefilters read it: lower case, with the letters IGNORECASE treats as ASCII."""
    return text.lower().translate(_FOLD_TO_ASCII)


@dataclass(frozen=True)
class Prefilter:
    #: every one of these must be met: a tuple of alternatives, one of which must be in the text
    requirements: tuple[tuple[str, ...], ...]

    def may_match(self, lowered_text: str) -> bool:
        for options in self.requirements:
            for word in options:
                if word in lowered_text:
                    break
            else:
                return False
        return True


@lru_cache(maxsize=4096)
def prefilter_for(pattern: str) -> Prefilter:
    """The cheapest sound test for `pattern` (compiled with IGNORECASE) over lower-cased text."""
    try:
        tree = sre_parse.parse(pattern, re.IGNORECASE)
    except Exception:  # noqa: BLE001 - a private parser: any surprise means "no filter"
        return Prefilter(())
    found = _sequence_requirements(list(tree))
    return Prefilter(tuple(o for o in dict.fromkeys(found) if _usable(o)))


def _usable(option: tuple[str, ...]) -> bool:
    return bool(option) and min(len(w) for w in option) >= MIN_LITERAL


def _best(options: list[tuple[str, ...]]) -> Requirement:
    """The most selective requirement: the longest shortest-alternative, fewest alternatives."""
    usable = [o for o in options if _usable(o)]
    if not usable:
        return None
    return max(usable, key=lambda o: (min(len(w) for w in o), -len(o)))


def _sequence_requirements(items: list) -> list[tuple[str, ...]]:
    """Every requirement a match of this sequence must meet (any one of them may be used)."""
    found: list[tuple[str, ...]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            found.append(("".join(run),))
            run.clear()

    for op, av in items:
        if op is LITERAL:
            char = chr(av).lower()
            if SAFE_CHAR.fullmatch(char):
                run.append(char)
                continue
            close_run()
            continue
        close_run()
        inner = _item_requirement(op, av)
        if inner is not None:
            found.append(inner)
    close_run()
    return found


def _item_requirement(op, av) -> Requirement:
    if op is SUBPATTERN:
        return _best(_sequence_requirements(list(av[-1])))
    if ATOMIC_GROUP is not None and op is ATOMIC_GROUP:
        return _best(_sequence_requirements(list(av)))
    if op is BRANCH:
        alternatives: list[str] = []
        for branch in av[1]:
            requirement = _best(_sequence_requirements(list(branch)))
            if requirement is None:
                return None  # one branch needs nothing: the group needs nothing
            alternatives.extend(requirement)
        return tuple(dict.fromkeys(alternatives))
    if op in (MAX_REPEAT, MIN_REPEAT) or (POSSESSIVE_REPEAT is not None and op is POSSESSIVE_REPEAT):
        low, _high, body = av
        if low >= 1:
            return _best(_sequence_requirements(list(body)))
    return None
