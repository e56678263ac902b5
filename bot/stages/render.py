"""Render stage: Triage -> the plain-text and HTML summary the requester reads.

Substance first ("What you got"), then lateness, then the next steps with dates, then
the evidence, then the review draft. Text from the reply is never copied raw into HTML:
the HTML template is autoescaped.
"""

from __future__ import annotations

from bot.model import Outcome, Triage
from bot.rulebook import Law, Rulebook
from bot.stages.advise import regulator_name
from bot.stages.deadlines import fmt
from bot.stages.templates import render_template

ACTION_WORDS = {
    "request_internal_review": "{review_step}",
    "complain_to_regulator": "Complain to {regulator}",
    "clarify_request": "Reply to clarify your request",
    "narrow_request": "Narrow your request",
    "pay_fee": "Pay the fee",
    "wait": "Wait",
    "chase": "Send a reminder",
}


def _context(triage: Triage, law: Law, rulebook: Rulebook) -> dict:
    advice = rulebook.advice
    steps = []
    for step in triage.next_steps:
        title = ACTION_WORDS.get(step.action, step.action.replace("_", " ").capitalize()).format(
            review_step=law.templates.get(
                "review_step", "Ask for " + _a(law.templates.get("review_request", law.internal_review.name))
            ),
            regulator=regulator_name(law),
        )
        steps.append({"title": title, "by": fmt(step.by) if step.by else "", "why": step.why, "draft": step.draft})
    draft = next((s.draft for s in triage.next_steps if s.draft), None)
    return {
        "t": triage,
        "law": law,
        "got": advice["outcome_words"][triage.outcome.value],
        "short": advice["outcome_short"][triage.outcome.value],
        "late": bool(triage.deadlines.days_late),
        "delay_label": Outcome.DELAY in triage.labels and triage.outcome != Outcome.DELAY,
        "steps": steps,
        "draft": draft,
        "fmt": fmt,
        "letter_date": triage.dates.get("letter"),
    }


def summary_text(triage: Triage, law: Law, rulebook: Rulebook) -> str:
    return render_template("summary.txt.j2", **_context(triage, law, rulebook)).strip() + "\n"


def summary_html(triage: Triage, law: Law, rulebook: Rulebook) -> str:
    return render_template("summary.html.j2", **_context(triage, law, rulebook))


def outcome_short(triage: Triage, rulebook: Rulebook) -> str:
    return rulebook.advice["outcome_short"][triage.outcome.value]


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
