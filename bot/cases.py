"""Cases: the replies to one FOI request, followed over months (pure: values in, values out).

A requester follows many requests; each reply foibot triages belongs to one of them. This
module says *which* (identity keys, strongest first) and *where the request stands*
(status, deadlines, overdue, next step) from the case's timeline. The case store
(`bot/service/casestore.py`) persists timelines; the digest reads what this computes.

Grouping keys, strongest first:
1. the WhatDoTheyKnow-style request address (`request-NNN-hash@domain`): one per request;
2. the authority's reference (`FOI 2026/0917`), scoped by the sender's domain, since two
   authorities may both have a "FOI 123";
3. the email thread (Message-ID, In-Reply-To, References);
4. authority + normalised subject, as a fallback when nothing else ties replies together.

Status is the latest *meaningful* outcome: a decision is never overridden by a later
acknowledgement or a holding letter; requester corrections (reply commands) replace the
classifier's reading of the reply they answer.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from bot.model import Frozen, Outcome, ParsedMessage, Triage
from bot.rulebook import RULES_DIR, Law, WorkingCalendar
from bot.stages.advise import regulator_name
from bot.stages.deadlines import fmt

KeyKind = Literal["wdtk", "reference", "thread", "subject"]
KEY_PRIORITY: tuple[KeyKind, ...] = ("wdtk", "reference", "thread", "subject")

DECISIONS = frozenset(
    {Outcome.FULL_DISCLOSURE, Outcome.PARTIAL_DISCLOSURE, Outcome.REFUSED, Outcome.NOT_HELD}
)
DISPUTABLE = frozenset({Outcome.PARTIAL_DISCLOSURE, Outcome.REFUSED, Outcome.NOT_HELD})

REQUEST_ADDRESS = re.compile(r"\brequest-(\d+)-[0-9a-f]{4,}@([a-z0-9.-]+\.[a-z]{2,})", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
#: a reply about the requester's review request (its acknowledgement, or a holding letter); the
#: bare words "internal review" are not enough, since every decision letter offers one
REVIEW_SUBJECT = re.compile(r"\b(internal review|review request|requirement for review)\b", re.IGNORECASE)
REVIEW_BODY = re.compile(
    r"\b(your\s+(?:request|requirement)\s+for\s+(?:an?\s+)?(?:internal\s+)?review"
    r"|(?:requested|asked\s+for)\s+(?:an?\s+)?(?:internal\s+)?review"
    r"|internal\s+review\s+request"
    r"|(?:conduct|carry\s+out|carrying\s+out|undertake|undertaking)\s+(?:an?\s+|the\s+)?(?:internal\s+)?review)\b",
    re.IGNORECASE,
)


class CaseStatus(StrEnum):
    AWAITING_RESPONSE = "awaiting_response"
    ACKNOWLEDGED = "acknowledged"
    DELAYED = "delayed"
    CLARIFICATION_REQUESTED = "clarification_requested"
    FEE_REQUESTED = "fee_requested"
    FULL_DISCLOSURE = "full_disclosure"
    PARTIAL_DISCLOSURE = "partial_disclosure"
    REFUSED = "refused"
    NOT_HELD = "not_held"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_UPHELD = "review_upheld"
    REVIEW_PARTLY = "review_partly"
    REVIEW_OVERTURNED = "review_overturned"
    CLOSED = "closed"
    IGNORED = "ignored"


STATUS_WORDS = {
    CaseStatus.AWAITING_RESPONSE: "waiting for an answer",
    CaseStatus.ACKNOWLEDGED: "acknowledged, no decision yet",
    CaseStatus.DELAYED: "delayed, no decision yet",
    CaseStatus.CLARIFICATION_REQUESTED: "they asked you to clarify",
    CaseStatus.FEE_REQUESTED: "they asked for a fee",
    CaseStatus.FULL_DISCLOSURE: "information released",
    CaseStatus.PARTIAL_DISCLOSURE: "partly released",
    CaseStatus.REFUSED: "refused",
    CaseStatus.NOT_HELD: "information not held",
    CaseStatus.REVIEW_REQUESTED: "internal review requested",
    CaseStatus.REVIEW_UPHELD: "review upheld the decision",
    CaseStatus.REVIEW_PARTLY: "review partly changed the decision",
    CaseStatus.REVIEW_OVERTURNED: "review overturned the decision",
    CaseStatus.CLOSED: "closed",
    CaseStatus.IGNORED: "ignored",
}

DECIDED_STATUSES = frozenset(
    {CaseStatus.FULL_DISCLOSURE, CaseStatus.PARTIAL_DISCLOSURE, CaseStatus.REFUSED, CaseStatus.NOT_HELD}
)
REVIEW_STATUS = {"upheld": CaseStatus.REVIEW_UPHELD, "partly": CaseStatus.REVIEW_PARTLY, "overturned": CaseStatus.REVIEW_OVERTURNED}
WAITING_ON_REQUESTER = frozenset({CaseStatus.CLARIFICATION_REQUESTED, CaseStatus.FEE_REQUESTED})
INACTIVE = frozenset({CaseStatus.CLOSED, CaseStatus.IGNORED})


# --------------------------------------------------------------------------- rules as data


class LawCaseRules(Frozen):
    review_needed_for_no_reply: bool = False
    note: str = ""


class CaseRules(Frozen):
    chase_within_working_days: int = 10
    subject_noise: tuple[str, ...] = ()
    laws: dict[str, LawCaseRules] = Field(default_factory=dict)

    def for_law(self, law_id: str) -> LawCaseRules:
        return self.laws.get(law_id, LawCaseRules())


@cache
def load_case_rules(path: str | None = None) -> CaseRules:
    """rules/cases.toml, parsed once."""
    with open(Path(path) if path else RULES_DIR / "cases.toml", "rb") as handle:
        data = tomllib.load(handle)
    return CaseRules(
        chase_within_working_days=data.get("overdue", {}).get("chase_within_working_days", 10),
        subject_noise=tuple(data.get("subject", {}).get("noise", ())),
        laws={law_id: LawCaseRules(**values) for law_id, values in data.get("laws", {}).items()},
    )


# --------------------------------------------------------------------------- timeline values


class CaseKey(Frozen):
    kind: KeyKind
    value: str

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.value}"


class CaseEvent(Frozen):
    """One entry in a case's timeline: a triaged reply, or a requester's command."""

    kind: Literal["reply", "command"]
    key: str  # the message key (Message-ID or content hash) of the email it came from
    at: dt.datetime  # when the email arrived (UTC): orders the timeline
    #: when foibot filed it (UTC): what "new since the last digest" is measured against, so a
    #: reply filed late (a requester forwarding an old letter) is still news
    recorded_at: dt.datetime | None = None
    # reply fields
    outcome: Outcome | None = None
    labels: tuple[Outcome, ...] = ()
    exemptions: tuple[str, ...] = ()
    review_result: str | None = None
    about_review: bool = False  # acknowledges or delays an internal review request
    jurisdiction: str = ""
    authority: str = ""
    reference: str = ""
    subject: str = ""
    letter_date: dt.date | None = None
    request_received: dt.date | None = None
    stated_extended_due: dt.date | None = None
    internal_review_by: dt.date | None = None
    confidence: float = 1.0
    needs_review: bool = False
    first_step: str = ""  # the triage's first next-step action
    first_step_why: str = ""
    # command fields
    command: str = ""  # a replycommands.Verb value
    value: str = ""  # outcome, or comma-separated citations
    target: str = ""  # message key of the reply a correction is about

    @property
    def day(self) -> dt.date:
        """The date the authority wrote it, else the day it arrived."""
        return self.letter_date or self.at.date()


def reply_event(message_key: str, parsed: ParsedMessage, triage: Triage, received_at: dt.datetime) -> CaseEvent:
    """The timeline entry for one triaged reply."""
    first = triage.next_steps[0] if triage.next_steps else None
    return CaseEvent(
        kind="reply",
        key=message_key,
        at=received_at,
        outcome=triage.outcome,
        labels=tuple(triage.labels),
        exemptions=tuple(e.citation for e in triage.exemptions),
        review_result=triage.review_result,
        about_review=triage.outcome in {Outcome.ACKNOWLEDGEMENT, Outcome.DELAY}
        and bool(REVIEW_SUBJECT.search(parsed.subject) or REVIEW_BODY.search(_letter_words(parsed))),
        jurisdiction=triage.jurisdiction,
        authority=authority_name(triage.authority, parsed.from_name),
        reference=triage.reference,
        subject=triage.subject or parsed.subject,
        letter_date=triage.dates.get("letter") or (parsed.date.date() if parsed.date else None),
        request_received=triage.dates.get("request_received"),
        stated_extended_due=triage.dates.get("extended_due") if triage.outcome == Outcome.DELAY else None,
        internal_review_by=triage.deadlines.internal_review_by,
        confidence=triage.confidence,
        needs_review=triage.needs_review,
        first_step=first.action if first else "",
        first_step_why=first.why if first else "",
    )


GENERIC_OFFICE = re.compile(
    r"^(the\s+)?(freedom\s+of\s+information|foi|information\s+(governance|management|rights|requests?)|data\s+protection"
    r"|records\s+management|disclosure|access\s+to\s+information)\b",
    re.IGNORECASE,
)


def authority_name(found: str, sender_name: str) -> str:
    """The authority as the letter names it, unless that is only the office that signed it
    ("Freedom of Information Office") and the sender's display name says more."""
    if found and not GENERIC_OFFICE.match(found):
        return found
    sender = re.sub(r"\s+(foi|freedom of information)(\s+(team|unit|office))?$", "", sender_name or "", flags=re.IGNORECASE)
    return sender.strip() or found


