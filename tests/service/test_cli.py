"""`foibot run` / `foibot status` as real processes: the no-config path, crashes at every step,
SIGKILL at an arbitrary moment, SIGTERM, and the status report."""

from __future__ import annotations

import json
import signal
import threading

import pytest

from bot.config import load_settings
from bot.service.commands import build_worker, cmd_status, status_report
from bot.service.state import State
from tests.service.conftest import wait_until
from tests.service.helpers import (
    drop_into_maildir,
    outbox_messages,
    parse_summary,
    settings_for,
    write_config,
)
from tests.service.mails import REPLY_FIXTURES, fixture, forward, forwarded_refusal

REQUESTERS = [
    "daniel.mercer@mail.example",
    "aisha.bello@mail.example",
    "rhys.calloway@mail.example",
    "greta.holm@mail.example",
    "zoe.nf@mail.example",
]


def test_no_configuration_at_all_writes_five_summaries_to_the_outbox(tmp_path, spawn):
    data = tmp_path / "D"
    for name in REPLY_FIXTURES:
        drop_into_maildir(data / "inbox", name, fixture(name))
    drop_into_maildir(data / "inbox", "bounce.eml", fixture("bounce.eml"))  # mail-parser warns about it
    process = spawn("run", "--once", "--data-dir", str(data), cwd=tmp_path)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    summaries = outbox_messages(data / "outbox")
    assert len(summaries) == 5
    assert sorted(s["To"].addresses[0].addr_spec for s in summaries) == sorted(REQUESTERS)
    assert all(s["Auto-Submitted"] == "auto-replied" and s["X-Foibot-Outcome"] for s in summaries)
    assert sorted(s["In-Reply-To"] for s in summaries) == sorted(
        str(parse_summary(fixture(n))["Message-ID"]) for n in REPLY_FIXTURES
    )
    # logs are JSON lines, and at info level they name nobody
    events = [json.loads(line) for line in err.decode().splitlines() if line.strip()]  # every line is JSON
    assert {e["event"] for e in events} >= {"worker.started", "message.triaged", "send.sent", "worker.stopped"}
    assert not any(address in err.decode() for address in REQUESTERS)

    status = spawn("status", "--data-dir", str(data), "--json", cwd=tmp_path)
    out, err = status.communicate(timeout=60)
    report = json.loads(out)
    assert (report["seen"], report["triaged"], report["sent"], report["queued"], report["quarantined"]) == (6, 5, 5, 0, 0)
    assert report["skipped"] == 1
    assert report["last_error"] is None


@pytest.mark.parametrize("fault", ["after_record", "after_enqueue", "after_send"])
def test_killed_at_each_step_then_restarted_nothing_lost_nothing_doubled(tmp_path, fault, triager, spawn):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d")
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.fwd", forwarded_refusal(message_id="<crash-1@mail.example>"))
    drop_into_maildir(settings.inbox_path, "2.fwd", forwarded_refusal(message_id="<crash-2@mail.example>"))
    crashed = spawn("run", "--once", "--config", str(config), env={"FOIBOT_FAULT_INJECT": fault})
    _, err = crashed.communicate(timeout=120)
    assert crashed.returncode == -signal.SIGKILL, err.decode()[-2000:]
    assert f'"point": "{fault}"' in err.decode()
    # restart (in-process, same data): finishes the interrupted work
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    assert worker.run(once=True) == 0
    counts = worker.state.counts()
    worker.state.close()
    assert (counts["seen"], counts["answered"], counts["sent"], counts["queued"]) == (2, 2, 2, 0)
    summaries = outbox_messages(settings.outbox_path)
    assert sorted(s["In-Reply-To"] for s in summaries) == ["<crash-1@mail.example>", "<crash-2@mail.example>"]
    assert list((settings.inbox_path / "new").iterdir()) == []


@pytest.mark.dovecot
def test_killed_over_imap_and_smtp_then_restarted_one_summary(tmp_path, dovecot, imap_folder, smtp_sink, triager, spawn):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", imap=(dovecot, imap_folder), smtp_port=smtp_sink.port)
    dovecot.append(imap_folder, forwarded_refusal(message_id="<imap-crash@mail.example>"))
    crashed = spawn("run", "--once", "--config", str(config), env={"FOIBOT_FAULT_INJECT": "after_enqueue"})
    crashed.communicate(timeout=120)
    assert crashed.returncode == -signal.SIGKILL
    assert smtp_sink.received() == []
    for _ in range(2):  # restart twice: the second run must find nothing to do
        worker = build_worker(settings_for(config), threading.Event(), once=True, triager=triager)
        assert worker.run(once=True) == 0
        worker.state.close()
    ((_, rcpt, data),) = smtp_sink.received()
    assert parse_summary(data)["In-Reply-To"] == "<imap-crash@mail.example>"


def test_sigkill_at_any_moment_then_sigterm_exits_cleanly(tmp_path, spawn):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d")
    settings = settings_for(config)
    ids = [f"<any-{n}@mail.example>" for n in range(6)]
    for n, message_id in enumerate(ids):
        drop_into_maildir(settings.inbox_path, f"{n}.fwd", forwarded_refusal(message_id=message_id))
    first = spawn("run", "--config", str(config))
    wait_until(lambda: outbox_messages(settings.outbox_path), timeout=120, what="the first summary")
    first.send_signal(signal.SIGKILL)  # somewhere in the middle of the batch
    first.communicate(timeout=30)
    second = spawn("run", "--config", str(config))
    wait_until(lambda: len(outbox_messages(settings.outbox_path)) >= 6, timeout=120, what="all summaries")
    second.send_signal(signal.SIGTERM)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err.decode()[-2000:]
    assert '"event": "worker.stopping"' in err.decode() and '"event": "worker.stopped"' in err.decode()
    assert sorted(s["In-Reply-To"] for s in outbox_messages(settings.outbox_path)) == sorted(ids)


