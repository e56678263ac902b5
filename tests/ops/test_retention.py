"""Retention: the worker's daily purge, `foibot purge`, and erasure after `forget me`.

Raw emails and letter text go; the message rows (dedupe), outcomes, exemptions, deadlines and
cases stay.
"""

from __future__ import annotations

import datetime as dt
import json
from email.message import EmailMessage

from bot.cli import main
from bot.config import load_settings
from bot.service.casestore import CaseStore
from bot.service.maintenance import RETENTION_META, erase_requester
from bot.service.state import State, address_hash, stamp, utcnow
from tests.ops.conftest import OWNER, deliver, letter, run_once, write_config

OLD_ID = "<hbc-5521@harbourfield.gov.example>"
NEW_ID = "<hbc-5522@harbourfield.gov.example>"


def two_answered_replies(tmp_path, triager, extra: str = ""):
    config = write_config(tmp_path / "foibot.toml", tmp_path / "data", extra)
    settings = load_settings(str(config), None)
    deliver(settings, "1.old", letter("harbourfield_declines.eml"))
    deliver(settings, "2.new", letter("harbourfield_declines.eml", **{OLD_ID: NEW_ID, "HBC-FOI-5521": "HBC-FOI-5522"}))
    assert run_once(settings, triager) == 0
    state = State(settings.state_file)
    assert state.counts()["sent"] == 2
    return config, settings, state


def age(state: State, key: str, days: int) -> None:
    """Pretend a message arrived `days` ago."""
    with state.transaction() as db:
        db.execute("UPDATE messages SET received_at = ? WHERE key = ?", (stamp(utcnow() - dt.timedelta(days=days)), key))


def purged(state: State, key: str) -> tuple[bool, bool]:
    row = state.db.execute("SELECT length(raw), raw_purged_at, text_purged_at, triage_json FROM messages WHERE key = ?", (key,)).fetchone()
    return row[1] is not None and row[0] == 0, row[2] is not None and "evidence" not in (row[3] or "") and "summary" not in (row[3] or "")


def test_the_worker_purges_old_raw_mail_and_text_once_a_day(tmp_path, triager):
    config, settings, state = two_answered_replies(tmp_path, triager, "[retention]\nraw_days = 30\ntext_days = 7")
    try:
        before = json.loads(state.message(OLD_ID).triage_json)
        assert "summary" in before and before["deadlines"]
        age(state, OLD_ID, 40)
    finally:
        state.close()
    # the first pass already ran today's retention (nothing was old then): not again within a day
    assert run_once(settings, triager) == 0
    state = State(settings.state_file)
    assert purged(state, OLD_ID) == (False, False)
    state.set_meta(RETENTION_META, stamp(utcnow() - dt.timedelta(days=1, minutes=1)))
    state.close()

    assert run_once(settings, triager) == 0
    state = State(settings.state_file)
    try:
        assert purged(state, OLD_ID) == (True, True)
        assert purged(state, NEW_ID) == (False, False)
        kept = json.loads(state.message(OLD_ID).triage_json)
        assert kept["outcome"] == before["outcome"] and kept["deadlines"] == before["deadlines"]
        assert kept["jurisdiction"] == before["jurisdiction"] and kept["text_deleted"] is True
        assert state.message(OLD_ID).outcome == "other" and state.message(OLD_ID).status == "answered"
        old_summary = state.db.execute("SELECT length(rfc822) FROM outbox WHERE message_key = ?", (OLD_ID,)).fetchone()[0]
        assert old_summary == 0
        assert state.counts()["sent"] == 2  # the record of what was sent stays
    finally:
        state.close()
    # the same email delivered again is still known: no second summary
    deliver(settings, "3.again", letter("harbourfield_declines.eml"))
    assert run_once(settings, triager) == 0
    state = State(settings.state_file)
    assert state.counts()["sent"] == 2
    state.close()