def _letter_words(parsed: ParsedMessage) -> str:
    """The first part of the body: where a letter says what it is about (quotes come later)."""
    return (parsed.body_text or "")[:1500]


# --------------------------------------------------------------------------- grouping


def request_address(addresses: list[str] | tuple[str, ...]) -> str | None:
    """`request-4821-9f3a2c1b@whatdotheyknow.com` -> `whatdotheyknow.com:4821`."""
    for address in addresses:
        match = REQUEST_ADDRESS.search(address or "")
        if match:
            return f"{match.group(2).lower()}:{match.group(1)}"
    return None


def normalise_reference(reference: str) -> str:
    """`FOI 2026/0917`, `foi-2026-0917` -> `FOI20260917`; '' when there is nothing to match on."""
    compact = re.sub(r"[^0-9A-Za-z]", "", reference or "").upper()
    return compact if re.search(r"\d", compact) and len(compact) >= 3 else ""


REFERENCE_TOKEN = re.compile(r"(?<![\w/.-])[\w/.-]*\d[\w/.-]*")  # 2026/0917, FOI-123, THB/212


@cache
def noise_trimmers(noise: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """One pattern per boilerplate phrase, longest first, matching it at either end of a subject part."""
    trimmers = []
    for phrase in sorted(noise, key=len, reverse=True):
        words = r"\W*".join(re.escape(word) for word in phrase.split())
        trimmers.append(re.compile(rf"^(?:{words})(?![A-Za-z])\W*|\W*(?<![A-Za-z])(?:{words})\W*$", re.IGNORECASE))
    return tuple(trimmers)


def subject_parts(subject: str, noise: tuple[str, ...]) -> list[tuple[str, str]]:
    """(part as a person would read it, its normalised words) for each part of a subject
    that is not boilerplate.

    Subjects are cut at separators (`-`, `:`, `|`); a part made only of boilerplate
    ("Re", "Freedom of Information request", "FOI-2026-0917") is dropped, and boilerplate is
    trimmed from the ends of the rest, so "response" inside "fire engine response times" stays.
    """
    text = re.sub(r"\[[^\]]*\]", " ", subject or "")  # [EXTERNAL], [OFFICIAL]
    kept: list[tuple[str, str]] = []
    for part in re.split(r"\s[-\u2013\u2014|]\s|:|\s[-\u2013\u2014]|[-\u2013\u2014]\s", text):
        written = " ".join(REFERENCE_TOKEN.sub(" ", part).split())
        changed = True
        while written and changed:
            changed = False
            for at_either_end in noise_trimmers(noise):
                trimmed = at_either_end.sub("", written)
                if trimmed != written:
                    written, changed = trimmed.strip(), True
                    break
        words = " ".join(re.findall(r"[a-z]+", written.lower()))
        if words:
            kept.append((written, words))
    return kept


def normalise_subject(subject: str, noise: tuple[str, ...]) -> str:
    """The requester's own words of a subject, lower-cased, for comparing two subjects."""
    return " ".join(words for _, words in subject_parts(subject, noise))


def display_subject(subject: str, noise: tuple[str, ...]) -> str:
    """The subject as a person wrote it, without "Re:", "Acknowledgement -" and references."""
    parts = subject_parts(subject, noise)
    if parts:
        return " - ".join(written for written, _ in parts)
    return " ".join(REFERENCE_TOKEN.sub(" ", subject or "").split()).strip(" -:|")


def sender_domain(address: str) -> str:
    return (address or "").rpartition("@")[2].lower().strip(">")


def message_ids(*values: str) -> list[str]:
    found: list[str] = []
    for value in values:
        found.extend(MESSAGE_ID.findall(value or ""))
    return list(dict.fromkeys(found))


def identity_keys(parsed: ParsedMessage, triage: Triage, message_key: str, noise: tuple[str, ...]) -> list[CaseKey]:
    """Every key that can tie this reply to a case, strongest first.

    The reply's own Message-ID is a thread key too, so that a later reply threaded under it
    joins the same case.
    """
    outer = parsed.outer_headers
    addresses = [
        *parsed.to_addresses,
        parsed.from_address,
        *(outer.get(name, "") for name in ("to", "cc", "delivered-to", "x-original-to", "reply-to")),
    ]
    keys: list[CaseKey] = []
    wdtk = request_address(addresses)
    if wdtk:
        keys.append(CaseKey(kind="wdtk", value=wdtk))
    scope = sender_domain(parsed.from_address) or _slug(triage.authority)
    reference = normalise_reference(triage.reference)
    if reference and scope:
        keys.append(CaseKey(kind="reference", value=f"{scope}:{reference}"))
    for mid in message_ids(parsed.message_id, parsed.in_reply_to, " ".join(parsed.references), message_key):
        keys.append(CaseKey(kind="thread", value=mid))
    subject = normalise_subject(triage.subject or parsed.subject, noise)
    if subject and scope and len(subject.split()) >= 2:
        keys.append(CaseKey(kind="subject", value=f"{scope}:{subject}"))
    return list(dict.fromkeys(keys))


def choose_case(keys: list[CaseKey], known: dict[str, int]) -> int | None:
    """The case that the strongest matching key points to (`known`: key text -> case id).

    A WhatDoTheyKnow address or a reference that names a *different* request wins over a
    weaker thread or subject match, so one reply-all chain carrying two requests still splits.
    """
    for kind in KEY_PRIORITY:
        for key in keys:
            if key.kind == kind and key.text in known:
                return known[key.text]
    return None


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


# --------------------------------------------------------------------------- where a case stands


class DeadlineItem(Frozen):
    """A date the requester or the authority must meet."""

    day: dt.date
    kind: Literal["response_due", "extended_due", "internal_review_by", "review_response_due", "regulator_by"]
    who: Literal["authority", "you"]
    what: str


class CaseDeadlines(Frozen):
    request_date: dt.date | None = None
    response_due: dt.date | None = None
    extended_due: dt.date | None = None
    decided_on: dt.date | None = None
    days_late: int | None = None  # working days the decision came after the (extended) deadline
    internal_review_by: dt.date | None = None
    review_requested_on: dt.date | None = None
    review_response_due: dt.date | None = None
    regulator_by: dt.date | None = None
    explanation: tuple[str, ...] = ()

    @property
    def answer_due(self) -> dt.date | None:
        return self.extended_due or self.response_due


class NextAction(Frozen):
    action: str  # wait, chase, complain_to_regulator, request_internal_review, clarify_request, pay_fee, none
    by: dt.date | None = None
    why: str = ""
    title: str = ""  # the action in words of this law: "Complain to the ICO"


ACTION_TITLES = {
    "wait": "Nothing to do yet",
    "chase": "Send a reminder",
    "complain_to_regulator": "Complain to {regulator}",
    "request_internal_review": "Ask for {review}",
    "clarify_request": "Clarify your request",
    "pay_fee": "Pay the fee or narrow the request",
    "none": "Nothing to do",
}


def action_title(action: str, law: Law) -> str:
    template = ACTION_TITLES.get(action, action.replace("_", " ").capitalize())
    return template.format(regulator=regulator_name(law), review=_a(law.internal_review.name))


class Overdue(Frozen):
    what: Literal["response", "review"]
    due: dt.date
    working_days_late: int


class CaseView(Frozen):
    """Everything the digest and `foibot cases` show about one case on one day."""

    case_id: int
    requester: str
    status: CaseStatus
    jurisdiction: str
    authority: str = ""
    reference: str = ""
    subject: str = ""
    exemptions: tuple[str, ...] = ()
    deadlines: CaseDeadlines = CaseDeadlines()
    overdue: Overdue | None = None
    next_action: NextAction = NextAction(action="none")
    upcoming: tuple[DeadlineItem, ...] = ()
    events: tuple[CaseEvent, ...] = ()
    today: dt.date

    @property
    def title(self) -> str:
        who = self.authority or "Unknown authority"
        return f"{who}{f' ({self.reference})' if self.reference else ''}"

    @property
    def awaiting_requester(self) -> bool:
        return self.status in WAITING_ON_REQUESTER


def corrected(events: list[CaseEvent] | tuple[CaseEvent, ...]) -> list[CaseEvent]:
    """Replies with the requester's corrections applied (the last correction of a field wins)."""
    replies = [e for e in events if e.kind == "reply"]
    by_key = {e.key: i for i, e in enumerate(replies)}
    for command in _in_order(e for e in events if e.kind == "command" and e.target in by_key):
        index = by_key[command.target]
        reply = replies[index]
        if command.command == "status" and command.value:
            outcome = Outcome(command.value)
            labels = (outcome, *(label for label in reply.labels if label != outcome and label == Outcome.DELAY))
            replies[index] = reply.model_copy(update={"outcome": outcome, "labels": labels, "about_review": False})
        elif command.command == "exemptions":
            citations = tuple(c for c in command.value.split(",") if c)
            replies[index] = reply.model_copy(update={"exemptions": citations})
    return replies


def case_status(events: list[CaseEvent] | tuple[CaseEvent, ...]) -> CaseStatus:
    """The latest meaningful outcome of a timeline (events in the order they arrived)."""
    status = CaseStatus.AWAITING_RESPONSE
    decided = False
    flags = _flags(events)
    for event in _in_order([*corrected(events), *_review_commands(events)]):
        if event.kind == "command":  # review_requested, by the requester's own word
            if decided:
                status = CaseStatus.REVIEW_REQUESTED
            continue
        outcome = event.outcome
        if outcome == Outcome.REVIEW_DECISION:
            status = REVIEW_STATUS.get(event.review_result or "", CaseStatus.REVIEW_UPHELD)
            decided = True
        elif outcome in DECISIONS:
            status = CaseStatus(outcome.value)
            decided = True
        elif decided:
            if event.about_review and status in DECIDED_STATUSES:
                status = CaseStatus.REVIEW_REQUESTED
            # otherwise an acknowledgement or holding letter never overrides a decision
        elif outcome == Outcome.ACKNOWLEDGEMENT:
            if status in {CaseStatus.AWAITING_RESPONSE, *WAITING_ON_REQUESTER}:
                status = CaseStatus.ACKNOWLEDGED
        elif outcome == Outcome.DELAY:
            status = CaseStatus.DELAYED
        elif outcome == Outcome.CLARIFICATION_REQUESTED:
            status = CaseStatus.CLARIFICATION_REQUESTED
        elif outcome == Outcome.FEE_NOTICE:
            status = CaseStatus.FEE_REQUESTED
    if flags == "closed":
        return CaseStatus.CLOSED
    if flags == "ignored":
        return CaseStatus.IGNORED
    return status


def _flags(events) -> str:
    """closed / ignored / '' from the last of the steering commands."""
    state = ""
    for event in _in_order(events):
        if event.kind != "command":
            continue
        if event.command == "closed":
            state = "closed"
        elif event.command == "ignore":
            state = "ignored"
        elif event.command == "reopen":
            state = ""
    return state


def _review_commands(events) -> list[CaseEvent]:
    return [e for e in events if e.kind == "command" and e.command == "review_requested"]


def _in_order(events) -> list[CaseEvent]:
    return sorted(events, key=lambda e: (e.at, e.kind == "command"))


def case_deadlines(events: list[CaseEvent] | tuple[CaseEvent, ...], law: Law, calendar: WorkingCalendar) -> CaseDeadlines:
    """Every date of a case from the law's rules, each explained in words."""
    replies = _in_order(corrected(events))
    explain: list[str] = []
    # a clarification request or a fee notice stops the clock; it starts again from the
    # requester's answer, which only a later letter can date
    paused = [i for i, e in enumerate(replies) if e.outcome in {Outcome.CLARIFICATION_REQUESTED, Outcome.FEE_NOTICE}]
    counted = replies[paused[-1] + 1 :] if paused else replies
    request_date = next((e.request_received for e in counted if e.request_received and not e.about_review), None)
    acknowledgement = next((e for e in counted if e.outcome == Outcome.ACKNOWLEDGEMENT and not e.about_review), None)
    duration = law.response.duration
    if paused and not request_date:
        explain.append(
            f"The clock stopped with their {replies[paused[-1]].outcome.value.replace('_', ' ')} of "
            f"{fmt(replies[paused[-1]].day)} and restarts when you answer it."
        )

    response_due = None
    if request_date:
        response_due = calendar.add(request_date, duration)
        explain.append(
            f"Answer due {fmt(response_due)}: {duration.describe()} after the request was received on "
            f"{fmt(request_date)}{_skipped(calendar, request_date, response_due)}."
        )
    elif acknowledgement:
        base = acknowledgement.day
        response_due = calendar.add(base, duration)
        explain.append(
            f"Answer due {fmt(response_due)} at the latest: {duration.describe()} counted from the acknowledgement "
            f"of {fmt(base)}, because the date they received the request is not known"
            f"{_skipped(calendar, base, response_due)}."
        )

    decisions = [e for e in replies if e.outcome in DECISIONS]
    first_decision = decisions[0] if decisions else None
    extended_due = None
    for notice in (e for e in replies if e.outcome == Outcome.DELAY and not e.about_review):
        if first_decision and notice.at > first_decision.at:
            break
        if not response_due and notice.stated_extended_due:
            extended_due = notice.stated_extended_due
            explain.append(
                f"They say they will answer by {fmt(extended_due)}; foibot does not know when they received the "
                "request, so it cannot check that the extension is within the law."
            )
            continue
        if not (response_due and law.extension):
            if notice.stated_extended_due:
                explain.append(
                    f"They said they would answer by {fmt(notice.stated_extended_due)}, but {law.short_name} "
                    "allows no extension: the original deadline stands."
                )
            continue
        limit = calendar.add(response_due, law.extension.duration)
        if notice.day > response_due:
            explain.append(
                f"The extension notice of {fmt(notice.day)} came after the deadline of {fmt(response_due)}, "
                "so it does not extend it."
            )
            continue
        extended_due = min(notice.stated_extended_due, limit) if notice.stated_extended_due else limit
        capped = notice.stated_extended_due and notice.stated_extended_due > limit
        explain.append(
            f"Extended to {fmt(extended_due)} under {law.extension.provision or 'the law'}"
            + (
                f": they named {fmt(notice.stated_extended_due)}, but no more than {law.extension.duration.describe()} "
                "beyond the deadline is reasonable."
                if capped
                else f" (notice of {fmt(notice.day)}, before the original deadline)."
            )
        )

    decided_on = first_decision.day if first_decision else None
    days_late = None
    due = extended_due or response_due
    if decided_on and due:
        days_late = calendar.working_days_between(due, decided_on)
        if days_late:
            explain.append(f"The decision of {fmt(decided_on)} came {days_late} working day{_s(days_late)} late.")

    latest_decision = decisions[-1] if decisions else None
    internal_review_by = None
    window = law.internal_review.request_within
    if latest_decision and latest_decision.outcome in DISPUTABLE | {Outcome.FULL_DISCLOSURE}:
        internal_review_by = latest_decision.internal_review_by or (
            calendar.add(latest_decision.day, window) if window else None
        )
        if internal_review_by:
            explain.append(
                f"Ask for {_a(law.internal_review.name)} by {fmt(internal_review_by)}"
                f" ({window.describe() + ' from the decision' if window and not latest_decision.internal_review_by else 'as the letter says'})."
            )

    review_request = next(
        (
            e
            for e in _in_order([*replies, *_review_commands(events)])
            if latest_decision and e.at >= latest_decision.at and (e.kind == "command" or e.about_review)
        ),
        None,
    )
    review_requested_on = None
    review_response_due = None
    if review_request:
        # the day the requester asked: the acknowledgement usually says when it was received
        review_requested_on = (
            (review_request.request_received or review_request.day)
            if review_request.kind == "reply"
            else review_request.at.date()
        )
        if law.internal_review.answer_within:
            review_response_due = calendar.add(review_requested_on, law.internal_review.answer_within)
            explain.append(
                f"Review answer due {fmt(review_response_due)}: {law.internal_review.answer_within.describe()} "
                f"after the review was asked for ({fmt(review_requested_on)})."
            )

    review_decision = next((e for e in reversed(replies) if e.outcome == Outcome.REVIEW_DECISION), None)
    regulator_by = None
    regulator = law.regulator
    if regulator.complaint_window:
        basis = None
        if review_decision and review_decision.review_result != "overturned":
            basis = review_decision
        elif latest_decision and latest_decision.outcome in DISPUTABLE and not regulator.requires_internal_review:
            basis = latest_decision
        if basis:
            regulator_by = calendar.add(basis.day, regulator.complaint_window)
            explain.append(
                f"Complain to {regulator.short_name} by {fmt(regulator_by)}: {regulator.complaint_window.describe()} "
                f"after the letter of {fmt(basis.day)}."
            )
    return CaseDeadlines(
        request_date=request_date,
        response_due=response_due,
        extended_due=extended_due,
        decided_on=decided_on,
        days_late=days_late,
        internal_review_by=internal_review_by,
        review_requested_on=review_requested_on,
        review_response_due=review_response_due,
        regulator_by=regulator_by,
        explanation=tuple(explain),
    )


def view_case(
    case_id: int,
    requester: str,
    events: list[CaseEvent] | tuple[CaseEvent, ...],
    law: Law,
    calendar: WorkingCalendar,
    rules: CaseRules,
    *,
    today: dt.date,
) -> CaseView:
    """Where a case stands on `today`: status, deadlines, overdue, the one next step."""
    events = tuple(_in_order(events))
    replies = corrected(events)
    status = case_status(events)
    deadlines = case_deadlines(events, law, calendar)
    decided = [e for e in replies if e.outcome in DECISIONS or e.outcome == Outcome.REVIEW_DECISION]
    # the exemptions relied on now: the latest decision's (a review that just "upholds" cites the earlier ones)
    current = next((e for e in reversed(decided) if e.exemptions or e.outcome != Outcome.REVIEW_DECISION), None)
    overdue = _overdue(status, deadlines, calendar, today)
    return CaseView(
        case_id=case_id,
        requester=requester,
        status=status,
        jurisdiction=law.id,
        authority=next((e.authority for e in reversed(replies) if e.authority), ""),
        reference=next((e.reference for e in reversed(replies) if e.reference), ""),
        subject=next((display_subject(e.subject, rules.subject_noise) for e in replies if e.subject), ""),
        exemptions=current.exemptions if current else (),
        deadlines=deadlines,
        overdue=overdue,
        next_action=_titled(_next_action(status, deadlines, overdue, law, rules, today), law),
        upcoming=tuple(_upcoming(status, deadlines, law)),
        events=events,
        today=today,
    )


def _overdue(status: CaseStatus, d: CaseDeadlines, calendar: WorkingCalendar, today: dt.date) -> Overdue | None:
    if status in INACTIVE or status in WAITING_ON_REQUESTER:
        return None
    if status in {CaseStatus.AWAITING_RESPONSE, CaseStatus.ACKNOWLEDGED, CaseStatus.DELAYED}:
        due = d.answer_due
        if due and today > due:
            return Overdue(what="response", due=due, working_days_late=calendar.working_days_between(due, today))
    if status == CaseStatus.REVIEW_REQUESTED and d.review_response_due and today > d.review_response_due:
        due = d.review_response_due
        return Overdue(what="review", due=due, working_days_late=calendar.working_days_between(due, today))
    return None


def _next_action(
    status: CaseStatus,
    d: CaseDeadlines,
    overdue: Overdue | None,
    law: Law,
    rules: CaseRules,
    today: dt.date,
) -> NextAction:
    regulator = law.regulator
    review = law.internal_review.name
    if status in INACTIVE:
        return NextAction(action="none", why=f"The case is {status.value}.")
    if overdue:
        late = overdue.working_days_late
        words = f"{late} working day{_s(late)} late (due {fmt(overdue.due)})"
        if late <= rules.chase_within_working_days:
            return NextAction(action="chase", why=f"The {'review' if overdue.what == 'review' else 'answer'} is {words}.")
        if overdue.what == "response" and rules.for_law(law.id).review_needed_for_no_reply:
            return NextAction(
                action="request_internal_review",
                why=f"The answer is {words}. {law.short_name} needs {_a(review)} of the failure to answer before "
                f"{regulator_name(law)} can act.",
            )
        return NextAction(
            action="complain_to_regulator",
            why=f"The {'review' if overdue.what == 'review' else 'answer'} is {words}"
            + ("; no internal review is needed when there is no answer at all." if overdue.what == "response" else "."),
        )
    if status == CaseStatus.CLARIFICATION_REQUESTED:
        return NextAction(action="clarify_request", why="They cannot answer until you say more precisely what you want.")
    if status == CaseStatus.FEE_REQUESTED:
        return NextAction(action="pay_fee", why="The clock stops until you do.")
    if status in {CaseStatus.AWAITING_RESPONSE, CaseStatus.ACKNOWLEDGED, CaseStatus.DELAYED}:
        due = d.answer_due
        return NextAction(action="wait", by=due, why=f"The answer is due by {fmt(due)}." if due else "Wait for their answer.")
    if status in {CaseStatus.PARTIAL_DISCLOSURE, CaseStatus.REFUSED, CaseStatus.NOT_HELD}:
        if d.internal_review_by and today <= d.internal_review_by:
            return NextAction(
                action="request_internal_review",
                by=d.internal_review_by,
                why="If you disagree with the decision or think something was missed.",
            )
        if not regulator.requires_internal_review and d.regulator_by and today <= d.regulator_by:
            return NextAction(action="complain_to_regulator", by=d.regulator_by, why="If you disagree with the decision.")
        return NextAction(action="none", why="The window for challenging the decision has passed.")
    if status == CaseStatus.FULL_DISCLOSURE:
        if d.days_late and d.internal_review_by and today <= d.internal_review_by:
            return NextAction(
                action="request_internal_review",
                by=d.internal_review_by,
                why=f"It came {d.days_late} working days late; you may ask for {_a(review)} about the delay.",
            )
        return NextAction(action="none", why="Check that what they sent answers your request.")
    if status == CaseStatus.REVIEW_REQUESTED:
        due = d.review_response_due
        return NextAction(action="wait", by=due, why=f"The review answer is due by {fmt(due)}." if due else "Wait for the review.")
    if status in {CaseStatus.REVIEW_UPHELD, CaseStatus.REVIEW_PARTLY}:
        if d.regulator_by and today <= d.regulator_by:
            return NextAction(
                action="complain_to_regulator",
                by=d.regulator_by,
                why="If you still disagree after the review.",
            )
        return NextAction(action="none", why="The window for a complaint to the regulator has passed.")
    if status == CaseStatus.REVIEW_OVERTURNED:
        return NextAction(action="wait", why="The review found for you: wait for the information they now agree to release.")
    return NextAction(action="none")


def _titled(action: NextAction, law: Law) -> NextAction:
    return action.model_copy(update={"title": action_title(action.action, law)})


def _upcoming(status: CaseStatus, d: CaseDeadlines, law: Law) -> list[DeadlineItem]:
    """The deadlines still open in this status (the digest keeps those in the next 7 days)."""
    if status in INACTIVE:
        return []
    items: list[DeadlineItem] = []
    if status in {CaseStatus.AWAITING_RESPONSE, CaseStatus.ACKNOWLEDGED, CaseStatus.DELAYED}:
        if d.extended_due:
            items.append(DeadlineItem(day=d.extended_due, kind="extended_due", who="authority", what="extended deadline for their answer"))
        elif d.response_due:
            items.append(DeadlineItem(day=d.response_due, kind="response_due", who="authority", what="their answer is due"))
    if status in {CaseStatus.PARTIAL_DISCLOSURE, CaseStatus.REFUSED, CaseStatus.NOT_HELD} and d.internal_review_by:
        items.append(
            DeadlineItem(day=d.internal_review_by, kind="internal_review_by", who="you", what=f"last day to ask for {_a(law.internal_review.name)}")
        )
    if status == CaseStatus.REVIEW_REQUESTED and d.review_response_due:
        items.append(DeadlineItem(day=d.review_response_due, kind="review_response_due", who="authority", what="their review answer is due"))
    if status in {CaseStatus.REVIEW_UPHELD, CaseStatus.REVIEW_PARTLY, CaseStatus.REFUSED, CaseStatus.PARTIAL_DISCLOSURE, CaseStatus.NOT_HELD} and d.regulator_by:
        items.append(
            DeadlineItem(day=d.regulator_by, kind="regulator_by", who="you", what=f"last day to complain to {law.regulator.short_name}")
        )
    return items


def _skipped(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> str:
    skipped = calendar.skipped_holidays(start, end)
    return ", skipping " + ", ".join(f"{fmt(day)} ({name})" for day, name in skipped) if skipped else ""


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
