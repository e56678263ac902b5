"""Advise stage: outcome + deadlines + law -> ordered next steps, with a review draft.

Which step follows which outcome is a short procedure here; the words (arguments per
exemption and ground, what each law calls its review and regulator) are data in
rules/advice.toml and rules/law/*.toml, and the draft is a jinja2 template.
"""

from __future__ import annotations

import datetime as dt

from bot.model import Classification, Deadlines, Facts, NextStep, Outcome
from bot.rulebook import Law, Rulebook
from bot.stages.deadlines import fmt
from bot.stages.templates import render_template

DISPUTABLE = {Outcome.REFUSED, Outcome.PARTIAL_DISCLOSURE, Outcome.NOT_HELD}
LONG_OVERDUE_FACTOR = 2  # twice the response limit without an answer: go to the regulator


def regulator_name(law: Law) -> str:
    """"the ICO", "the Ombudsman": the regulator as it reads inside a sentence."""
    short = law.regulator.short_name
    return short if short.lower().startswith("the ") else f"the {short}"


def law_word(law: Law, key: str, default: str) -> str:
    return law.templates.get(key, default)


def review_points(verdict: Classification, deadlines: Deadlines, law: Law, rulebook: Rulebook, facts: Facts) -> list[str]:
    advice = rulebook.advice
    points: list[str] = []
    for exemption in verdict.exemptions:
        topic = exemption_topic(exemption.name, law, advice["topics"])
        if topic:
            points.extend(p for p in topic["points"] if p not in points)
    for ground in verdict.refusal_grounds:
        if ground == "exemption" and points:
            continue
        for point in advice["grounds"].get(ground, {}).get("points", []):
            if point not in points:
                points.append(point)
    if any(e.kind == "qualified" for e in verdict.exemptions):
        points.extend(p for p in advice["grounds"]["public_interest"]["points"] if p not in points)
    if deadlines.days_late:
        for point in advice["grounds"]["late"]["points"]:
            points.append(
                point.format(
                    response_limit=law.response.duration.describe(),
                    response_due=fmt(deadlines.response_due) if deadlines.response_due else "the deadline",
                    letter_date=fmt(facts.dates["letter"]) if "letter" in facts.dates else "later",
                    days_late=plural(deadlines.days_late, "working day"),
                )
            )
    return points


def exemption_topic(name: str, law: Law, topics: list[dict]) -> dict | None:
    """The advice topic of an exemption, from the words of its name in the law file."""
    lowered = name.lower()
    for topic in topics:
        if topic.get("laws") and law.id not in topic["laws"]:
            continue
        if any(word in lowered for word in topic["keywords"]):
            return topic
    return None


def review_draft(
    verdict: Classification, facts: Facts, deadlines: Deadlines, law: Law, rulebook: Rulebook, *, to_regulator: bool = False
) -> str:
    """The letter asking for a review, or (where the law has none) the complaint to the regulator."""
    review_name = law.templates.get("review_request", law.internal_review.name)
    authority = facts.authority or "the authority"
    default_opening = "I am writing to request " + _a(review_name) + " of the handling of my request by {authority}"
    return render_template(
        "internal_review.txt.j2",
        law=law,
        opening=law.templates.get("draft_opening", default_opening).format(authority=authority),
        to_regulator=to_regulator,
        regulator=law.regulator.name,
        review_name=review_name,
        law_phrase=law_word(law, "law_phrase", f"the {law.name}"),
        authority=authority,
        reference=facts.reference,
        requester=facts.requester,
        received=facts.dates.get("request_received"),
        letter_date=facts.dates.get("letter"),
        exemptions=verdict.exemptions,
        outcome=verdict.outcome,
        points=review_points(verdict, deadlines, law, rulebook, facts),
        fmt=fmt,
    ).strip()


