"""Deadlines stage: dates + outcome + law -> Deadlines, each date with how it was computed.

Working days come from the law's calendar (`holidays` package tables named in
rules/law/<id>.toml): UK FOIA skips a bank holiday in any part of the UK, FOISA only
Scottish ones, and so on. Day 1 is the first working day after receipt.
"""

from __future__ import annotations

import datetime as dt

from bot.model import Classification, Deadlines, Facts, Outcome
from bot.rulebook import Duration, Law, WorkingCalendar

DECIDED = {
    Outcome.FULL_DISCLOSURE,
    Outcome.PARTIAL_DISCLOSURE,
    Outcome.REFUSED,
    Outcome.NOT_HELD,
    Outcome.REVIEW_DECISION,
}


def fmt(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def parse_window(text: str | None) -> Duration | None:
    """"2 months" / "40 working_days" (from the classify stage) -> Duration."""
    if not text:
        return None
    n, unit = text.split(" ", 1)
    return Duration(n=int(n), unit=unit)  # type: ignore[arg-type]


def compute_deadlines(
    facts: Facts,
    verdict: Classification,
    law: Law,
    calendar: WorkingCalendar,
    *,
    today: dt.date,
) -> Deadlines:
    received = facts.dates.get("request_received")
    letter_date = facts.dates.get("letter")
    explain: list[str] = []

    response_due = None
    working_days_taken = None
    days_late = None
    if received:
        response_due = calendar.add(received, law.response.duration)
        skipped = calendar.skipped_holidays(received, response_due)
        skipped_text = (
            ", skipping " + ", ".join(f"{fmt(d)} ({name})" for d, name in skipped) if skipped else ""
        )
        explain.append(
            f"Response due {fmt(response_due)}: {law.response.duration.describe()} after the request was "
            f"received on {fmt(received)} (day 1 is the next working day){skipped_text}."
        )
        answered_on = letter_date if verdict.outcome in DECIDED and letter_date else None
        if answered_on:
            working_days_taken = calendar.working_days_between(received, answered_on)
            days_late = max(0, calendar.working_days_between(response_due, answered_on))
            if days_late:
                explain.append(
                    f"The reply dated {fmt(answered_on)} came {days_late} working day"
                    f"{'s' if days_late != 1 else ''} after that ({working_days_taken} working days in all)."
                )
            else:
                explain.append(f"The reply dated {fmt(answered_on)} was within the time limit.")

    extended_due = facts.dates.get("extended_due") if verdict.outcome == Outcome.DELAY else None
    if verdict.outcome == Outcome.DELAY and extended_due is None and response_due and law.extension:
        extended_due = calendar.add(response_due, law.extension.duration)
        explain.append(
            f"An extension under {law.extension.provision or 'the law'} should normally end by "
            f"{fmt(extended_due)} ({law.extension.duration.describe()} after the original deadline)."
        )
    elif extended_due:
        explain.append(f"The authority now says it will answer by {fmt(extended_due)}.")

    internal_review_by = None
    review_response_due = None
    regulator_by = None
    base = letter_date or today
    if verdict.outcome in DECIDED and verdict.outcome != Outcome.REVIEW_DECISION:
        stated = parse_window(verdict.stated_review_window)
        window = stated or law.internal_review.request_within
        if window:
            internal_review_by = calendar.add(base, window)
            source = "as the letter says" if stated else f"the usual window for {law.short_name}"
            explain.append(
                f"Ask for {_article(law.internal_review.name)} by {fmt(internal_review_by)}: "
                f"{window.describe()} from the letter of {fmt(base)} ({source})."
            )
            if law.internal_review.answer_within:
                review_response_due = calendar.add(internal_review_by, law.internal_review.answer_within)
    regulator = law.regulator
    if regulator.complaint_window:
        if verdict.outcome == Outcome.REVIEW_DECISION or not regulator.requires_internal_review:
            if verdict.outcome in DECIDED:
                regulator_by = calendar.add(base, regulator.complaint_window)
                explain.append(
                    f"Complain to the regulator ({regulator.short_name}) by {fmt(regulator_by)}: "
                    f"{regulator.complaint_window.describe()} after this reply."
                )
    return Deadlines(
        response_due=response_due,
        working_days_taken=working_days_taken,
        days_late=days_late,
        internal_review_by=internal_review_by,
        review_response_due=review_response_due,
        regulator_by=regulator_by,
        extended_due=extended_due,
        explanation=tuple(explain),
    )


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
