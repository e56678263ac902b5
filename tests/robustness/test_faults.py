"""The machine fails, not the message: the state database locked by another process, the disk
full. The worker says what is wrong, keeps running, and finishes the work once the fault is
gone, without counting the fault against the message (no quarantine, no lost reply).

(IMAP and SMTP servers going away and coming back: tests/service/test_worker.py, and the
Dovecot fault-injection run in test_fault_injection.py.)
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from tests.service.conftest import wait_until
from tests.service.helpers import drop_into_maildir, outbox_messages, running_worker, settings_for, write_config
from tests.service.mails import forwarded_refusal

LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO meta (name, value) VALUES ('locker', 'holding the write lock')")
print("locked", flush=True)
sys.stdin.read()   # hold the lock until the test closes our stdin
db.execute("ROLLBACK")
"""


def infrastructure_errors(logs: list[dict]) -> list[dict]:
    return [entry for entry in logs if entry.get("event") == "worker.infrastructure_error"]


def test_state_database_locked_by_another_process_then_released(tmp_path, triager):
    settings = settings_for(write_config(tmp_path / "c.toml", data_dir=tmp_path / "d"))
    with capture_logs() as logs, running_worker(settings, triager, busy_timeout_ms=200, stop_seconds=60) as worker:
        wait_until(lambda: any(e.get("event") == "worker.started" for e in logs), what="the worker to start")
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(settings.state_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            assert locker.stdout.readline().strip() == b"locked"
            drop_into_maildir(settings.inbox_path, "1.locked", forwarded_refusal(message_id="<while-locked@mail.example>"))
            wait_until(lambda: infrastructure_errors(logs), timeout=30, what="the worker to notice the lock")
            assert outbox_messages(settings.outbox_path) == []
        finally:
            locker.stdin.close()
            locker.wait(timeout=30)
        wait_until(lambda: outbox_messages(settings.outbox_path), timeout=60, what="the summary after the lock is gone")
        row = worker.state.db.execute(
            "SELECT status, attempts FROM messages WHERE message_id = '<while-locked@mail.example>'"
        ).fetchone()
    (error, *_) = infrastructure_errors(logs)
    assert error["detail"] == "the state database is locked by another process"
    assert (row["status"], row["attempts"]) == ("answered", 0)
    assert [s["In-Reply-To"] for s in outbox_messages(settings.outbox_path)] == ["<while-locked@mail.example>"]


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 3 MB tmpfs (root only); skipped where mounting is not allowed."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to simulate a full disk needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(directory: Path) -> Path:
    """Write zeros until the file system is full; returns the filler file."""
    filler = directory / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def test_full_disk_is_reported_and_the_worker_resumes_when_space_returns(tmp_path, small_disk, triager):
    inbox = tmp_path / "inbox"  # the mail arrives on another disk; state and outbox are on the full one
    config = write_config(tmp_path / "c.toml", data_dir=small_disk / "data", extra=f'[mailbox]\npath = "{inbox}"\n')
    settings = settings_for(config)
    with capture_logs() as logs, running_worker(settings, triager, stop_seconds=60) as worker:
        # one reply answered first: the worker is up and in its loop when the disk fills
        drop_into_maildir(inbox, "0.before", forwarded_refusal(message_id="<before-full@mail.example>"))
        wait_until(lambda: outbox_messages(settings.outbox_path), timeout=60, what="the first summary")
        filler = fill(small_disk)
        drop_into_maildir(inbox, "1.full", forwarded_refusal(message_id="<disk-full@mail.example>"))
        wait_until(lambda: infrastructure_errors(logs), timeout=30, what="the worker to notice the full disk")
        filler.unlink()
        wait_until(lambda: len(outbox_messages(settings.outbox_path)) == 2, timeout=90, what="the summary once space is back")
        row = worker.state.db.execute(
            "SELECT status, attempts FROM messages WHERE message_id = '<disk-full@mail.example>'"
        ).fetchone()
    assert "disk is full" in infrastructure_errors(logs)[0]["detail"]
    assert (row["status"], row["attempts"]) == ("answered", 0)
    assert sorted(s["In-Reply-To"] for s in outbox_messages(settings.outbox_path)) == [
        "<before-full@mail.example>", "<disk-full@mail.example>"
    ]
