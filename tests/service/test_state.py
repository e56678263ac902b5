"""State: schema versioning, idempotent record, atomic enqueue, retries, quarantine, rate-limit data."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.service.state import MIGRATIONS, State, utcnow


def test_schema_is_versioned_and_wal(tmp_path):
    state = State(tmp_path / "s.db")
    assert state.schema_version == len(MIGRATIONS)
    assert state.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    state.close()
    again = State(tmp_path / "s.db")  # reopening migrates nothing twice
    assert again.schema_version == len(MIGRATIONS)


def test_record_is_idempotent_and_keeps_raw_bytes(tmp_path):
    state = State(tmp_path / "s.db")
    assert state.record("<a@x>", b"raw one", message_id="<a@x>", mailbox_id="1:5") == (True, "seen")
    assert state.record("<a@x>", b"raw one", message_id="<a@x>", mailbox_id="2:9") == (False, "seen")
    row = state.message("<a@x>")
    assert row.raw == b"raw one" and row.mailbox_id == "2:9"
    assert state.counts()["seen"] == 1


def test_enqueue_marks_triaged_and_queues_exactly_one_summary(tmp_path):
    state = State(tmp_path / "s.db")
    state.record("k", b"r")
    args = dict(triage_json="{}", outcome="refused", recipient="a@b.example", summary_id="<s@x>", rfc822=b"m")
    assert state.enqueue_summary("k", **args)
    assert not state.enqueue_summary("k", **args)  # a second triage of the same message queues nothing
    assert state.summaries_for("k") == 1
    (row,) = state.due_outbox()
    state.mark_sent(row.id)
    assert state.due_outbox() == []
    assert state.message("k").status == "answered"
    counts = state.counts()
    assert (counts["sent"], counts["queued"], counts["triaged"]) == (1, 0, 1)


def test_transactions_nest_into_one_commit(tmp_path):
    state = State(tmp_path / "s.db")
    state.record("k", b"r")
    args = dict(triage_json="{}", outcome="refused", recipient="a@b.example", summary_id="<s@x>", rfc822=b"m")
    reader = sqlite3.connect(tmp_path / "s.db")  # another connection, as `foibot status` opens

    def status_seen_by_reader() -> str:
        return reader.execute("SELECT status FROM messages WHERE key = 'k'").fetchone()[0]

    with state.transaction():
        assert state.enqueue_summary("k", **args)  # its own transaction joins the outer one
        assert status_seen_by_reader() == "seen"  # nothing committed before the outer commit
    assert status_seen_by_reader() == "triaged"


def test_a_failing_outer_transaction_undoes_the_nested_writes(tmp_path):
    state = State(tmp_path / "s.db")
    state.record("k", b"r")
    args = dict(triage_json="{}", outcome="refused", recipient="a@b.example", summary_id="<s@x>", rfc822=b"m")
    try:
        with state.transaction():
            state.enqueue_summary("k", **args)
            raise RuntimeError("crash before the commit")
    except RuntimeError:
        pass
    assert state.message("k").status == "seen" and state.summaries_for("k") == 0


def test_a_failing_nested_transaction_undoes_only_its_own_writes(tmp_path):
    state = State(tmp_path / "s.db")
    with state.transaction():
        state.record("kept", b"r")
        try:
            with state.transaction() as db:
                db.execute("UPDATE messages SET status = 'triaged' WHERE key = 'kept'")
                raise ValueError("inner step failed")
        except ValueError:
            pass
    assert state.message("kept").status == "seen"


def test_outbox_row_cannot_exist_without_its_message(tmp_path):
    state = State(tmp_path / "s.db")
    try:
        with state.transaction() as db:
            db.execute(
                "INSERT INTO outbox (message_key, recipient, summary_id, rfc822, next_try, created_at)"
                " VALUES ('ghost', 'a@b', '<x>', x'00', 'now', 'now')"
            )
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("foreign key not enforced")


def test_failures_go_to_quarantine_after_max_attempts(tmp_path):
    state = State(tmp_path / "s.db")
    state.record("k", b"r")
    assert state.record_failure("k", "ValueError: boom", max_attempts=3) == "seen"
    assert state.record_failure("k", "ValueError: boom", max_attempts=3) == "seen"
    assert state.pending_keys() == ["k"]
    assert state.record_failure("k", "ValueError: boom", max_attempts=3) == "quarantined"
    assert state.pending_keys() == []
    (item,) = state.quarantined()
    assert item.reason == "failed 3 times" and item.last_error == "ValueError: boom"
    assert state.last_error()["error"] == "ValueError: boom"


def test_deferred_rows_wait_until_due_and_send_log_counts_per_recipient(tmp_path):
    state = State(tmp_path / "s.db")
    state.record("k", b"r")
    state.enqueue_summary("k", triage_json="{}", outcome="x", recipient="A@B.example", summary_id="<s>", rfc822=b"m")
    (row,) = state.due_outbox()
    later = utcnow() + dt.timedelta(minutes=5)
    state.defer(row.id, later, error="SMTP connection failed")
    assert state.due_outbox() == []
    assert state.due_outbox(now=later + dt.timedelta(seconds=1))[0].attempts == 1
    assert abs((state.next_outbox_time() - later).total_seconds()) < 0.001
    state.mark_sent(row.id)
    count, oldest = state.sent_in_last_hour("a@b.example")  # case-insensitive
    assert count == 1 and oldest is not None
    assert state.sent_in_last_hour("other@b.example")[0] == 0


def test_meta_round_trip(tmp_path):
    state = State(tmp_path / "s.db")
    assert state.get_meta("imap.uidvalidity") is None
    state.set_meta("imap.uidvalidity", "17")
    state.set_meta("imap.uidvalidity", "18")
    assert state.get_meta("imap.uidvalidity") == "18"


def test_record_can_quarantine_in_the_same_transaction(tmp_path):
    state = State(tmp_path / "s.db")
    assert state.record("big", b"Subject: x\r\n\r\n", quarantine_reason="over max_message_bytes (10)") == (
        True,
        "quarantined",
    )
    assert state.pending_keys() == []
    assert state.quarantined()[0].reason == "over max_message_bytes (10)"
