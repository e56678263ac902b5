"""Shared pieces for the ops tests: the service tests' real servers, a Maildir config, one worker pass."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from tests.service.conftest import dovecot, dovecot_tls, smtp_sink, tls_files, triager  # noqa: F401 - fixtures reused here

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
OWNER = "adaeze.okafor@mail.example"


def write_config(path: Path, data_dir: Path, extra: str = "") -> Path:
    """Inbox mode on Maildirs: every reply is summarised for OWNER, nothing leaves the machine."""
    path.write_text(
        "\n".join(
            [
                f'data_dir = "{data_dir}"',
                'mode = "inbox"',
                f'owner = "{OWNER}"',
                f'allow = ["{OWNER}", "@harbourfield.gov.example"]',
                extra,
                "[smtp]",
                'from_address = "foibot@bot.example"',
            ]
        )
        + "\n"
    )
    return path


def deliver(settings, name: str, raw: bytes) -> None:
    new = settings.inbox_path / "new"
    for sub in ("new", "cur", "tmp"):
        (settings.inbox_path / sub).mkdir(parents=True, exist_ok=True)
    (settings.inbox_path / "tmp" / name).write_bytes(raw)
    (settings.inbox_path / "tmp" / name).rename(new / name)


def run_once(settings, triager) -> int:  # noqa: F811 - the fixture's value
    """One real worker pass (`foibot run --once` without the process-wide signal handlers)."""
    from bot.service.commands import build_worker

    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    try:
        return worker.run(once=True)
    finally:
        worker.state.close()


def letter(name: str, **replace: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A private copy of rules/ a test may edit (passed to foibot as rules_dir)."""
    target = tmp_path / "rules"
    shutil.copytree(REPO / "rules", target)
    return target
