"""Fold away what is not the authority's decision: quoted emails, footers, the quoted request.

Authorities quote the request back ("You asked for: ... all withheld emails ..."), email clients
quote the earlier thread under a reply, and mail gateways add confidentiality footers. The
classifier must not read any of that as the decision, so `fold_quotes` replaces it with a short
marker. Every phrasing lives in `rules/folding.toml`; this module only knows the shapes:

- a *cut*: an earlier message quoted under the reply ("-----Original Message-----",
  "On ... wrote:", a From:/Sent: header block) - folded to the end of the piece;
- `>`-quoted lines - folded where they are;
- a *disclaimer paragraph* - dropped;
- a *quoted request*: an introduction ("You asked for:") followed by the request, up to the line
  where the answer starts, or else the first paragraph plus any that still look like the request.

The text may hold several pieces (email body, attachments) separated by marker lines (see
`extract.py`); folding never crosses from one piece into the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
OPENING_QUOTES = "“\"‘«„"
CLOSING_QUOTE_AT_LINE_END = re.compile(r"[”\"’»][ \t.]*$", re.M)
NEW_PARAGRAPH_AFTER = re.compile(r"[.?!:;”\"’)\]][ \t]*$")
NEW_PARAGRAPH_START = re.compile(r"[ \t]*(?:[A-Z0-9“\"‘\[(•*–-]|[a-z][.)]\s|[ivx]{1,4}[.)]\s)")
LONGEST_UNBROKEN_QUOTE = 2500
#: what ends the line of an introduction that needs one: ":", ":-", ": -", "-", "..."
INTRO_PUNCTUATION = r"[:\-–—]+(?:[ \t]+[\-–—]+)?|\.{3}|…"
# Cheap lookaheads so the regex engine, not Python, skips the many "request" words that are not
# introductions; `quotation_start` makes the exact decision.
INTRO_NEEDS_COLON = rf"(?=[ \t]*(?:{INTRO_PUNCTUATION})[ \t]*(?:$|[{OPENING_QUOTES}]))"
INTRO_ENDS_LINE = rf"(?=[ \t]*(?:[:\-–—.]+|…)?[ \t]*(?:$|[{OPENING_QUOTES}]))"  # punctuation, a full stop or nothing


@dataclass(frozen=True)
class FoldRules:
    marker: str
    section_separator: re.Pattern[str]
    quote_prefix: re.Pattern[str]
    cut_from: tuple[re.Pattern[str], ...]
    forward_marker: tuple[re.Pattern[str], ...]
    forward_note_max_chars: int
    forward_header: re.Pattern[str]
    header_block: tuple[re.Pattern[str], ...]
    rule_before_header: re.Pattern[str]
    disclaimer: tuple[re.Pattern[str], ...]
    disclaimer_max_chars: int
    intro: tuple[re.Pattern[str], ...]
    intro_terminal: tuple[re.Pattern[str], ...]
    request_max_chars: int
    response_start: tuple[re.Pattern[str], ...]
    request_like: tuple[re.Pattern[str], ...]
    authority_voice: tuple[re.Pattern[str], ...]
    not_a_request: tuple[re.Pattern[str], ...]


def fold_quotes(text: str, folding: dict) -> str:
    """The decision text of a letter: `text` with quoted material folded to a marker."""
    rules = compile_rules(folding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces = split_sections(text, rules)
    folded = [piece if rules.section_separator.fullmatch(piece.strip()) else fold_section(piece, rules) for piece in pieces]
    return tidy("\n".join(folded), rules)


def split_sections(text: str, rules: FoldRules) -> list[str]:
    """Split on separator lines, keeping each separator as its own piece."""
    pieces: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if rules.section_separator.fullmatch(line.strip()):
            pieces.append("\n".join(current))
            pieces.append(line)
            current = []
        else:
            current.append(line)
    pieces.append("\n".join(current))
    return pieces


def fold_section(text: str, rules: FoldRules) -> str:
    text = unwrap_forwards(text, rules)
    text = cut_quoted_email(text, rules)
    text = fold_quoted_lines(text, rules)
    text = drop_disclaimers(text, rules)
    text = fold_quoted_request(text, rules)
    return text


# --------------------------------------------------------------------------- quoted emails


def unwrap_forwards(text: str, rules: FoldRules) -> str:
    """Fold a forward's marker and header block (and a short note above), keeping the forwarded letter."""
    for _ in range(3):  # a forward of a forward of a forward
        found = [m for m in (p.search(text) for p in rules.forward_marker) if m]
        if not found:
            return text
        marker = min(found, key=lambda m: m.start())
        note = text[: marker.start()]
        keep_note = len(note.strip()) > rules.forward_note_max_chars
        block_end = forward_header_end(text, marker.end(), rules)
        text = (note.rstrip() + "\n\n" if keep_note else "") + rules.marker + "\n\n" + text[block_end:].lstrip("\n")
    return text


