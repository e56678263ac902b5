"""The daily digest: its content on a chosen day, its schedule, and exactly once per day,
even across a restart, a crash before sending, and missed days."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import time_machine
from icalendar import Calendar

from bot.service.casestore import CaseStore, DigestScheduler, send_due_digests
from bot.service.sender import MaildirTransport
from bot.service.state import State

from .conftest import DANA, IDENTITY, Feeder, at


def delivered(outbox: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted((outbox / "new").iterdir())
    ]


def part(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def setup_cases(feed):
    """Brackwater acknowledged 1 Dec (answer due 30 Dec), Hartwell acknowledged 7 Dec (due 7 Jan)."""
    with time_machine.travel(at(2026, 12, 1, 8, 45), tick=False):
        feed("brackwater_01_ack.eml")
    with time_machine.travel(at(2026, 12, 7, 9, 15), tick=False):
        feed("hartwell_01_ack.eml")


def test_digest_content_on_a_chosen_day(store, feed, tmp_path):
    setup_cases(feed)
    scheduler = DigestScheduler(store, "07:30", "Europe/London")
    outbox = tmp_path / "outbox"
    transport = MaildirTransport(outbox)

    # Mon 4 Jan 2027 (a bank holiday in Scotland, so not a UK FOIA working day): the first digest
    with time_machine.travel(at(2027, 1, 4, 7, 31), tick=False):
        first = send_due_digests(store, scheduler, IDENTITY, transport)
    assert [o.sent for o in first] == [True]
    with time_machine.travel(at(2027, 1, 4, 10, 0), tick=False):
        feed("kestrel_01_clarification.eml")  # a request to clarify, after the morning digest

    with time_machine.travel(at(2027, 1, 5, 7, 29), tick=False):
        assert scheduler.due() == []  # not before 07:30 local time
    with time_machine.travel(at(2027, 1, 5, 7, 31), tick=False):
        assert scheduler.due() == [DANA]
        digest = store.build_digest(DANA, dt.datetime.now(dt.UTC), scheduler.zone)
        outcomes = send_due_digests(store, scheduler, IDENTITY, transport)
    assert [o.sent for o in outcomes] == [True]

    # only what arrived since yesterday's digest is new
    assert [(line.title, line.outcome.value) for line in digest.new_replies] == [
        ("Kestrel Valley NHS Foundation Trust", "clarification_requested")
    ]
    # Brackwater's answer was due Wed 30 Dec; 31 Dec counts, 1 Jan and 4 Jan (Scotland) do not
    assert [(o.title, o.due, o.working_days_late) for o in digest.overdue] == [
        ("Brackwater Fire and Rescue Service", dt.date(2026, 12, 30), 2)
    ]
    assert "Send a reminder" in digest.overdue[0].todo
    assert [(u.day, u.kind, u.title) for u in digest.upcoming] == [
        (dt.date(2027, 1, 7), "response_due", "Hartwell District Council (FOI-2026-0917)")
    ]
    assert [w.status_words for w in digest.awaiting_you] == ["they asked you to clarify"]
    assert digest.headline == "1 new reply, 1 overdue, 1 deadline this week, 1 waiting for you"

    mails = delivered(outbox)
    assert len(mails) == 2
    latest = next(m for m in mails if "5 January 2027" in m["Subject"])
    assert latest["To"].addresses[0].addr_spec == DANA
    assert latest["Auto-Submitted"] == "auto-generated"
    assert latest["X-Foibot-Outcome"] == "digest"
    text = part(latest, "plain")
    assert "NEW REPLIES SINCE 4 JANUARY 2027" in text
    assert "Brackwater Fire and Rescue Service: their answer was due 30 December 2026, 2 working days late." in text
    assert "Thu 7 January 2027: Hartwell District Council (FOI-2026-0917): their answer is due." in text
    assert "WAITING FOR YOU" in text and "Clarify your request" in text
    html = part(latest, "html")
    assert "<h3>Deadlines in the next 7 days</h3>" in html and "Hartwell District Council" in html
    ics = next(p for p in latest.iter_attachments() if p.get_content_type() == "text/calendar")
    assert ics.get_filename() == "foi-deadlines.ics"
    events = Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert {(e.decoded("dtstart"), str(e["summary"])) for e in events} == {
        (dt.date(2027, 1, 7), "FOI: Hartwell District Council (FOI-2026-0917): their answer is due")
    }


def test_html_part_escapes_text_from_authorities(store, feed, tmp_path):
    from bot.digest import render_html

    setup_cases(feed)
    with time_machine.travel(at(2027, 1, 5, 8, 0), tick=False):
        digest = store.build_digest(DANA, dt.datetime.now(dt.UTC), DigestScheduler(store).zone)
    hostile = digest.model_copy(
        update={"overdue": tuple(o.model_copy(update={"subject": "<script>alert(1)</script>"}) for o in digest.overdue)}
    )
    html = render_html(hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_digest_sent_once_per_day_across_restarts_crashes_and_missed_days(tmp_path, triager):
    path = tmp_path / "state.sqlite3"
    outbox = tmp_path / "outbox"
    transport = MaildirTransport(outbox)

    def start():
        state = State(path)
        store = CaseStore(state)
        return state, store, DigestScheduler(store, "07:30", "Europe/London")

    state, store, scheduler = start()
    setup_cases(Feeder(store, triager))
    # the digest is recorded and queued, then the worker dies before it can send it
    with time_machine.travel(at(2027, 1, 5, 7, 40), tick=False):
        assert len(send_due_digests(store, scheduler, IDENTITY, transport=None)) == 1
    state.close()
    assert not (outbox / "new").exists() or not list((outbox / "new").iterdir())

    state, store, scheduler = start()  # restart: the queued digest goes out, no second one is built
    with time_machine.travel(at(2027, 1, 5, 7, 45), tick=False):
        assert send_due_digests(store, scheduler, IDENTITY, transport) == []
    assert len(delivered(outbox)) == 1
    with time_machine.travel(at(2027, 1, 5, 18, 0), tick=False):
        assert send_due_digests(store, scheduler, IDENTITY, transport) == []
        store.flush_mail(transport, IDENTITY.address)
    state.close()

    # the worker is down 6, 7 and 8 January; on the 9th one digest covers everything since the 5th
    state, store, scheduler = start()
    with time_machine.travel(at(2027, 1, 7, 12, 0), tick=False):
        Feeder(store, triager)("brackwater_02_refused.eml")
    with time_machine.travel(at(2027, 1, 9, 9, 0), tick=False):
        outcomes = send_due_digests(store, scheduler, IDENTITY, transport)
        digest_day = scheduler.local_day(dt.datetime.now(dt.UTC))
    assert [(o.day, o.sent) for o in outcomes] == [(digest_day, True)]
    mails = delivered(outbox)
    assert len(mails) == 2
    latest = next(m for m in mails if "9 January 2027" in m["Subject"])
    text = part(latest, "plain")
    assert "Brackwater Fire and Rescue Service: Refused." in text
    assert "NEW REPLIES SINCE 5 JANUARY 2027" in text
    rows = state.db.execute("SELECT day FROM digests_sent ORDER BY day").fetchall()
    assert [r[0] for r in rows] == ["2027-01-05", "2027-01-09"]
    state.close()


def test_nothing_is_sent_when_there_is_nothing_to_say_unless_configured(store, tmp_path, triager):
    from bot.model import Outcome, ParsedMessage, Triage

    transport = MaildirTransport(tmp_path / "outbox")
    scheduler = DigestScheduler(store, "07:30", "Europe/London")
    with time_machine.travel(at(2027, 1, 4, 12), tick=False):
        store.record_reply(
            "<done@orrin-water.example>",
            ParsedMessage(message_id="<done@orrin-water.example>", from_address="foi@orrin-water.example"),
            Triage(outcome=Outcome.FULL_DISCLOSURE, labels=[Outcome.FULL_DISCLOSURE], confidence=0.9,
                   needs_review=False, jurisdiction="uk_foia", authority="Orrin Water Authority"),
            "quiet@mail.example",
        )
    with time_machine.travel(at(2027, 1, 5, 8), tick=False):
        first = send_due_digests(store, scheduler, IDENTITY, transport)  # the new reply is news
    with time_machine.travel(at(2027, 1, 6, 8), tick=False):
        quiet = send_due_digests(store, scheduler, IDENTITY, transport)
        assert scheduler.due() == []  # the empty day is recorded too: decided once
    with time_machine.travel(at(2027, 1, 7, 8), tick=False):
        forced = send_due_digests(store, scheduler, IDENTITY, transport, send_when_empty=True)
    assert [(o.sent, o.empty) for o in first + quiet + forced] == [(True, False), (False, True), (True, True)]
    assert len(list((tmp_path / "outbox" / "new").iterdir())) == 2
    forced_mail = next(m for m in delivered(tmp_path / "outbox") if "7 January 2027" in m["Subject"])
    assert "Nothing new, nothing overdue and no deadline this week." in part(forced_mail, "plain")


def test_scheduler_follows_local_time_across_daylight_saving(store):
    scheduler = DigestScheduler(store, "07:30", "Europe/London")
    # in summer 07:30 London is 06:30 UTC
    assert scheduler.next_run(at(2027, 6, 1, 6, 0)) == at(2027, 6, 1, 6, 30)
    assert scheduler.next_run(at(2027, 6, 1, 6, 31)) == at(2027, 6, 2, 6, 30)
    assert scheduler.next_run(at(2027, 1, 5, 7, 0)) == at(2027, 1, 5, 7, 30)


def test_a_letter_forwarded_late_is_still_news_in_the_next_digest(store, triager, tmp_path):
    from bot.triage import parse_message

    from .conftest import FIXTURES

    scheduler = DigestScheduler(store, "07:30", "Europe/London")
    with time_machine.travel(at(2026, 12, 7, 9), tick=False):
        Feeder(store, triager)("hartwell_01_ack.eml")
    with time_machine.travel(at(2027, 1, 20, 8), tick=False):
        send_due_digests(store, scheduler, IDENTITY, MaildirTransport(tmp_path / "outbox"))
    # on the 21st the requester forwards a letter that reached them on the 18th
    raw = (FIXTURES / "hartwell_02_partial_late.eml").read_bytes()
    parsed = parse_message(raw, triager.limits)
    with time_machine.travel(at(2027, 1, 21, 18), tick=False):
        store.record_reply(parsed.message_id, parsed, triager.triage_message(parsed), DANA, at(2027, 1, 18, 9))
    with time_machine.travel(at(2027, 1, 22, 7, 45), tick=False):
        digest = store.build_digest(DANA, dt.datetime.now(dt.UTC), scheduler.zone)
    assert [line.outcome.value for line in digest.new_replies] == ["partial_disclosure"]
