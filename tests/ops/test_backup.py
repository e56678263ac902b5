"""`foibot backup` while the state is being written, and `foibot restore` with its refusals."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from bot.cli import main
from bot.config import load_settings
from bot.service.maintenance import WorkerLock
from bot.service.state import MIGRATIONS, State
from tests.ops.conftest import deliver, letter, run_once, write_config
from tests.service.conftest import wait_until
from tests.service.helpers import running_worker


def write_replies(path: Path, stop: threading.Event, written: list[int]) -> None:
    """The worker's own write path, as fast as it goes: record a reply, then triage+queue it (two transactions)."""
    state = State(path)
    try:
        n = 0
        while not stop.is_set():
            key = f"<concurrent-{n}@mail.example>"
            state.record(key, b"Message-ID: " + key.encode() + b"\r\n\r\nbody " * 50, message_id=key)
            state.enqueue_summary(
                key, triage_json='{"outcome": "refused"}', outcome="refused", recipient="ada@example.org",
                summary_id=f"<summary-{n}@bot.example>", rfc822=b"Subject: summary\r\n\r\n" + b"x" * 2000,
            )
            n += 1
            written[0] = n
    finally:
        state.close()


def consistent(path: Path) -> int:
    """Integrity holds and every triaged message has its summary (the enqueue transaction is atomic). Returns the message count."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        triaged = db.execute("SELECT COUNT(*) FROM messages WHERE status IN ('triaged', 'answered')").fetchone()[0]
        outbox = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        orphans = db.execute("SELECT COUNT(*) FROM outbox o LEFT JOIN messages m ON m.key = o.message_key WHERE m.key IS NULL").fetchone()[0]
        assert triaged == outbox and orphans == 0
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]


def test_backups_taken_while_the_state_is_written_are_consistent(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    State(data / "state.sqlite3").close()
    stop, written = threading.Event(), [0]
    writer = threading.Thread(target=write_replies, args=(data / "state.sqlite3", stop, written))
    writer.start()
    try:
        wait_until(lambda: written[0] >= 20, what="the writer to get going")
        sizes = []
        for n in range(3):
            target = tmp_path / "backups" / f"state-{n}.sqlite3"
            assert main(["backup", "--data-dir", str(data), str(target)]) == 0
            assert "backed up" in capsys.readouterr().out
            sizes.append(consistent(target))
            wait_until(lambda: written[0] > sizes[-1], what="more writes between backups")
    finally:
        stop.set()
        writer.join(timeout=30)
    assert sizes[0] >= 20 and sizes == sorted(sizes)
    assert not list((tmp_path / "backups").glob("*.partial"))
    assert consistent(data / "state.sqlite3") == written[0]


def test_restore_refuses_a_running_workers_database_unless_forced(tmp_path, triager, capsys):
    config = write_config(tmp_path / "foibot.toml", tmp_path / "data")
    settings = load_settings(str(config), None)
    deliver(settings, "1.reply", letter("harbourfield_declines.eml"))
    assert run_once(settings, triager) == 0
    backup = tmp_path / "state.backup"
    assert main(["backup", "--config", str(config), str(backup)]) == 0
    # later mail that the backup does not have
    deliver(settings, "2.reply", letter("harbourfield_declines.eml", **{"hbc-5521": "hbc-5530"}))
    assert run_once(settings, triager) == 0
    capsys.readouterr()

    with running_worker(settings, triager):
        wait_until(lambda: WorkerLock(settings.state_file).path.exists(), what="the worker lock")
        assert main(["restore", "--config", str(config), str(backup)]) == 2
        assert "a foibot worker is running on" in capsys.readouterr().err
    state = State(settings.state_file)
    assert state.counts()["seen"] == 2  # untouched
    state.close()

    assert main(["restore", "--config", str(config), str(backup)]) == 0
    assert "restored" in capsys.readouterr().out
    state = State(settings.state_file)
    try:
        assert state.counts()["seen"] == 1 and state.message("<hbc-5521@harbourfield.gov.example>").status == "answered"
    finally:
        state.close()
    kept = list(settings.state_file.parent.glob("state.sqlite3.before-restore-*"))
    assert len(kept) == 1 and consistent(kept[0]) == 2

    lock = WorkerLock(settings.state_file)
    assert lock.acquire()
    try:
        assert main(["restore", "--config", str(config), str(backup), "--force"]) == 0
    finally:
        lock.release()


def test_restore_checks_the_file_first_and_upgrades_an_old_backup(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 200)
    assert main(["restore", "--data-dir", str(data), str(junk)]) == 2
    assert "not a readable SQLite database" in capsys.readouterr().err
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    assert main(["restore", "--data-dir", str(data), str(other)]) == 2
    assert "is not a foibot state database" in capsys.readouterr().err
    assert main(["restore", "--data-dir", str(data), str(tmp_path / "missing")]) == 2
    assert not (data / "state.sqlite3").exists()

    old = tmp_path / "v1-backup.sqlite3"
    with sqlite3.connect(old) as db:
        db.executescript((Path(__file__).parent / "fixtures" / "state_v1.sql").read_text())
    assert main(["restore", "--data-dir", str(data), str(old)]) == 0
    assert f"schema {len(MIGRATIONS)}/1" in capsys.readouterr().out
    assert consistent(data / "state.sqlite3") == 2


def test_backup_and_restore_refuse_the_state_file_itself(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    State(data / "state.sqlite3").close()
    assert main(["backup", "--data-dir", str(data), str(data / "state.sqlite3")]) == 2
    assert "is the state database itself" in capsys.readouterr().err
    assert main(["restore", "--data-dir", str(data), str(data / "." / "state.sqlite3")]) == 2
    assert "is the state database itself" in capsys.readouterr().err
    assert consistent(data / "state.sqlite3") == 0