def forward_header_end(text: str, start: int, rules: FoldRules) -> int:
    """End of the From:/Date:/Subject:/To: lines after a forward marker (blank lines before them skipped)."""
    position = start
    seen_header = False
    while position < len(text):
        line_end = text.find("\n", position + 1)
        line_end = len(text) if line_end < 0 else line_end
        line = text[position:line_end].strip("\n")
        if rules.forward_header.match(line):
            seen_header = True
        elif line.strip() or seen_header:
            break
        position = line_end
    return position


def cut_quoted_email(text: str, rules: FoldRules) -> str:
    """Cut at the first earlier message quoted below some reply text."""
    cut = find_quoted_email(text, rules)
    if cut is None:
        return text
    return text[:cut].rstrip() + "\n\n" + rules.marker + "\n"


def find_quoted_email(text: str, rules: FoldRules) -> int | None:
    candidates: list[int] = []
    for pattern in rules.cut_from:
        for match in pattern.finditer(text):
            if has_reply_above(text, match.start(), rules):
                candidates.append(match.start())
                break
    for pattern in rules.header_block:
        for match in pattern.finditer(text):
            block = text[match.start() : match.start() + 600]
            looks_like_email = "@" in block or re.search(r"^\s*\*?Sent:", block, re.M | re.I)
            if looks_like_email and has_reply_above(text, match.start(), rules):
                candidates.append(include_rule_above(text, match.start(), rules))
                break
    return min(candidates) if candidates else None


def has_reply_above(text: str, position: int, rules: FoldRules) -> bool:
    """True when something worth keeping comes before `position` (two words or more).

    The letter's own header lines do not count: a letter pasted with "Subject:", "Date:",
    "From:" and "To:" lines on top is not a reply above a quoted message.
    """
    above = "\n".join(line for line in text[:position].splitlines() if not rules.forward_header.match(line))
    return len(re.findall(r"\w+", above)) >= 2


def include_rule_above(text: str, position: int, rules: FoldRules) -> int:
    """Move a cut up over the "______" rule (and blank lines) that Outlook puts above a header block."""
    start = position
    while start > 0:
        previous_end = start - 1  # the newline that ends the line above
        previous_start = text.rfind("\n", 0, previous_end) + 1
        line = text[previous_start:previous_end]
        if line.strip() and not rules.rule_before_header.match(line):
            break
        start = previous_start
    return start if has_reply_above(text, start, rules) else position


def fold_quoted_lines(text: str, rules: FoldRules) -> str:
    """Replace each run of `>`-quoted lines with one marker line."""
    out: list[str] = []
    in_quote = False
    for line in text.split("\n"):
        if rules.quote_prefix.match(line):
            if not in_quote:
                out.append(rules.marker)
            in_quote = True
            continue
        if in_quote and not line.strip():
            continue  # blank lines inside a quoted run
        in_quote = False
        out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------- disclaimers


def drop_disclaimers(text: str, rules: FoldRules) -> str:
    """Drop mail-gateway footers. A short paragraph that holds one is dropped from the line where
    the footer starts: a letter with no blank lines in it keeps what comes before its footer."""
    kept = []
    for paragraph in PARAGRAPH_BREAK.split(text):
        if len(paragraph) <= rules.disclaimer_max_chars:
            starts = [m.start() for p in rules.disclaimer if (m := p.search(paragraph))]
            if starts:
                paragraph = paragraph[: paragraph.rfind("\n", 0, min(starts)) + 1].rstrip()
                if not paragraph:
                    continue
        kept.append(paragraph)
    return "\n\n".join(kept)


# --------------------------------------------------------------------------- quoted request


def fold_quoted_request(text: str, rules: FoldRules) -> str:
    """Fold each quoted request (a letter answering several questions may quote each one)."""
    position = 0
    for _ in range(50):  # a bound, not a tuning knob: no real letter quotes 50 requests
        found = find_quoted_request(text, position, rules)
        if found is None:
            break
        start, end = found
        replacement = "\n" + rules.marker + "\n\n"
        text = text[:start] + replacement + text[end:].lstrip("\n")
        position = start + len(replacement)
    return text


