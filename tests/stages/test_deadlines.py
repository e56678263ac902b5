"""Working days, due dates and review windows, with the real holiday calendars of each law."""

import datetime as dt

import pytest

from bot.model import Classification, Facts, Outcome
from bot.rulebook import Duration, add_months, load_rulebook
from bot.stages.deadlines import compute_deadlines

D = dt.date


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook()


def verdict(outcome=Outcome.REFUSED, window=None):
    return Classification(outcome=outcome, labels=(outcome,), confidence=0.9, needs_review=False, stated_review_window=window)


def test_uk_working_days_skip_a_bank_holiday_in_any_part_of_the_uk(rulebook):
    cal = rulebook.calendar(rulebook.law("uk_foia"))
    assert not cal.is_working_day(D(2018, 3, 19))  # St Patrick's Day (observed), Northern Ireland only
    assert not cal.is_working_day(D(2018, 3, 30))  # Good Friday
    assert not cal.is_working_day(D(2018, 4, 2))  # Easter Monday (not Scotland)
    assert not cal.is_working_day(D(2018, 1, 2))  # Scotland only
    assert not cal.is_working_day(D(2022, 9, 19))  # state funeral, one-off
    assert cal.is_working_day(D(2018, 3, 20))


def test_scottish_calendar_has_only_scottish_bank_holidays(rulebook):
    cal = rulebook.calendar(rulebook.law("scotland_foisa"))
    assert not cal.is_working_day(D(2018, 1, 2))
    assert cal.is_working_day(D(2018, 3, 19))
    assert cal.is_working_day(D(2018, 4, 2))


def test_seed_letter_dates(rulebook):
    """DWP FOI 784: received 26 Feb 2018, answered 17 Apr 2018, review within two months."""
    law = rulebook.law("uk_foia")
    facts = Facts(dates={"request_received": D(2018, 2, 26), "letter": D(2018, 4, 17)})
    due = compute_deadlines(facts, verdict(window="2 months"), law, rulebook.calendar(law), today=D(2026, 1, 1))
    assert due.response_due == D(2018, 3, 27)
    assert due.days_late == 13
    assert due.working_days_taken == 33
    assert due.internal_review_by == D(2018, 6, 17)
    assert any("19 March 2018" in line for line in due.explanation)


def test_default_review_window_is_forty_working_days(rulebook):
    law = rulebook.law("uk_foia")
    facts = Facts(dates={"request_received": D(2023, 5, 2), "letter": D(2023, 5, 30)})
    due = compute_deadlines(facts, verdict(), law, rulebook.calendar(law), today=D(2023, 6, 1))
    assert due.days_late == 0
    assert due.internal_review_by == rulebook.calendar(law).add(D(2023, 5, 30), Duration(n=40, unit="working_days"))


def test_christmas_new_year_and_scottish_2_january_do_not_count(rulebook):
    law = rulebook.law("uk_foia")
    cal = rulebook.calendar(law)
    # received Fri 15 Dec 2023: 25 and 26 Dec, 1 Jan and Scotland's 2 Jan are skipped
    assert cal.add_working_days(D(2023, 12, 15), 20) == D(2024, 1, 18)


def test_review_decision_opens_the_regulator_window(rulebook):
    law = rulebook.law("uk_foia")
    facts = Facts(dates={"letter": D(2024, 3, 1)})
    due = compute_deadlines(facts, verdict(Outcome.REVIEW_DECISION), law, rulebook.calendar(law), today=D(2024, 3, 2))
    assert due.regulator_by == D(2024, 4, 12)  # six weeks
    assert due.internal_review_by is None


def test_pending_reply_has_no_lateness_yet(rulebook):
    law = rulebook.law("uk_foia")
    facts = Facts(dates={"request_received": D(2024, 1, 10), "letter": D(2024, 1, 11)})
    due = compute_deadlines(facts, verdict(Outcome.ACKNOWLEDGEMENT), law, rulebook.calendar(law), today=D(2024, 1, 12))
    assert due.response_due == D(2024, 2, 7)
    assert due.days_late is None


def test_add_months_clamps_to_month_end():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 12, 15), 2) == D(2024, 2, 15)
