"""Commands a requester writes in a reply to a summary or a digest: the human correction loop.

A requester who knows better than the classifier answers the summary with a line such as
`status: partial_disclosure` or `exemptions: s40(2), s43`; `ignore`, `closed`, `reopen` and
`review requested` steer the case; `forget me` erases what foibot keeps about them.
This module only reads the text (pure): the case store applies what it finds.

Only the lines the requester wrote count: reading stops at the quoted original (`>` lines,
"On ... wrote:", an Outlook header block), because a summary quoted back contains words
like "Status" that are not commands.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.model import Frozen, Outcome
from bot.stages.citations import normalise


class Verb(StrEnum):
    STATUS = "status"  # correct the outcome of the reply the summary was about
    EXEMPTIONS = "exemptions"  # correct the exemptions cited in that reply
    IGNORE = "ignore"  # not an FOI case: leave it out of digests
    CLOSED = "closed"  # the requester is done with this request
    REOPEN = "reopen"  # undo `closed` / `ignore`
    REVIEW_REQUESTED = "review_requested"  # the requester asked for an internal review
    FORGET_ME = "forget_me"  # erase every case, correction and digest of this requester


class Command(Frozen):
    verb: Verb
    outcome: Outcome | None = None  # for STATUS
    exemptions: tuple[str, ...] = ()  # for EXEMPTIONS, normalised citations
    line: str = ""  # the line as written, for the confirmation email


class ParsedCommands(Frozen):
    commands: tuple[Command, ...] = ()
    #: lines that looked like commands but could not be understood, with why
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.commands and not self.problems


#: where the requester's own words end and the quoted summary begins
QUOTE_START = re.compile(
    r"^\s*(>|-{2,}\s*original message|_{5,}|from:\s|sent:\s|on .{4,200} wrote:\s*$|-- $)",
    re.IGNORECASE,
)
KEY_VALUE = re.compile(r"^\s*(?:foibot\s*[:,-]?\s*)?(status|outcome|exemptions?)\s*[:=]\s*(.*?)\s*$", re.IGNORECASE)
CITATION_WORD = re.compile(r"(sections?|sec|s|regulations?|reg|articles?|art|b|exemption)\b|(s|reg|art|b)\.?\s*\d", re.IGNORECASE)
BARE = re.compile(r"^\s*(?:foibot\s*[:,-]?\s*)?([a-z][a-z \-]{1,30}?)[\s.!]*$", re.IGNORECASE)

BARE_VERBS = {
    "ignore": Verb.IGNORE,
    "ignore this": Verb.IGNORE,
    "not foi": Verb.IGNORE,
    "closed": Verb.CLOSED,
    "close": Verb.CLOSED,
    "close case": Verb.CLOSED,
    "case closed": Verb.CLOSED,
    "reopen": Verb.REOPEN,
    "re-open": Verb.REOPEN,
    "review requested": Verb.REVIEW_REQUESTED,
    "internal review requested": Verb.REVIEW_REQUESTED,
    "i asked for a review": Verb.REVIEW_REQUESTED,
    "forget me": Verb.FORGET_ME,
    "forget-me": Verb.FORGET_ME,
    "delete my data": Verb.FORGET_ME,
}

#: words a person may use for an outcome, besides the contract's own values
OUTCOME_SYNONYMS = {
    "partial": Outcome.PARTIAL_DISCLOSURE,
    "partially disclosed": Outcome.PARTIAL_DISCLOSURE,
    "part disclosed": Outcome.PARTIAL_DISCLOSURE,
    "full": Outcome.FULL_DISCLOSURE,
    "disclosed": Outcome.FULL_DISCLOSURE,
    "successful": Outcome.FULL_DISCLOSURE,
    "refusal": Outcome.REFUSED,
    "rejected": Outcome.REFUSED,
    "not held": Outcome.NOT_HELD,
    "information not held": Outcome.NOT_HELD,
    "delayed": Outcome.DELAY,
    "extension": Outcome.DELAY,
    "acknowledged": Outcome.ACKNOWLEDGEMENT,
    "ack": Outcome.ACKNOWLEDGEMENT,
    "clarification": Outcome.CLARIFICATION_REQUESTED,
    "fee": Outcome.FEE_NOTICE,
    "review": Outcome.REVIEW_DECISION,
    "internal review": Outcome.REVIEW_DECISION,
}


def requester_lines(text: str, max_lines: int = 40) -> list[str]:
    """The lines above the quoted material (at most `max_lines` non-empty ones)."""
    lines = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if QUOTE_START.match(line):
            break
        if line.strip():
            lines.append(line.strip())
        if len(lines) >= max_lines:
            break
    return lines


def parse_outcome(value: str) -> Outcome | None:
    words = re.sub(r"[\s_\-]+", " ", value.strip().lower()).strip(" .")
    for outcome in Outcome:
        if words == outcome.value.replace("_", " "):
            return outcome
    return OUTCOME_SYNONYMS.get(words)


def parse_exemptions(value: str) -> tuple[tuple[str, ...], list[str]]:
    """`s40(2), s43 and section 31(1)(a)` -> normalised citations, plus the parts not understood.

    `none` (or `-`) means: no exemption was cited; that is a correction too.
    """
    if value.strip().lower() in {"none", "-", "no exemptions", "nothing"}:
        return (), []
    citations: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"\s*(?:,|;|\band\b|&)\s*", value):
        part = part.strip(" .")
        if not part:
            continue
        citation = normalise(part) if CITATION_WORD.match(part) else normalise(f"section {part}")
        if citation:
            citations.append(citation)
        else:
            unknown.append(part)
    return tuple(dict.fromkeys(citations)), unknown


def parse_commands(text: str) -> ParsedCommands:
    """Every command in the requester's own lines; unknown prose is ignored, not an error."""
    commands: list[Command] = []
    problems: list[str] = []
    for line in requester_lines(text):
        key_value = KEY_VALUE.match(line)
        if key_value:
            key, value = key_value.group(1).lower(), key_value.group(2)
            if key in {"status", "outcome"}:
                outcome = parse_outcome(value)
                if outcome is None:
                    known = ", ".join(o.value for o in Outcome)
                    problems.append(f"{line!r}: unknown status {value!r} (use one of: {known})")
                else:
                    commands.append(Command(verb=Verb.STATUS, outcome=outcome, line=line))
            elif not value.strip():
                problems.append(f"{line!r}: no citation given (write 'exemptions: none' if none was cited)")
            else:
                citations, unknown = parse_exemptions(value)
                if unknown:
                    problems.append(f"{line!r}: not a citation: {', '.join(unknown)}")
                else:
                    commands.append(Command(verb=Verb.EXEMPTIONS, exemptions=citations, line=line))
            continue
        bare = BARE.match(line)
        if bare:
            verb = BARE_VERBS.get(re.sub(r"\s+", " ", bare.group(1).strip().lower()))
            if verb:
                commands.append(Command(verb=verb, line=line))
    return ParsedCommands(commands=tuple(commands), problems=tuple(problems))
