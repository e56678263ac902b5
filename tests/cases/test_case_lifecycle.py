"""A request followed from acknowledgement to late partial disclosure to internal review and beyond,
with a frozen clock and the real UK calendar (Christmas 2026 and Scotland's 4 January 2027 skipped)."""

from __future__ import annotations

import datetime as dt

import time_machine

from bot.cases import CaseEvent, CaseStatus, load_case_rules, view_case
from bot.model import Outcome
from bot.rulebook import load_rulebook

from .conftest import at

D = dt.date


def view(store, case_id, today):
    return store.view(case_id, today)


def test_acknowledgement_to_late_partial_disclosure_to_internal_review(store, feed):
    with time_machine.travel(at(2026, 12, 7, 9, 15), tick=False):
        ack_key, case_id = feed("hartwell_01_ack.eml")
        case = view(store, case_id, D(2026, 12, 7))
    assert case.status == CaseStatus.ACKNOWLEDGED
    assert case.deadlines.request_date == D(2026, 12, 4)
    # 20 UK working days from Fri 4 Dec 2026: Christmas Day, Boxing Day (observed, Mon 28 Dec),
    # New Year's Day and Scotland's New Year holiday (observed, Mon 4 Jan) do not count
    assert case.deadlines.response_due == D(2027, 1, 7)
    explanation = " ".join(case.deadlines.explanation)
    for holiday in ("25 December 2026", "28 December 2026", "1 January 2027", "4 January 2027"):
        assert holiday in explanation
    assert case.next_action.action == "wait" and case.next_action.by == D(2027, 1, 7)
    assert case.overdue is None

    # a week late and nothing yet: a reminder
    late = view(store, case_id, D(2027, 1, 14))
    assert late.overdue and late.overdue.what == "response" and late.overdue.working_days_late == 5
    assert late.next_action.action == "chase"
    # long overdue: straight to the ICO, no internal review needed for a missing reply in the UK
    very_late = view(store, case_id, D(2027, 1, 28))
    assert very_late.overdue.working_days_late == 15
    assert very_late.next_action.action == "complain_to_regulator"
    assert "no internal review is needed" in very_late.next_action.why

    with time_machine.travel(at(2027, 1, 21, 16, 0), tick=False):
        _, same_case = feed("hartwell_02_partial_late.eml")
    assert same_case == case_id  # the reference FOI-2026-0917 from the same domain ties them
    case = view(store, case_id, D(2027, 1, 22))
    assert case.status == CaseStatus.PARTIAL_DISCLOSURE
    assert case.overdue is None
    assert case.deadlines.decided_on == D(2027, 1, 21)
    assert case.deadlines.days_late == 10
    assert set(case.exemptions) == {"s43(2)", "s40(2)"}
    assert case.next_action.action == "request_internal_review"
    assert case.deadlines.internal_review_by == D(2027, 3, 19)  # 40 working days from the letter
    assert [item.kind for item in case.upcoming] == ["internal_review_by"]

    with time_machine.travel(at(2027, 2, 2, 10, 30), tick=False):
        _, same_case = feed("hartwell_03_review_ack.eml")
    assert same_case == case_id
    case = view(store, case_id, D(2027, 2, 3))
    # an acknowledgement never overrides a decision, but this one acknowledges the review request
    assert case.status == CaseStatus.REVIEW_REQUESTED
    assert case.deadlines.review_requested_on == D(2027, 2, 1)
    assert case.deadlines.review_response_due == D(2027, 3, 1)
    assert case.next_action.action == "wait" and case.next_action.by == D(2027, 3, 1)
    assert view(store, case_id, D(2027, 3, 4)).overdue.what == "review"

    with time_machine.travel(at(2027, 3, 1, 12, 0), tick=False):
        feed("hartwell_04_review_upheld.eml")
    case = view(store, case_id, D(2027, 3, 2))
    assert case.status == CaseStatus.REVIEW_UPHELD
    assert case.deadlines.regulator_by == D(2027, 4, 12)  # the ICO's six weeks
    assert case.next_action.action == "complain_to_regulator" and case.next_action.by == D(2027, 4, 12)
    assert [e.outcome for e in case.events] == [
        Outcome.ACKNOWLEDGEMENT,
        Outcome.PARTIAL_DISCLOSURE,
        Outcome.ACKNOWLEDGEMENT,
        Outcome.REVIEW_DECISION,
    ]
    assert len(store.views(D(2027, 3, 2))) == 1


