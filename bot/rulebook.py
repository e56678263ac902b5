"""Loads the knowledge under `rules/` into typed objects, once per process.

- `rules/law/<id>.toml`: one file per FOI law (deadlines, calendar, exemptions, review path).
- `rules/classify.toml`: the phrasings that signal each outcome, with weights.
- `rules/folding.toml`: what to fold away before classifying (quoted request, disclaimers).
- `models/entity_patterns.jsonl`: spaCy EntityRuler patterns (loaded by the entity stage).
- `models/outcome_textcat/`: the learned outcome fallback (loaded by `bot/stages/learned.py`).

Adding a jurisdiction is adding a file under `rules/law/`; nothing in code names one.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = PROJECT_ROOT / "rules"
MODELS_DIR = PROJECT_ROOT / "models"

Unit = Literal["working_days", "calendar_days", "weeks", "months"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(Strict):
    n: int
    unit: Unit

    def describe(self) -> str:
        words = {
            "working_days": "working day",
            "calendar_days": "calendar day",
            "weeks": "week",
            "months": "month",
        }[self.unit]
        return f"{self.n} {words}{'s' if self.n != 1 else ''}"


class Regulator(Strict):
    name: str
    short_name: str
    url: str = ""
    complaint_window: Duration | None = None
    window_from: Literal["review_outcome", "decision", "deadline"] = "review_outcome"
    requires_internal_review: bool = True
    source: str | list[str] = ""
    note: str = ""


class ClosedRange(Strict):
    """A yearly span that never counts (e.g. NZ 25 Dec - 15 Jan), as MM-DD strings."""

    start: str
    end: str


class Calendar(Strict):
    country: str | None = None  # None: only weekends are skipped (e.g. EU institutions)
    subdivisions: list[str] = Field(default_factory=list)  # union of these
    categories: list[str] = Field(default_factory=lambda: ["public"])
    closed_ranges: list[ClosedRange] = Field(default_factory=list)
    extra_holidays: list[dt.date] = Field(default_factory=list)
    #: a period counted in calendar days, weeks or months that ends on a non-working day runs to
    #: the next working day (Australia's Acts Interpretation Act, Canada's Interpretation Act)
    roll_forward: bool = False
    source: str | list[str] = ""
    note: str = ""


class Response(Strict):
    n: int
    unit: Unit
    start: Literal["day_after_receipt", "receipt"] = "day_after_receipt"
    text: str = ""
    source: str | list[str] = ""

    @property
    def duration(self) -> Duration:
        return Duration(n=self.n, unit=self.unit)


class Extension(Strict):
    n: int
    unit: Unit
    provision: str = ""
    text: str = ""
    source: str | list[str] = ""

    @property
    def duration(self) -> Duration:
        return Duration(n=self.n, unit=self.unit)


class InternalReview(Strict):
    name: str = "internal review"  # what the law calls it
    request_within: Duration | None = None  # from the date of the decision
    answer_within: Duration | None = None
    statutory: bool = False
    source: str | list[str] = ""
    note: str = ""


class CostLimit(Strict):
    citation: str
    text: str = ""
    amounts: list[str] = Field(default_factory=list)
    source: str | list[str] = ""


class Detect(Strict):
    phrases: list[str] = Field(default_factory=list)
    #: regular expressions (over the lower-cased text, spaces folded) for mentions of this law that
    #: say nothing about which law the letter is under: named together with another as the ones a
    #: request may come under ("the Freedom of Information Act 2000 or the Environmental Information
    #: Regulations 2004"), or another country's law written like this one's name. They are taken out
    #: before this law's phrases are looked for (compiled when the rules load)
    not_evidence: list[re.Pattern[str]] = Field(default_factory=list)
    #: a table of rules/places.toml: names of that country's authorities count for this law too
    country: str = ""
    sender_domains: list[str] = Field(default_factory=list)
    request_domains: list[str] = Field(default_factory=list)
    weight: float = 1.0


class Provision(Strict):
    """An exemption/exception, or another refusal ground such as the cost limit."""

    citation: str  # normalised: s40(2), reg12(5)(e), b7(C), art4(1)(b)
    name: str
    kind: Literal["absolute", "qualified", "unknown"] = "unknown"
    ground: Literal["exemption", "cost_limit", "vexatious", "repeated", "ncnd", "not_held"] = "exemption"
    phrasings: list[str] = Field(default_factory=list)
    #: other citations that mean this provision: s12(1) is the cost limit s12; s40(3A)(a) is a
    #: condition of s40(2). Matched as prefixes.
    aliases: list[str] = Field(default_factory=list)
    #: False for procedural provisions that are grounds but not listed as exemptions relied on
    #: (FOISA s17(1) not-held notice, EIR reg12(6) and FOISA s18(1) neither-confirm-nor-deny).
    listed: bool = True
    #: True where applying the provision means pointing to where the information already is
    #: (FOIA s21, FOISA s25, OIA s18(d)): the requester gets it, so it is not a withholding
    points_elsewhere: bool = False
    source: str | list[str] = ""
    status: str = ""
    note: str = ""


class Law(Strict):
    id: str
    name: str
    short_name: str
    applies_to: str = ""
    citation_prefix: str = "s"  # "s", "reg", "art", "b"
    citation_words: list[str] = Field(default_factory=lambda: ["section", "s"])
    sources: list[str] = Field(default_factory=list)
    regulator: Regulator
    calendar: Calendar
    response: Response
    extension: Extension | None = None
    internal_review: InternalReview
    cost_limit: CostLimit | None = None
    detect: Detect = Detect()
    exemptions: list[Provision] = Field(default_factory=list)
    grounds: list[Provision] = Field(default_factory=list)
    #: citations that are never grounds although their parent section is one: public interest
    #: overrides (Ireland s37(5)), balancing tests; a lookup stops there instead of falling back.
    procedural: list[str] = Field(default_factory=list)
    templates: dict[str, str] = Field(default_factory=dict)  # words this law uses in advice

    @field_validator("exemptions", "grounds")
    @classmethod
    def _unique(cls, provisions: list[Provision]) -> list[Provision]:
        seen = [p.citation for p in provisions]
        dupes = {c for c in seen if seen.count(c) > 1}
        if dupes:
            raise ValueError(f"duplicate citations: {sorted(dupes)}")
        return provisions

    @cached_property
    def provisions(self) -> dict[str, Provision]:
        return {p.citation: p for p in [*self.exemptions, *self.grounds]}

    @cached_property
    def aliases(self) -> list[tuple[str, Provision]]:
        pairs = [(alias, p) for p in [*self.exemptions, *self.grounds] for alias in p.aliases]
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def alias_of(self, citation: str) -> Provision | None:
        """The provision a citation is another name for (`s12(1)` -> `s12`), if any."""
        for alias, provision in self.aliases:
            if citation == alias or citation.startswith(alias + "("):
                return provision
        return None

    def lookup(self, citation: str) -> Provision | None:
        """The provision that covers a normalised citation: an alias, itself, else its nearest parent.

        `s40(2)(a)` falls back to `s40(2)`, then `s40`.
        """
        aliased = self.alias_of(citation)
        if aliased is not None:
            return aliased
        if any(citation == p or citation.startswith(p + "(") for p in self.procedural):
            return None
        probe = citation
        while probe:
            if probe in self.provisions:
                return self.provisions[probe]
            cut = probe.rfind("(")
            if cut <= 0:
                return None
            probe = probe[:cut]
        return None


class Rulebook:
    """Everything under rules/ and models/, parsed and validated once."""

    def __init__(self, rules_dir: Path = RULES_DIR, models_dir: Path = MODELS_DIR) -> None:
        self.rules_dir = Path(rules_dir)
        self.models_dir = Path(models_dir)
        self.laws: dict[str, Law] = {}
        for path in sorted((self.rules_dir / "law").glob("*.toml")):
            law = Law.model_validate(_read_toml(path))
            if law.id != path.stem:
                raise ValueError(f"{path}: id {law.id!r} must match the file name")
            self.laws[law.id] = law
        places_file = self.rules_dir / "places.toml"
        #: names that place a letter in a country, per country (rules/places.toml), lower-cased with
        #: spaces folded as the jurisdiction stage reads the letter
        self.places: dict[str, tuple[str, ...]] = {
            country: tuple(" ".join(name.split()).lower() for name in table["names"])
            for country, table in (_read_toml(places_file) if places_file.is_file() else {}).items()
        }
        for law in self.laws.values():
            if law.detect.country and law.detect.country not in self.places:
                raise ValueError(f"{law.id}: [detect] country {law.detect.country!r} has no table in {places_file}")
        self.default_law = "uk_foia"
        self._calendars: dict[str, WorkingCalendar] = {}

    def law(self, law_id: str) -> Law:
        try:
            return self.laws[law_id]
        except KeyError:
            from bot.errors import UserError

            known = ", ".join(sorted(self.laws))
            raise UserError(f"unknown jurisdiction {law_id!r} (known: {known})") from None

    def calendar(self, law: Law) -> WorkingCalendar:
        if law.id not in self._calendars:
            self._calendars[law.id] = WorkingCalendar(law.calendar)
        return self._calendars[law.id]

    @cached_property
    def classify(self) -> dict:
        return _read_toml(self.rules_dir / "classify.toml")

    @cached_property
    def folding(self) -> dict:
        return _read_toml(self.rules_dir / "folding.toml")

    @cached_property
    def advice(self) -> dict:
        return _read_toml(self.rules_dir / "advice.toml")


class WorkingCalendar:
    """Working days of one law: weekends, the package's holidays and closed ranges skipped."""

    def __init__(self, spec: Calendar) -> None:
        self.spec = spec
        self._tables: list[holidays.HolidayBase] = []
        if spec.country:
            subdivs = spec.subdivisions or [None]
            for subdiv in subdivs:
                self._tables.append(
                    holidays.country_holidays(spec.country, subdiv=subdiv, categories=tuple(spec.categories))
                )
        self._extra = set(spec.extra_holidays)
        self._names: dict[dt.date, str | None] = {}
        self._ranges = [
            (tuple(map(int, r.start.split("-"))), tuple(map(int, r.end.split("-")))) for r in spec.closed_ranges
        ]

    def holiday_name(self, day: dt.date) -> str | None:
        # counting the working days of a long wait asks about the same days for every reply
        try:
            return self._names[day]
        except KeyError:
            name = self._names[day] = self._holiday_name(day)
            return name

    def _holiday_name(self, day: dt.date) -> str | None:
        for table in self._tables:
            name = table.get(day)
            if name:
                return name
        if day in self._extra:
            return "holiday"
        md = (day.month, day.day)
        for start, end in self._ranges:
            inside = start <= md <= end if start <= end else (md >= start or md <= end)
            if inside:
                return "closed period"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself never counts)."""
        day = start
        counted = 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def skipped_holidays(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Non-weekend days between start and end that did not count, with their names."""
        out = []
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            name = self.holiday_name(day)
            if name and day.weekday() < 5:
                out.append((day, name))
        return out

    def add(self, start: dt.date, duration: Duration) -> dt.date:
        if duration.unit == "working_days":
            return self.add_working_days(start, duration.n)
        if duration.unit == "calendar_days":
            end = start + dt.timedelta(days=duration.n)
        elif duration.unit == "weeks":
            end = start + dt.timedelta(weeks=duration.n)
        else:
            end = add_months(start, duration.n)
        while self.spec.roll_forward and not self.is_working_day(end):
            end += dt.timedelta(days=1)
        return end


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` later, clamped to the month's end (31 Jan + 1 -> 28/29 Feb)."""
    import calendar as _calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from exc


@cache
def load_rulebook(rules_dir: str | None = None) -> Rulebook:
    return Rulebook(Path(rules_dir) if rules_dir else RULES_DIR)