def test_purge_command_dry_run_then_raw_only_then_all(tmp_path, triager, capsys):
    config, settings, state = two_answered_replies(tmp_path, triager)
    age(state, OLD_ID, 10)
    with state.transaction() as db:  # a message still waiting to be processed is never purged
        db.execute(
            "INSERT INTO messages (key, raw, received_at, updated_at, status) VALUES ('<pending@x>', x'41', ?, ?, 'seen')",
            (stamp(utcnow() - dt.timedelta(days=90)), stamp(utcnow())),
        )
    state.close()
    capsys.readouterr()

    assert main(["purge", "--config", str(config), "--older-than", "5", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("would delete: 1 raw email(s), the letter text of 1 triage(s) and 1 sent summary")
    state = State(settings.state_file)
    assert purged(state, OLD_ID) == (False, False)
    state.close()

    assert main(["purge", "--config", str(config), "--older-than", "5", "--raw-only"]) == 0
    assert capsys.readouterr().out.startswith("deleted: 1 raw email(s), the letter text of 0 triage(s)")
    state = State(settings.state_file)
    assert purged(state, OLD_ID) == (True, False)
    state.close()

    assert main(["purge", "--config", str(config), "--older-than", "5", "--vacuum"]) == 0
    state = State(settings.state_file)
    try:
        assert purged(state, OLD_ID) == (True, True)
        assert purged(state, NEW_ID) == (False, False)
        assert state.message("<pending@x>").raw == b"A"
    finally:
        state.close()
    assert main(["purge", "--data-dir", str(tmp_path / "nowhere"), "--older-than", "5"]) == 2
    assert "no foibot state" in capsys.readouterr().err


def forget_me_email(summary_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Adaeze Okafor <{OWNER}>"
    message["To"] = "foibot@bot.example"
    message["Subject"] = "Re: FOI reply summary"
    message["Message-ID"] = "<forget-1@mail.example>"
    message["In-Reply-To"] = summary_id
    message["References"] = summary_id
    message.set_content("forget me\n\nThanks for everything.\n")
    return bytes(message)


def test_forget_me_through_the_worker_erases_raw_mail_triage_and_summaries_but_remembers_the_ids(tmp_path, triager):
    config, settings, state = two_answered_replies(tmp_path, triager)
    try:
        assert CaseStore(state).requesters() == [OWNER]  # the worker filed both replies
        summary_id = state.db.execute("SELECT summary_id FROM outbox WHERE message_key = ?", (OLD_ID,)).fetchone()[0]
    finally:
        state.close()
    deliver(settings, "3.forget", forget_me_email(summary_id))
    assert run_once(settings, triager) == 0

    state = State(settings.state_file)
    try:
        rows = state.db.execute("SELECT key, length(raw), triage_json, mailbox_id FROM messages ORDER BY key").fetchall()
        assert [tuple(r) for r in rows] == [
            ("<forget-1@mail.example>", 0, None, ""), (OLD_ID, 0, None, ""), (NEW_ID, 0, None, "")
        ]
        assert state.message("<forget-1@mail.example>").status == "skipped"
        assert state.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
        assert state.db.execute("SELECT COUNT(*) FROM send_log WHERE recipient_hash = ?", (address_hash(OWNER),)).fetchone()[0] == 0
        assert CaseStore(state).requesters() == []
        # the confirmation went out through the case mail queue
        assert state.db.execute("SELECT status FROM case_mail WHERE kind = 'confirmation'").fetchone()[0] == "sent"
        assert erase_requester(state, OWNER).messages == 0  # nothing left to erase
    finally:
        state.close()
    # delivered again after erasure: recognised by its Message-ID, not stored or answered again
    deliver(settings, "4.again", letter("harbourfield_declines.eml"))
    assert run_once(settings, triager) == 0
    state = State(settings.state_file)
    try:
        assert state.message(OLD_ID).raw == b""
        assert state.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    finally:
        state.close()
