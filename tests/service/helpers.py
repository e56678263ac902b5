"""Shared helpers for the worker tests: configs, an in-thread worker, reading the outbox."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from bot.config import load_settings
from bot.service.commands import build_worker
from tests.service.conftest import IMAP_PASSWORD, IMAP_USER

REPO = Path(__file__).resolve().parents[2]
FORWARDER = "adaeze.okafor@mail.example"


def write_config(path: Path, *, data_dir: Path, imap=None, smtp_port: int | None = None, extra: str = "") -> Path:
    """A TOML config: Maildir or IMAP in, Maildir or SMTP out, quick retries for tests."""
    lines = [
        f'data_dir = "{data_dir}"',
        'mode = "forward"',
        f'allow = ["{FORWARDER}"]',
        "poll_interval = 60.0",  # long: anything faster than this was pushed (IDLE / inotify)
        "send_retry_seconds = 0.2",
        extra,
    ]
    if imap is not None:
        dovecot, folder = imap
        lines += [
            "[mailbox]", 'kind = "imap"',
            "[imap]", 'host = "127.0.0.1"', f"port = {dovecot.port}", 'tls = "none"',
            f'username = "{IMAP_USER}"', f'password = "{IMAP_PASSWORD}"', f'folder = "{folder}"',
            "timeout = 10.0", "reconnect_min_seconds = 0.1", "reconnect_max_seconds = 0.5",
        ]
    if smtp_port is not None:
        lines += ["[send]", 'kind = "smtp"']
    lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port or 25}", 'tls = "none"',
              'from_address = "foibot@bot.example"', "timeout = 5.0"]
    path.write_text("\n".join(lines) + "\n")
    return path


def settings_for(config: Path):
    return load_settings(str(config), None)


@contextmanager
def running_worker(settings, triager, *, busy_timeout_ms: int | None = None, stop_seconds: float = 30):
    """The real worker loop in a thread (signals are the CLI's job); stopped and joined at exit.

    `busy_timeout_ms` shortens SQLite's wait for a lock (production waits 30 s) for fault tests.
    """
    stop = threading.Event()
    worker = build_worker(settings, stop, triager=triager)
    if busy_timeout_ms is not None:
        worker.state.db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    errors: list[BaseException] = []

    def target():
        try:
            worker.run()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    thread = threading.Thread(target=target, name="foibot-worker")
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(timeout=stop_seconds)
        worker.state.close()
    assert not thread.is_alive(), "worker did not stop"
    assert not errors, errors


def drop_into_maildir(maildir: Path, name: str, raw: bytes) -> None:
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    (maildir / "tmp" / name).write_bytes(raw)
    os.replace(maildir / "tmp" / name, maildir / "new" / name)


def outbox_messages(outbox: Path) -> list[email.message.EmailMessage]:
    files = sorted((outbox / "new").glob("*")) + sorted((outbox / "cur").glob("*"))
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def parse_summary(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def foibot(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, **popen) -> subprocess.Popen:
    """`foibot ...` as a real process (the same interpreter, the repo on the path)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd or REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )
