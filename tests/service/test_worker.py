"""End to end: the real worker, real triage, real Dovecot and a real SMTP listener.

(1) forwarded refusal -> summary over SMTP while IDLE; (3) Dovecot restart while idling;
(4) SMTP down -> summaries wait, then go; (5) bounce and auto-reply -> no answer;
(6) stranger -> no answer, logged without the address. The crash/restart tests and the
CLI tests live in test_cli.py.
"""

from __future__ import annotations

import pytest
import structlog

from bot.service.mailbox import PROCESSED_KEYWORD
from bot.service.state import State, utcnow
from tests.service.conftest import wait_until
from tests.service.helpers import (
    FORWARDER,
    drop_into_maildir,
    outbox_messages,
    parse_summary,
    running_worker,
    settings_for,
    write_config,
)
from tests.service.mails import authority_reply, fixture, forward, forwarded_refusal

@pytest.mark.dovecot
def test_forwarded_refusal_is_answered_over_smtp_while_idling(tmp_path, dovecot, imap_folder, smtp_sink, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", imap=(dovecot, imap_folder), smtp_port=smtp_sink.port)
    original = authority_reply()
    raw = forward(original, message_id="<fwd-0413@mail.example>")
    with running_worker(settings_for(config), triager) as worker:
        wait_until(worker.mailbox.idling.is_set, what="the worker to IDLE")
        dovecot.append(imap_folder, raw)
        # poll_interval is 60 s: only IDLE can wake the worker this fast
        (mail_from, rcpt_tos, data), = wait_until(smtp_sink.received, timeout=20, what="the summary")
    assert rcpt_tos == [FORWARDER]
    summary = parse_summary(data)
    assert summary["To"].addresses[0].addr_spec == FORWARDER
    assert summary["To"].addresses[0].display_name == "Adaeze Okafor"
    assert summary["From"].addresses[0].addr_spec == "foibot@bot.example" == mail_from
    assert summary["In-Reply-To"] == "<fwd-0413@mail.example>"
    assert summary["References"].split() == [str(original["Message-ID"]), "<fwd-0413@mail.example>"]
    assert summary["Auto-Submitted"] == "auto-replied"
    assert summary["X-Foibot-Outcome"] == "refused"
    assert summary["Subject"] == "FOI reply summary: Refused — FOI 2026/0413 - response to your request"
    assert "s40(2)" in summary.get_body(("plain",)).get_content()
    assert summary.get_body(("html",)) is not None
    client = dovecot.client(imap_folder)
    assert len(client.search(["KEYWORD", PROCESSED_KEYWORD])) == 1
    client.logout()


@pytest.mark.dovecot
def test_dovecot_restarted_while_idling_then_mail_is_processed(tmp_path, dovecot, imap_folder, smtp_sink, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", imap=(dovecot, imap_folder), smtp_port=smtp_sink.port)
    with running_worker(settings_for(config), triager) as worker:
        wait_until(worker.mailbox.idling.is_set, what="the worker to IDLE")
        dovecot.stop()
        # mail arrives while the server is down (delivered straight into its Maildir)
        dovecot.deliver_to_disk(imap_folder, forwarded_refusal(message_id="<while-down@mail.example>"), "1.while-down")
        dovecot.start()
        wait_until(smtp_sink.received, timeout=30, what="the summary of mail that arrived during the outage")
        assert worker.mailbox.connects >= 2
        wait_until(worker.mailbox.idling.is_set, what="IDLE again after reconnecting")
        dovecot.append(imap_folder, forwarded_refusal(message_id="<after-restart@mail.example>"))
        wait_until(lambda: len(smtp_sink.received()) == 2, timeout=20, what="the second summary")
    replied_to = sorted(parse_summary(data)["In-Reply-To"] for _, _, data in smtp_sink.received())
    assert replied_to == ["<after-restart@mail.example>", "<while-down@mail.example>"]


def test_smtp_down_summaries_wait_in_the_outbox_then_go(tmp_path, smtp_sink, triager):
    port = smtp_sink.port
    smtp_sink.stop()
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", smtp_port=port)
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.fwd", forwarded_refusal(message_id="<queued-1@mail.example>"))
    drop_into_maildir(settings.inbox_path, "2.fwd", forwarded_refusal(message_id="<queued-2@mail.example>"))
    with running_worker(settings, triager):
        reader = State(settings.state_file)
        wait_until(lambda: reader.counts()["queued"] == 2 and reader.last_error(), what="summaries queued")
        assert reader.counts()["sent"] == 0
        assert "SMTP connection failed" in reader.last_error()["error"]
        smtp_sink.start()
        wait_until(lambda: reader.counts()["sent"] == 2, timeout=20, what="the queued summaries to go")
        reader.close()
    received = smtp_sink.received()
    assert sorted(parse_summary(d)["In-Reply-To"] for _, _, d in received) == [
        "<queued-1@mail.example>",
        "<queued-2@mail.example>",
    ]
    # processed mail left the inbox's new/ even though the summaries had to wait
    assert list((settings.inbox_path / "new").iterdir()) == []


def test_bounce_and_auto_reply_get_no_answer(tmp_path, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d")
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.bounce", fixture("bounce.eml"))
    drop_into_maildir(settings.inbox_path, "2.oof", fixture("auto_reply.eml"))
    drop_into_maildir(settings.inbox_path, "3.list", forwarded_refusal(extra_headers={"List-Id": "<l.example>"}))
    drop_into_maildir(settings.inbox_path, "4.real", forwarded_refusal())
    from bot.service.commands import build_worker
    import threading

    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    assert worker.run(once=True) == 0
    counts = worker.state.counts()
    reasons = sorted(row[0] for row in worker.state.db.execute("SELECT reason FROM messages WHERE status='skipped'"))
    worker.state.close()
    assert (counts["skipped"], counts["sent"]) == (3, 1)
    assert reasons == ["auto-submitted", "delivery or read report (multipart/report)", "mailing list"]
    (summary,) = outbox_messages(settings.outbox_path)
    assert summary["To"].addresses[0].addr_spec == FORWARDER
    assert sorted(p.name for p in (settings.inbox_path / "cur").iterdir()) == [
        "1.bounce:2,S", "2.oof:2,S", "3.list:2,S", "4.real:2,S"
    ]


def test_stranger_gets_no_answer_and_is_logged_without_the_address(tmp_path, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d")
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.stranger", forwarded_refusal(forwarder="mallory@elsewhere.example"))
    from bot.service.commands import build_worker
    import threading

    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    with structlog.testing.capture_logs() as logs:
        worker.run(once=True)
    worker.state.close()
    assert outbox_messages(settings.outbox_path) == []
    (skipped,) = [e for e in logs if e["event"] == "message.skipped"]
    assert skipped["log_level"] == "info"
    assert skipped["reason"] == "forwarder not on the allowlist"
    assert skipped["sender"] and "@" not in skipped["sender"]  # a hash, not the address
    info_text = repr([e for e in logs if e["log_level"] == "info"])
    assert "mallory" not in info_text and "2026/0413" not in info_text  # no address, no subject


def test_hourly_send_limit_holds_back_extra_summaries(tmp_path, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", extra="hourly_send_limit = 2")
    settings = settings_for(config)
    for n in range(3):
        drop_into_maildir(settings.inbox_path, f"{n}.fwd", forwarded_refusal(message_id=f"<limit-{n}@mail.example>"))
    from bot.service.commands import build_worker
    import threading

    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    worker.run(once=True)
    counts = worker.state.counts()
    (waiting,) = worker.state.db.execute("SELECT next_try, last_error, attempts FROM outbox WHERE status='queued'")
    next_due = worker.state.next_outbox_time()
    worker.state.close()
    assert (counts["triaged"], counts["sent"], counts["queued"]) == (3, 2, 1)
    assert waiting["last_error"] == "hourly send limit reached" and waiting["attempts"] == 0
    assert 55 * 60 < (next_due - utcnow()).total_seconds() <= 3600
    assert len(outbox_messages(settings.outbox_path)) == 2


def test_over_limit_and_unreadable_messages_are_quarantined_at_once(tmp_path, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", extra="max_attempts = 5\n[limits]\nmax_mime_depth = 1")
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.deep", forwarded_refusal())
    drop_into_maildir(settings.inbox_path, "2.binary", b"\x00\x01\x02\x03" * 2000)
    from bot.service.commands import build_worker
    import threading

    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    worker.run(once=True)
    items = {item.mailbox_id: item for item in worker.state.quarantined()}
    worker.state.close()
    assert set(items) == {"1.deep", "2.binary"}
    assert items["1.deep"].reason.startswith("over a limit:") and items["1.deep"].attempts == 0
    assert items["2.binary"].reason.startswith("unreadable:") and items["2.binary"].attempts == 0
    assert outbox_messages(settings.outbox_path) == []


def test_once_with_the_imap_server_unreachable_exits_1(tmp_path, triager):
    from tests.service.conftest import free_port

    class Nowhere:  # a port nothing listens on
        port = free_port()

    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", imap=(Nowhere, "INBOX"))
    from bot.service.commands import build_worker
    import threading

    worker = build_worker(settings_for(config), threading.Event(), once=True, triager=triager)
    with structlog.testing.capture_logs() as logs:
        assert worker.run(once=True) == 1
    worker.state.close()
    assert [e for e in logs if e["event"] == "imap.retry"], "it retried with backoff before giving up"
    assert any(e["event"] == "worker.mailbox_unavailable" for e in logs)
