"""`foibot reprocess`: stored raw replies re-read with changed rules (a copy of rules/ as rules_dir)."""

from __future__ import annotations

import email
import email.policy
import json

from bot.cli import main
from bot.config import load_settings
from bot.service.casestore import CaseStore
from bot.service.state import State
from bot.triage import parse_message
from tests.ops.conftest import OWNER, deliver, letter, run_once, write_config

REPLY_ID = "<hbc-5521@harbourfield.gov.example>"
NEW_RULE = "  { re = '\\bdeclines to (release|disclose|provide)\\b', w = 2.5 },\n"


def improve_rules(rules_dir) -> None:
    """The rule change under test: 'declines to release' is a refusal (the shipped rules miss it)."""
    classify = rules_dir / "classify.toml"
    text = classify.read_text()
    anchor = "  { re = '\\bdenied in full\\b', w = 2.5 },\n"
    assert anchor in text
    classify.write_text(text.replace(anchor, anchor + NEW_RULE))


def answered_reply(tmp_path, triager):
    """The worker answers the Harbourfield letter with the shipped rules; it is also filed as a case."""
    config = write_config(tmp_path / "foibot.toml", tmp_path / "data")
    settings = load_settings(str(config), None)
    deliver(settings, "1.harbourfield", letter("harbourfield_declines.eml"))
    assert run_once(settings, triager) == 0
    state = State(settings.state_file)
    try:
        row = state.message(REPLY_ID)
        assert (row.status, row.outcome) == ("answered", "other")
        parsed = parse_message(row.raw, settings.limits)
        case_id = CaseStore(state).record_reply(REPLY_ID, parsed, triager.triage_message(parsed), OWNER)
    finally:
        state.close()
    return config, settings, case_id


def outbox_files(settings):
    return sorted(p for sub in ("new", "cur") for p in (settings.outbox_path / sub).glob("*"))


def test_reprocess_shows_and_stores_the_new_outcome_without_resending(tmp_path, triager, rules_copy, monkeypatch, capsys):
    config, settings, case_id = answered_reply(tmp_path, triager)
    improve_rules(rules_copy)
    monkeypatch.setenv("FOIBOT_RULES_DIR", str(rules_copy))
    capsys.readouterr()

    assert main(["reprocess", "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{REPLY_ID}  other -> refused" in out
    assert "examined 1, changed 1, resent 0 (dry run: nothing stored)" in out
    state = State(settings.state_file)
    assert state.message(REPLY_ID).outcome == "other"
    state.close()

    assert main(["reprocess", "--config", str(config), "--case", str(case_id)]) == 0
    assert "other -> refused" in capsys.readouterr().out
    state = State(settings.state_file)
    try:
        row = state.message(REPLY_ID)
        assert row.outcome == "refused" and json.loads(row.triage_json)["outcome"] == "refused"
        log = state.db.execute("SELECT old_outcome, new_outcome, resent FROM reprocess_log").fetchall()
        assert [tuple(r) for r in log] == [("other", "refused", 0)]
        # the case follows the new reading; the summary already sent is neither queued nor sent again
        _, as_triaged, _ = CaseStore(state).reply_event(REPLY_ID)
        assert as_triaged.outcome == "refused"
        assert state.counts()["queued"] == 0 and state.counts()["sent"] == 1
    finally:
        state.close()
    assert len(outbox_files(settings)) == 1

    # the same rules again: nothing left to change
    assert main(["reprocess", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["examined"], report["changed"]) == (1, 0)


def test_reprocess_resend_queues_one_new_summary_the_worker_sends(tmp_path, triager, rules_copy, monkeypatch, capsys):
    config, settings, _ = answered_reply(tmp_path, triager)
    state = State(settings.state_file)
    old_summary = state.db.execute("SELECT summary_id FROM outbox").fetchone()[0]
    state.close()
    improve_rules(rules_copy)
    monkeypatch.setenv("FOIBOT_RULES_DIR", str(rules_copy))

    assert main(["reprocess", "--config", str(config), "--resend", "--since", "2000-01-01"]) == 0
    assert "(new summary queued)" in capsys.readouterr().out
    assert run_once(load_settings(str(config), None), triager) == 0

    files = outbox_files(settings)
    assert len(files) == 2
    summaries = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(m["X-Foibot-Outcome"] for m in summaries) == ["other", "refused"]
    state = State(settings.state_file)
    try:
        row = state.db.execute("SELECT previous_summary_id, resent FROM reprocess_log").fetchone()
        assert tuple(row) == (old_summary, 1)
        assert state.counts()["sent"] == 1 and state.counts()["queued"] == 0
    finally:
        state.close()


def test_reprocess_since_a_later_date_and_an_unknown_case_touch_nothing(tmp_path, triager, rules_copy, monkeypatch, capsys):
    config, _, case_id = answered_reply(tmp_path, triager)
    improve_rules(rules_copy)
    monkeypatch.setenv("FOIBOT_RULES_DIR", str(rules_copy))
    capsys.readouterr()
    assert main(["reprocess", "--config", str(config), "--since", "2999-01-01"]) == 0
    assert "examined 0, changed 0" in capsys.readouterr().out
    assert main(["reprocess", "--config", str(config), "--case", str(case_id + 1)]) == 0
    assert "examined 0, changed 0" in capsys.readouterr().out
    assert main(["reprocess", "--config", str(config), "--since", "yesterday"]) == 2
    assert "is not a date" in capsys.readouterr().err
