"""Advice and rendering: which steps follow which outcome, the drafts, and safe HTML."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.model import Classification, Deadlines, Exemption, Facts, Outcome, Person, ReviewReason, Triage
from bot.rulebook import load_rulebook
from bot.stages import render
from bot.stages.advise import advise, exemption_topic

D = dt.date


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook()


def verdict(outcome, exemptions=(), grounds=("exemption",)):
    return Classification(
        outcome=outcome,
        labels=(outcome,),
        confidence=0.9,
        needs_review=False,
        exemptions=tuple(exemptions),
        refusal_grounds=tuple(grounds) if exemptions or outcome == Outcome.REFUSED else (),
    )


FACTS = Facts(
    authority="Northmoor District Council",
    reference="FOI-2024-0117",
    requester=Person(name="Asha Desai", email="asha@example.org"),
    dates={"request_received": D(2024, 3, 1), "letter": D(2024, 4, 16)},
)


def test_refusal_under_foia_asks_for_internal_review_then_the_ico(rulebook):
    law = rulebook.law("uk_foia")
    exemption = Exemption(citation="s43(2)", name="Commercial interests", kind="qualified", evidence="...")
    due = Deadlines(response_due=D(2024, 3, 28), days_late=13, internal_review_by=D(2024, 6, 13))
    steps = advise(verdict(Outcome.REFUSED, [exemption]), FACTS, due, law, rulebook, today=D(2024, 4, 20))
    assert [s.action for s in steps] == ["request_internal_review", "complain_to_regulator"]
    assert steps[0].by == D(2024, 6, 13)
    draft = steps[0].draft
    assert draft.startswith("Subject: Internal review: FOI-2024-0117")
    assert "Dear Northmoor District Council," in draft
    assert "s43(2) (Commercial interests)" in draft
    assert "commercial interests would be prejudiced" in draft
    assert "13 working days late" in draft
    assert draft.rstrip().endswith("Asha Desai")


def test_cost_limit_refusal_suggests_narrowing_first(rulebook):
    law = rulebook.law("uk_foia")
    s12 = Exemption(citation="s12", name="Cost of compliance exceeds the appropriate limit", kind="absolute")
    steps = advise(verdict(Outcome.REFUSED, [s12], grounds=("cost_limit",)), FACTS, Deadlines(), law, rulebook, today=D(2024, 4, 20))
    assert [s.action for s in steps][:2] == ["narrow_request", "request_internal_review"]
    assert "breakdown of the estimate" in steps[1].draft


def test_new_zealand_has_no_internal_review_so_the_draft_goes_to_the_ombudsman(rulebook):
    law = rulebook.law("nz_oia")
    exemption = Exemption(citation="s9(2)(a)", name="Protect the privacy of natural persons", kind="qualified")
    steps = advise(verdict(Outcome.REFUSED, [exemption]), FACTS, Deadlines(), law, rulebook, today=D(2024, 4, 20))
    assert [s.action for s in steps] == ["complain_to_regulator"]
    assert "Dear Office of the Ombudsman" in steps[0].draft
    assert "I wish to complain" in steps[0].draft


@pytest.mark.parametrize(
    "today,action",
    [(D(2024, 3, 20), "wait"), (D(2024, 4, 3), "chase"), (D(2024, 6, 3), "complain_to_regulator")],
)
def test_pending_reply_wait_then_chase_then_complain(rulebook, today, action):
    law = rulebook.law("uk_foia")
    steps = advise(verdict(Outcome.ACKNOWLEDGEMENT), FACTS, Deadlines(response_due=D(2024, 3, 28)), law, rulebook, today=today)
    assert steps[0].action == action


def test_clarification_and_fee_notices(rulebook):
    law = rulebook.law("uk_foia")
    assert [s.action for s in advise(verdict(Outcome.CLARIFICATION_REQUESTED), FACTS, Deadlines(), law, rulebook, today=D(2024, 4, 1))] == ["clarify_request"]
    assert [s.action for s in advise(verdict(Outcome.FEE_NOTICE), FACTS, Deadlines(), law, rulebook, today=D(2024, 4, 1))] == ["pay_fee", "narrow_request"]
    assert advise(verdict(Outcome.FULL_DISCLOSURE), FACTS, Deadlines(), law, rulebook, today=D(2024, 4, 1)) == []


def test_advice_topic_follows_the_law_not_the_number(rulebook):
    topics = rulebook.advice["topics"]
    foisa, foia = rulebook.law("scotland_foisa"), rulebook.law("uk_foia")
    assert exemption_topic(foisa.lookup("s38(1)(b)").name, foisa, topics)["name"] == "personal_data"
    assert exemption_topic(foia.lookup("s38(1)(a)").name, foia, topics)["name"] == "health_safety"
    assert exemption_topic(foia.lookup("s36(2)(b)(i)").name, foia, topics)["name"] == "qualified_person"


def triaged(outcome: Outcome, confidence: float = 0.9, **fields) -> Triage:
    """A UK triage result with only what a rendering test needs."""
    return Triage(
        outcome=outcome,
        labels=[outcome],
        confidence=confidence,
        needs_review=fields.pop("needs_review", bool(fields.get("review_reason"))),
        jurisdiction="uk_foia",
        **fields,
    )


def summaries(triage: Triage, rulebook) -> tuple[str, str]:
    law = rulebook.law(triage.jurisdiction)
    return render.summary_text(triage, law, rulebook), render.summary_html(triage, law, rulebook)


def test_html_summary_escapes_what_came_from_the_reply(rulebook):
    triage = triaged(
        Outcome.REFUSED,
        authority='<img src=x onerror="alert(1)">',
        evidence=["The <script>steal()</script> information is withheld."],
    )
    text, html = summaries(triage, rulebook)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert text.startswith("What you got: a refusal.")


@pytest.mark.parametrize(
    ("reason", "confidence", "says"),
    [
        (ReviewReason.LOW_CONFIDENCE, 0.25, "foibot is not sure about this one (confidence 25%)"),
        # the rules were sure; a confidence of 95% beside "not sure" would contradict itself
        (ReviewReason.SECOND_OPINION, 0.95, "a second reading of the wording finds that unlikely"),
    ],
)
def test_the_summary_says_why_a_reply_needs_checking(rulebook, reason, confidence, says):
    for summary in summaries(triaged(Outcome.DELAY, confidence, review_reason=reason), rulebook):
        assert says in summary
        assert "please read the reply yourself" in summary.lower()
        if reason == ReviewReason.SECOND_OPINION:
            assert "confidence" not in summary


def test_the_summary_says_what_was_not_read(rulebook):
    # a long release read only in part: the reading can stand, but the requester is told
    warning = "annex.pdf has 80 pages; only the first 50 were read."
    for summary in summaries(triaged(Outcome.FULL_DISCLOSURE, 0.95, warnings=[warning]), rulebook):
        assert f"Not everything was read: {warning}" in summary