def test_status_counts_and_quarantine(tmp_path, triager, capsys):
    config = write_config(
        tmp_path / "c.toml",
        data_dir=tmp_path / "d",
        extra='max_attempts = 2\n[requester_map]\n"request-777" = "not an address"\n[limits]\nmax_message_bytes = 3000',
    )
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.big", forwarded_refusal())  # about 5 kB: over the limit
    drop_into_maildir(settings.inbox_path, "2.bounce", fixture("bounce.eml"))
    small_forward = forward(parse_summary(fixture("reply_not_held.eml")))  # no PDF: under the limit
    drop_into_maildir(settings.inbox_path, "3.ok", small_forward)
    broken = fixture("reply_not_held.eml").replace(b"To: aisha.bello@mail.example", b"To: request-777-abcdef12@bot.example")
    drop_into_maildir(settings.inbox_path, "4.broken", broken)
    for _ in range(settings.max_attempts):  # each run is one more try for the failing message
        worker = build_worker(settings, threading.Event(), once=True, triager=triager)
        worker.run(once=True)
        worker.state.close()

    report = status_report(load_settings(str(config), None))
    assert (report["seen"], report["triaged"], report["sent"], report["queued"]) == (4, 1, 1, 0)
    assert (report["skipped"], report["quarantined"]) == (1, 2)
    reasons = sorted(item["reason"] for item in report["quarantine"])
    assert reasons == ["failed 2 times", "over max_message_bytes (3000)"]
    assert "not a usable email address" in report["last_error"]["error"]

    args = type("Args", (), {"config": str(config), "data_dir": None, "json": False})()
    assert cmd_status(args) == 0
    text = capsys.readouterr().out
    assert "quarantined: 2" in text and "over max_message_bytes" in text and "failed 2 times" in text
    # the failing message stays in the inbox until it is final, then is marked like the others
    assert sorted(p.name for p in (settings.inbox_path / "cur").iterdir()) == [
        "1.big:2,S", "2.bounce:2,S", "3.ok:2,S", "4.broken:2,S"
    ]


def test_status_without_state_says_so(tmp_path):
    report = status_report(load_settings(None, str(tmp_path / "empty")))
    assert report["seen"] == 0 and "not run" in report["note"]


def test_run_with_a_bad_config_is_a_one_line_error(tmp_path, spawn):
    bad = tmp_path / "bad.toml"
    bad.write_text('mode = "loud"\n')
    process = spawn("run", "--once", "--config", str(bad))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.decode().strip().count("\n") == 0 and "mode" in err.decode()


def test_sigterm_mid_message_finishes_that_message_then_exits_0(tmp_path, spawn):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d")
    settings = settings_for(config)
    for n in range(6):
        drop_into_maildir(settings.inbox_path, f"{n}.fwd", forwarded_refusal(message_id=f"<term-{n}@mail.example>"))
    process = spawn("run", "--config", str(config))
    for line in process.stderr:  # the first message is in hand (its triage loads spaCy: seconds)
        if b'"event": "message.recorded"' in line:
            process.send_signal(signal.SIGTERM)
            break
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 0, rest.decode()[-2000:]
    state = State(settings.state_file)
    statuses = [row[0] for row in state.db.execute("SELECT status FROM messages")]
    state.close()
    assert statuses and set(statuses) == {"answered"}, "the message in hand was finished, none left half-done"
    assert len(outbox_messages(settings.outbox_path)) == len(statuses)
    untouched = list((settings.inbox_path / "new").iterdir())
    assert len(untouched) + len(statuses) == 6  # the rest wait for the next start


def test_a_second_worker_on_the_same_state_is_refused(tmp_path, spawn):
    from bot.service.maintenance import WorkerLock

    settings = load_settings(None, str(tmp_path / "d"))
    settings.state_file.parent.mkdir(parents=True)
    State(settings.state_file).close()
    lock = WorkerLock(settings.state_file)  # as if a worker were running
    assert lock.acquire()
    try:
        process = spawn("run", "--once", "--data-dir", str(tmp_path / "d"))
        _, err = process.communicate(timeout=60)
        assert process.returncode == 2
        assert "another `foibot run` is already using" in err.decode()
    finally:
        lock.release()


def test_crash_after_smtp_accepted_resends_the_identical_message(tmp_path, smtp_sink, triager, spawn):
    """The one window SMTP cannot close: the server took the summary, the worker died before
    marking it sent. The restart sends it again, byte for byte (same Message-ID, so mail
    clients that thread by Message-ID show it once); every other step is exactly-once."""
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", smtp_port=smtp_sink.port)
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.fwd", forwarded_refusal(message_id="<window@mail.example>"))
    crashed = spawn("run", "--once", "--config", str(config), env={"FOIBOT_FAULT_INJECT": "after_send"})
    crashed.communicate(timeout=120)
    assert crashed.returncode == -signal.SIGKILL
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    worker.run(once=True)
    worker.state.close()
    (_, _, first), (_, _, second) = smtp_sink.received()
    assert first == second
