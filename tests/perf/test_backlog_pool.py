"""A backlog analysed on the pool ends exactly as the one-at-a-time path ends it: same statuses,
same outcomes, one summary per answered reply, every message marked in the mailbox."""

from __future__ import annotations

import json
import threading

import pytest

from bot.bench import InboxBuilder, load_sources, write_inbox
from bot.config import load_settings
from bot.service import worker as worker_module
from bot.service.commands import build_worker
from bot.service.guard import CAN_FORK

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="the pool needs fork()")


def run_backlog(tmp_path, name, messages, triager, *, pool: bool, monkeypatch):
    monkeypatch.setattr(worker_module, "POOL_MIN_BACKLOG", 4 if pool else 10**9)
    settings = load_settings(None, str(tmp_path / name))
    write_inbox(settings.inbox_path, messages)
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    used_pool = []
    original = worker._backlog_pool
    worker._backlog_pool = lambda backlog: used_pool.append(original(backlog)) or used_pool[-1]
    try:
        assert worker.run(once=True) == 0
        rows = worker.state.db.execute("SELECT key, status, outcome, triage_json FROM messages ORDER BY key").fetchall()
        summaries = worker.state.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
    finally:
        worker.state.close()
    left_in_new = list((settings.inbox_path / "new").iterdir())
    outcomes = {key: (status, outcome, json.loads(triage)["exemptions"] if triage else None) for key, status, outcome, triage in rows}
    return outcomes, summaries, left_in_new, any(p is not None for p in used_pool)


def test_pool_and_one_at_a_time_give_the_same_result(tmp_path, triager, monkeypatch):
    messages = InboxBuilder(load_sources(), seed=21).build(14)
    pooled, pooled_summaries, pooled_left, used = run_backlog(tmp_path, "pool", messages, triager, pool=True, monkeypatch=monkeypatch)
    serial, serial_summaries, serial_left, _ = run_backlog(tmp_path, "serial", messages, triager, pool=False, monkeypatch=monkeypatch)
    assert used, "the backlog went through the pool"
    assert pooled == serial
    assert len(pooled) == 14
    answered = sum(1 for status, _, _ in pooled.values() if status == "answered")
    assert pooled_summaries == serial_summaries == answered > 0
    assert pooled_left == serial_left == []
