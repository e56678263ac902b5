"""The state database of the previous release upgrades at start, keeping every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.service.casestore import CASES_MIGRATIONS, CaseStore
from bot.service.state import MIGRATIONS, State

PREVIOUS_RELEASE = Path(__file__).parent / "fixtures" / "state_v1.sql"


def previous_release_db(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(PREVIOUS_RELEASE.read_text())
    return path


def test_a_v1_database_upgrades_to_the_current_schema_without_loss(tmp_path):
    path = previous_release_db(tmp_path / "state.sqlite3")
    with sqlite3.connect(path) as old:
        before = {t: old.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("messages", "outbox", "send_log", "meta")}
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1

    state = State(path)
    try:
        assert state.schema_version == len(MIGRATIONS) >= 2
        for table, rows in before.items():
            after = state.db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            # new columns are appended: the old ones keep their values
            assert [tuple(row)[: len(rows[0])] for row in after] == rows, table
        columns = {row[1] for row in state.db.execute("PRAGMA table_info(messages)")}
        assert {"raw_purged_at", "text_purged_at", "reprocessed_at"} <= columns
        assert state.db.execute("SELECT COUNT(*) FROM reprocess_log").fetchone()[0] == 0
        # the old rows still work with the current code
        assert state.message("<reply-1@council.example>").status == "answered"
        assert state.counts()["quarantined"] == 1
        assert state.get_meta("cases_schema") == "1"
        store = CaseStore(state)
        assert store.schema_version == len(CASES_MIGRATIONS)
        assert store.requesters() == ["ada@example.org"]
    finally:
        state.close()


def test_upgrading_twice_changes_nothing(tmp_path):
    path = previous_release_db(tmp_path / "state.sqlite3")
    State(path).close()
    state = State(path)
    try:
        assert state.schema_version == len(MIGRATIONS)
        assert state.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 2
    finally:
        state.close()