def find_quoted_request(text: str, position: int, rules: FoldRules) -> tuple[int, int] | None:
    """(start, end) of the next quoted request at or after `position`, or None."""
    while True:
        block_start = next_intro_end(text, position, rules)
        if block_start is None:
            return None
        end = quoted_request_end(text, block_start, rules)
        if end is not None and end > block_start:
            return block_start, end
        position = block_start


def next_intro_end(text: str, position: int, rules: FoldRules) -> int | None:
    """Where the quotation starts after the earliest introduction at or after `position`."""
    best: int | None = None
    for terminal, patterns in ((False, rules.intro), (True, rules.intro_terminal)):
        for pattern in patterns:
            for match in pattern.finditer(text, position):
                start = quotation_start(text, match.end(), terminal)
                if start is not None:
                    if best is None or start < best:
                        best = start
                    break
    return best


def quotation_start(text: str, intro_end: int, terminal: bool) -> int | None:
    """The quotation starts on the next line when the rest of the intro's line is just ":" or "-".

    An opening quote mark on the same line starts the quotation there. Anything else (more words)
    means the introduction was a paraphrase, not a quotation.
    """
    line_end = text.find("\n", intro_end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[intro_end:line_end]
    punctuation = re.match(rf"[ \t]*({INTRO_PUNCTUATION})?[ \t]*", rest)
    assert punctuation is not None
    after = rest[punctuation.end() :]
    has_colon = bool(punctuation.group(1))
    if after and after[0] in OPENING_QUOTES and (has_colon or terminal):
        return intro_end + punctuation.end()
    if after.strip(" \t.") == "" and (has_colon or (terminal and after.strip() in ("", "."))):
        return min(line_end + 1, len(text))
    return None


def quoted_request_end(text: str, start: int, rules: FoldRules) -> int | None:
    """Where the quoted request that starts at `start` ends (exclusive), or None to fold nothing."""
    window_end = min(len(text), start + rules.request_max_chars)
    paragraphs = paragraph_spans(text, start, window_end)
    if not paragraphs:
        return None
    first_start, first_end = paragraphs[0]
    first = text[first_start:first_end]
    if starts_answer(first, rules) or any(p.search(first) for p in rules.not_a_request):
        return None  # the "introduction" was followed by the answer: nothing quoted

    if first.lstrip()[:1] in OPENING_QUOTES:
        closing = closing_quote_end(text, first_start + 1, window_end)
        if closing is not None:
            return closing

    answer = first_answer_line(text, first_start, window_end, rules)
    walk_end = first_end
    for paragraph_start, paragraph_end in paragraphs[1:]:
        paragraph = text[paragraph_start:paragraph_end]
        if answer is not None and paragraph_start >= answer:
            break
        if not is_request_like(paragraph, rules):
            break
        walk_end = paragraph_end

    if answer is not None and answer < walk_end:
        return answer  # an answer heading inside what looked like one paragraph (no blank lines)
    if answer is not None:
        between = [text[s:e] for s, e in paragraphs if walk_end <= s < answer]
        if not any(speaks_as_authority(p, rules) for p in between):
            return answer
    if walk_end - first_start > LONGEST_UNBROKEN_QUOTE and answer is None:
        return None  # no paragraph breaks and no answer heading: too risky to fold
    return walk_end


def paragraph_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraphs of text[start:end] as (start, end) offsets.

    A blank line ends a paragraph; so does a line ending a sentence (".", "?", ":", a closing
    quote) when the next line starts like a new one (capital, digit, bullet, quote mark). Text
    taken from PDFs or flattened HTML often has no blank lines at all, and treating a whole letter
    as one paragraph would let a fold run over the answer.
    """
    spans: list[tuple[int, int]] = []
    paragraph_start: int | None = None
    previous = ""
    position = start
    while position < end:
        line_end = text.find("\n", position, end)
        if line_end < 0:
            if end < len(text) and paragraph_start is not None:
                break  # the window cut this line: stop at the last full line
            line_end = end
        line = text[position:line_end]
        if not line.strip():
            if paragraph_start is not None:
                spans.append((paragraph_start, position - 1))
                paragraph_start = None
        else:
            if paragraph_start is not None and NEW_PARAGRAPH_AFTER.search(previous) and NEW_PARAGRAPH_START.match(line):
                spans.append((paragraph_start, position - 1))
                paragraph_start = None
            if paragraph_start is None:
                paragraph_start = position
            previous = line
        position = line_end + 1
    if paragraph_start is not None:
        spans.append((paragraph_start, min(position - 1, end) if position > paragraph_start else end))
    return [(s, e) for s, e in spans if e > s]


def closing_quote_end(text: str, start: int, end: int) -> int | None:
    match = CLOSING_QUOTE_AT_LINE_END.search(text, start, end)
    if match is None:
        return None
    line_end = text.find("\n", match.end())
    return len(text) if line_end < 0 else line_end


def first_answer_line(text: str, start: int, end: int, rules: FoldRules) -> int | None:
    """Start of the first line after the quotation's first line that begins the answer."""
    first_line_end = text.find("\n", start, end)
    if first_line_end < 0:
        return None
    best: int | None = None
    for pattern in rules.response_start:
        match = pattern.search(text, first_line_end + 1, end)
        if match and (best is None or match.start() < best):
            best = match.start()
    return best


def starts_answer(paragraph: str, rules: FoldRules) -> bool:
    first_line = paragraph.strip().split("\n", 1)[0]
    return any(p.match(first_line) for p in rules.response_start)


def is_request_like(paragraph: str, rules: FoldRules) -> bool:
    if starts_answer(paragraph, rules) or speaks_as_authority(paragraph, rules):
        return False
    return any(p.search(paragraph.strip()) for p in rules.request_like)


def speaks_as_authority(paragraph: str, rules: FoldRules) -> bool:
    return any(p.search(paragraph) for p in rules.authority_voice)


# --------------------------------------------------------------------------- helpers


def tidy(text: str, rules: FoldRules) -> str:
    """Merge neighbouring markers and squeeze runs of blank lines."""
    marker = re.escape(rules.marker)
    text = re.sub(rf"(?:{marker}\s*){{2,}}", rules.marker + "\n\n", text)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
    return text.strip() + "\n" if text.strip() else ""


_COMPILED: dict[int, tuple[dict, FoldRules]] = {}


def compile_rules(folding: dict) -> FoldRules:
    """Compile the folding rules once per rules dict (the rulebook loads it once per process)."""
    cached = _COMPILED.get(id(folding))
    if cached is not None and cached[0] is folding:
        return cached[1]
    rules = _compile(folding)
    if len(_COMPILED) > 16:
        _COMPILED.clear()
    _COMPILED[id(folding)] = (folding, rules)  # holding `folding` keeps its id from being reused
    return rules


def _compile(folding: dict) -> FoldRules:
    email = folding.get("quoted_email", {})
    disclaimer = folding.get("disclaimer", {})
    request = folding.get("quoted_request", {})

    def many(patterns, flags=re.I | re.M) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, flags) for p in patterns or ())

    return FoldRules(
        marker=folding.get("marker", "[...]"),
        section_separator=re.compile(folding.get("section_separator", r"(?!x)x")),
        quote_prefix=re.compile(email.get("quote_prefix", r"^[ \t]*>")),
        cut_from=many(email.get("cut_from")),
        forward_marker=many(email.get("forward_marker")),
        forward_note_max_chars=int(email.get("forward_note_max_chars", 600)),
        forward_header=re.compile(email.get("forward_header", r"^\s*(?:From|Date|Sent|Subject|To|Cc):"), re.I),
        header_block=many(email.get("header_block")),
        rule_before_header=re.compile(email.get("rule_before_header", r"^\s*_{8,}\s*$")),
        disclaimer=many(disclaimer.get("patterns")),
        disclaimer_max_chars=int(disclaimer.get("max_chars", 1500)),
        intro=many(rf"\b(?:{wrap_tolerant(p)}){INTRO_NEEDS_COLON}" for p in request.get("intro", ())),
        intro_terminal=many(rf"\b(?:{wrap_tolerant(p)}){INTRO_ENDS_LINE}" for p in request.get("intro_terminal", ())),
        request_max_chars=int(request.get("max_chars", 6000)),
        response_start=many(request.get("response_start"), flags=re.M),
        request_like=many(request.get("request_like"), flags=0),  # "^[a-z]" means a lower-case start
        authority_voice=many(request.get("authority_voice")),
        not_a_request=many(request.get("not_a_request")),
    )



def wrap_tolerant(pattern: str) -> str:
    """Let each literal space in a pattern (outside [...]) match a line break too.

    "requesting the following\ninformation:" is the same introduction as on one line.
    """
    out = []
    in_class = False
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == " " and not in_class:
            out.append(r"\s+")
            continue
        out.append(char)
    return "".join(out)
