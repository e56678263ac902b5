"""The awkward real emails in ../shared/fixtures (bad encodings, broken MIME, TNEF, bounces,
auto-replies, forwards) through `foibot triage` and through the worker.

Read in place from the sibling `shared/` directory, never copied; skipped when it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from bot.config import load_settings
from bot.service.commands import build_worker
from bot.service.worker import message_key
from tests.robustness.conftest import alaveteli_fixtures, require_alaveteli
from tests.robustness.hostile import with_limits
from tests.service.helpers import REPO, drop_into_maildir

OUTCOMES = {
    "full_disclosure", "partial_disclosure", "refused", "not_held", "delay", "acknowledgement",
    "clarification_requested", "fee_notice", "review_decision", "other",
}  # fmt: skip
FIXTURES = alaveteli_fixtures()


@pytest.mark.slow
@pytest.mark.parametrize("path", FIXTURES or [None], ids=[p.name for p in FIXTURES] or ["absent"])
def test_foibot_triage_exits_0_or_2_without_a_traceback(path):
    """No hang (the subprocess timeout is a hang guard, not a speed check: the measured times,
    2.5-4 s each with start-up, are in docs/robustness.md), no traceback, exit 0 or 2."""
    if path is None:
        require_alaveteli()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "triage", "--json", "--today", "2026-11-26", str(path)],
        cwd=REPO, capture_output=True, timeout=120,
    )  # fmt: skip
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode in (0, 2), stderr[-2000:]
    assert "Traceback" not in stderr
    if done.returncode == 0:
        assert json.loads(done.stdout)["outcome"] in OUTCOMES
    else:
        assert len(stderr.strip().splitlines()) == 1, stderr


def test_every_fixture_is_triaged_or_skipped_or_quarantined_by_the_worker(tmp_path, triager):
    require_alaveteli()
    settings = load_settings(None, str(tmp_path / "data"))  # the embedded default: everyone is answered
    for number, path in enumerate(FIXTURES):
        drop_into_maildir(settings.inbox_path, f"{number:03d}.{path.stem}", path.read_bytes())
    worker = build_worker(settings, threading.Event(), once=True, triager=with_limits(triager, settings.limits))
    try:
        assert worker.run(once=True) == 0
        rows = {}
        for path in FIXTURES:
            key, _ = message_key(path.read_bytes())
            rows[path.name] = worker.state.message(key)
    finally:
        worker.state.close()
    for name, row in rows.items():
        assert row is not None, f"{name} was not recorded"
        assert row.status in ("answered", "skipped", "quarantined"), (name, row.status, row.last_error)
        assert row.attempts == 0, (name, row.last_error)  # never a failed try: a crash would count here
        if row.status in ("skipped", "quarantined"):
            assert row.reason, f"{name} was {row.status} without a reason"
    statuses = {row.status for row in rows.values()}
    assert "answered" in statuses and "skipped" in statuses  # real replies answered, bounces and auto-replies not
    assert list((settings.inbox_path / "new").iterdir()) == []
