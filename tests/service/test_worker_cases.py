"""The worker files each reply in a case, obeys reply commands, and sends the daily digest."""

from __future__ import annotations

import datetime as dt
import threading
from email.message import EmailMessage

import time_machine

from bot.service.casestore import CaseStore
from bot.service.commands import build_worker
from tests.service.helpers import FORWARDER, outbox_messages, drop_into_maildir, settings_for, write_config
from tests.service.mails import forwarded_refusal


def run_once(settings, triager) -> None:
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    try:
        assert worker.run(once=True) == 0
    finally:
        worker.state.close()


def command_reply(summary, body: str, message_id: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = FORWARDER
    reply["To"] = "foibot@bot.example"
    reply["Subject"] = "Re: " + str(summary["Subject"])
    reply["Message-ID"] = message_id
    reply["In-Reply-To"] = summary["Message-ID"]
    reply["References"] = summary["Message-ID"]
    reply.set_content(body + "\n\nOn Tuesday foibot wrote:\n> What you got: a refusal.\n")
    return reply.as_bytes()


def test_reply_is_filed_in_a_case_and_a_command_corrects_it(tmp_path, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", extra='[digest]\ntime = "07:30"\ntimezone = "Europe/London"')
    settings = settings_for(config)
    drop_into_maildir(settings.inbox_path, "1.fwd", forwarded_refusal(message_id="<case-1@mail.example>"))
    run_once(settings, triager)

    (summary,) = outbox_messages(settings.outbox_path)
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    store = CaseStore(worker.state)
    (view,) = store.views(dt.date.today(), FORWARDER)
    assert str(view.status).endswith("refused")
    worker.state.close()

    drop_into_maildir(
        settings.inbox_path, "2.cmd", command_reply(summary, "status: partial_disclosure", "<cmd-1@mail.example>")
    )
    run_once(settings, triager)
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    store = CaseStore(worker.state)
    (view,) = store.views(dt.date.today(), FORWARDER)
    assert str(view.status).endswith("partial_disclosure")
    assert [(c.field, c.new_value) for c in store.corrections()] == [("outcome", "partial_disclosure")]
    assert worker.state.message("<cmd-1@mail.example>").status == "skipped"
    worker.state.close()
    # a confirmation, and no summary of the command email itself
    messages = outbox_messages(settings.outbox_path)
    assert len(messages) == 2
    (confirmation,) = [m for m in messages if m["In-Reply-To"] == "<cmd-1@mail.example>"]
    assert confirmation["X-Foibot-Outcome"] == "command"  # a confirmation, never answered as a reply


def test_the_worker_sends_the_daily_digest_once(tmp_path, triager):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", extra='[digest]\ntime = "07:30"\ntimezone = "Europe/London"')
    settings = settings_for(config)
    with time_machine.travel(dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.timezone.utc), tick=True):
        drop_into_maildir(settings.inbox_path, "1.fwd", forwarded_refusal(message_id="<case-2@mail.example>"))
        run_once(settings, triager)
    assert len(outbox_messages(settings.outbox_path)) == 1  # the summary; the digest is not due yet
    with time_machine.travel(dt.datetime(2026, 3, 10, 7, 45, tzinfo=dt.timezone.utc), tick=True):
        run_once(settings, triager)
        run_once(settings, triager)  # a restart the same morning sends nothing more
    messages = outbox_messages(settings.outbox_path)
    digests = [m for m in messages if "digest" in str(m["Subject"]).lower()]
    assert len(digests) == 1
    assert digests[0]["To"].addresses[0].addr_spec == FORWARDER