def test_recording_the_same_reply_twice_changes_nothing(store, feed):
    with time_machine.travel(at(2026, 12, 7), tick=False):
        _, first = feed("hartwell_01_ack.eml")
        _, again = feed("hartwell_01_ack.eml")
    assert first == again
    assert len(store.timelines()[0][3]) == 1


def _event(kind_outcome, day, **extra):
    return CaseEvent(
        kind="reply",
        key=f"<{kind_outcome}-{day}@x.example>",
        at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
        outcome=kind_outcome,
        letter_date=day,
        **extra,
    )


def test_scotland_needs_a_review_of_a_missing_reply_before_the_commissioner():
    rulebook = load_rulebook()
    law = rulebook.law("scotland_foisa")
    events = [_event(Outcome.ACKNOWLEDGEMENT, D(2027, 2, 2), request_received=D(2027, 2, 1))]
    case = view_case(1, "r@x.example", events, law, rulebook.calendar(law), load_case_rules(), today=D(2027, 4, 20))
    assert case.overdue.what == "response"
    assert case.next_action.action == "request_internal_review"
    assert "requirement for review" in case.next_action.why


def test_an_acknowledgement_after_a_decision_does_not_override_it_and_an_extension_counts():
    rulebook = load_rulebook()
    law = rulebook.law("uk_foia")
    cal = rulebook.calendar(law)
    rules = load_case_rules()
    ack = _event(Outcome.ACKNOWLEDGEMENT, D(2026, 12, 7), request_received=D(2026, 12, 4))
    # a public-interest extension notice before the deadline, naming a date beyond what is reasonable
    delay = _event(Outcome.DELAY, D(2027, 1, 6), stated_extended_due=D(2027, 3, 31))
    case = view_case(1, "r@x.example", [ack, delay], law, cal, rules, today=D(2027, 1, 20))
    assert case.status == CaseStatus.DELAYED
    assert case.deadlines.extended_due == D(2027, 2, 4)  # capped at 20 more working days
    assert case.overdue is None and case.next_action.by == D(2027, 2, 4)

    refused = _event(Outcome.REFUSED, D(2027, 2, 1), exemptions=("s31(1)(a)",))
    stray_ack = _event(Outcome.ACKNOWLEDGEMENT, D(2027, 2, 3))
    case = view_case(1, "r@x.example", [ack, delay, refused, stray_ack], law, cal, rules, today=D(2027, 2, 4))
    assert case.status == CaseStatus.REFUSED
    assert case.deadlines.days_late == 0

    # an extension notice sent after the deadline extends nothing
    late_delay = _event(Outcome.DELAY, D(2027, 1, 12))
    case = view_case(1, "r@x.example", [ack, late_delay], law, cal, rules, today=D(2027, 1, 13))
    assert case.deadlines.extended_due is None
    assert case.overdue.working_days_late == 4
    assert any("does not extend it" in line for line in case.deadlines.explanation)


def test_a_clarification_stops_the_clock_until_a_later_letter_dates_the_restart():
    rulebook = load_rulebook()
    law = rulebook.law("uk_foia")
    cal = rulebook.calendar(law)
    rules = load_case_rules()
    ack = _event(Outcome.ACKNOWLEDGEMENT, D(2026, 11, 3), request_received=D(2026, 11, 2))
    clarify = _event(Outcome.CLARIFICATION_REQUESTED, D(2026, 11, 10))
    case = view_case(1, "r@x.example", [ack, clarify], law, cal, rules, today=D(2027, 1, 20))
    assert case.status == CaseStatus.CLARIFICATION_REQUESTED
    assert case.overdue is None and case.next_action.action == "clarify_request"
    assert case.deadlines.response_due is None
    # their acknowledgement of the clarified request restarts the 20 working days
    restarted = _event(Outcome.ACKNOWLEDGEMENT, D(2026, 11, 20), request_received=D(2026, 11, 19))
    case = view_case(1, "r@x.example", [ack, clarify, restarted], law, cal, rules, today=D(2026, 12, 1))
    assert case.status == CaseStatus.ACKNOWLEDGED
    assert case.deadlines.request_date == D(2026, 11, 19)
    assert case.deadlines.response_due == D(2026, 12, 18)  # St Andrew's Day (Scotland, 30 Nov) skipped