def advise(
    verdict: Classification,
    facts: Facts,
    deadlines: Deadlines,
    law: Law,
    rulebook: Rulebook,
    *,
    today: dt.date,
) -> list[NextStep]:
    outcome = verdict.outcome
    review = law.internal_review.name
    regulator = law.regulator
    steps: list[NextStep] = []
    late = bool(deadlines.days_late)

    def complain_after_review() -> NextStep:
        window = regulator.complaint_window.describe() if regulator.complaint_window else None
        return NextStep(
            action="complain_to_regulator",
            by=None,
            why=f"Only if the {review} does not put it right" + (f"; within {window} of its outcome." if window else "."),
        )

    if outcome in DISPUTABLE or (late and outcome in {Outcome.FULL_DISCLOSURE}):
        if "cost_limit" in verdict.refusal_grounds:
            steps.append(
                NextStep(
                    action="narrow_request",
                    by=None,
                    why="A narrower request (a shorter period, fewer records) can fall within the cost limit; ask what could be provided within it.",
                )
            )
        if law.internal_review.request_within is not None or regulator.requires_internal_review:
            reasons = []
            if outcome != Outcome.FULL_DISCLOSURE:
                reasons.append("they withheld information" if outcome != Outcome.NOT_HELD else "they say they do not hold it")
            if late:
                reasons.append(f"the reply was {plural(deadlines.days_late, 'working day')} late")
            steps.append(
                NextStep(
                    action="request_internal_review",
                    by=deadlines.internal_review_by,
                    why=(" and ".join(reasons) + ".").capitalize() if reasons else "",
                    draft=review_draft(verdict, facts, deadlines, law, rulebook),
                )
            )
            if regulator.requires_internal_review:
                steps.append(complain_after_review())
        if not regulator.requires_internal_review:
            steps.append(
                NextStep(
                    action="complain_to_regulator",
                    by=deadlines.regulator_by,
                    why=f"There is no internal review under {law.short_name}: go to {regulator_name(law)} directly.",
                    draft=review_draft(verdict, facts, deadlines, law, rulebook, to_regulator=True)
                    if law.internal_review.request_within is None
                    else None,
                )
            )
    elif outcome == Outcome.REVIEW_DECISION:
        if verdict.review_result == "overturned":
            steps.append(NextStep(action="wait", by=None, why="The review found in your favour: wait for the information they now agree to release."))
        else:
            steps.append(
                NextStep(
                    action="complain_to_regulator",
                    by=deadlines.regulator_by,
                    why=f"The {review} did not give you everything: you can complain to {regulator_name(law)}.",
                )
            )
    elif outcome in {Outcome.DELAY, Outcome.ACKNOWLEDGEMENT}:
        due = deadlines.extended_due or deadlines.response_due
        if due and today > due:
            overdue = today - due
            limit_days = law.response.n * (7 / 5 if law.response.unit == "working_days" else 1)
            if overdue.days > LONG_OVERDUE_FACTOR * limit_days / 2 and not (regulator.requires_internal_review and law.id.startswith("scotland")):
                steps.append(NextStep(action="complain_to_regulator", by=None, why=f"The answer is long overdue (due {fmt(due)}): complain to {regulator_name(law)}."))
            else:
                steps.append(NextStep(action="chase", by=None, why=f"The answer was due on {fmt(due)}: send a reminder."))
        else:
            steps.append(
                NextStep(
                    action="wait",
                    by=due,
                    why=(f"Nothing to do until {fmt(due)}, when the answer is due." if due else "Nothing to do yet; foibot will remind you if the answer is late."),
                )
            )
    elif outcome == Outcome.CLARIFICATION_REQUESTED:
        steps.append(
            NextStep(
                action="clarify_request",
                by=None,
                why="They cannot answer until you say more precisely what you want; the clock usually restarts when you reply.",
            )
        )
    elif outcome == Outcome.FEE_NOTICE:
        steps.append(NextStep(action="pay_fee", by=None, why="Pay the fee if the information is worth it to you; they need not answer until you do."))
        steps.append(NextStep(action="narrow_request", by=None, why="Or narrow the request so that no fee is due."))
    return steps


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
