"""Mailbox adapters against real storage: a Maildir on disk and a real Dovecot over IMAP."""

from __future__ import annotations

import threading

import pytest
import structlog

from bot.config import ImapSettings
from bot.service.mailbox import PROCESSED_KEYWORD, ImapMailbox, MaildirMailbox
from bot.service.state import State
from tests.service.conftest import IMAP_PASSWORD, IMAP_USER, wait_until
from tests.service.mails import fixture

LIMIT = 1024 * 1024


def drop(maildir, name: str, raw: bytes) -> None:
    (maildir / "tmp" / name).write_bytes(raw)
    (maildir / "tmp" / name).rename(maildir / "new" / name)


# ------------------------------------------------------------------ Maildir


def test_maildir_offers_new_mail_and_moves_processed_to_cur(tmp_path):
    box = MaildirMailbox(tmp_path / "inbox", max_message_bytes=LIMIT)
    drop(box.path, "1.a", fixture("reply_not_held.eml"))
    drop(box.path, "2.b", fixture("reply_partial.eml"))
    found = box.fetch_new()
    assert [m.id for m in found] == ["1.a", "2.b"]
    assert found[0].raw == fixture("reply_not_held.eml")
    box.mark_processed("1.a")
    box.mark_processed("1.a")  # a second mark (after a crash) is harmless
    assert (box.path / "cur" / "1.a:2,S").exists()
    assert [m.id for m in box.fetch_new()] == ["2.b"]


def test_maildir_oversized_message_gives_only_its_header(tmp_path):
    box = MaildirMailbox(tmp_path / "inbox", max_message_bytes=200)
    drop(box.path, "big", fixture("reply_full_disclosure.eml"))
    (incoming,) = box.fetch_new()
    assert incoming.oversized
    assert incoming.raw.startswith(b"Return-Path:") and b"Dear Mr Mercer" not in incoming.raw


def test_maildir_wait_returns_when_mail_arrives_and_honours_stop(tmp_path):
    box = MaildirMailbox(tmp_path / "inbox", max_message_bytes=LIMIT)
    stop = threading.Event()
    woke = threading.Event()

    def waiter():
        box.wait(30, stop)
        woke.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    drop(box.path, "3.c", fixture("reply_not_held.eml"))
    assert woke.wait(10), "wait() did not return after a new message arrived"
    thread.join()
    stop.set()
    box.wait(30, stop)  # returns at once when stopping
    box.close()


def test_maildir_reads_mail_renamed_in_at_once_but_lets_a_direct_writer_finish(tmp_path, monkeypatch):
    """A rename from tmp/ is a complete message (Maildir delivery): no settling pause for it. A
    file written straight into new/ (someone's `cp`) counts as complete only once closed."""
    box = MaildirMailbox(tmp_path / "inbox", max_message_bytes=LIMIT)
    box._start_watching()
    drop(box.path, "4.d", fixture("reply_not_held.eml"))
    wait_until(lambda: "4.d" in box._complete, timeout=10)

    def no_pause(seconds):
        raise AssertionError(f"fetch_new paused {seconds} s for a message renamed into new/")

    monkeypatch.setattr("bot.service.mailbox.time.sleep", no_pause)
    assert [m.id for m in box.fetch_new()] == ["4.d"]
    assert "4.d" not in box._complete  # forgotten once offered
    box.mark_processed("4.d")
    monkeypatch.undo()

    raw = fixture("reply_partial.eml")
    with open(box.path / "new" / "5.e", "wb") as writer:
        writer.write(raw[: len(raw) // 2])
        writer.flush()
        wait_until(lambda: box._arrived.is_set(), timeout=10)
        assert "5.e" not in box._complete  # still being written: fetch_new would let it settle
        writer.write(raw[len(raw) // 2 :])
    wait_until(lambda: "5.e" in box._complete, timeout=10)
    (incoming,) = box.fetch_new()
    assert incoming.raw == raw
    box.close()


# ------------------------------------------------------------------ IMAP (Dovecot)


def imap_settings(dovecot, folder: str, **extra) -> ImapSettings:
    values = dict(
        host="127.0.0.1", port=dovecot.port, tls="none", username=IMAP_USER, password=IMAP_PASSWORD,
        folder=folder, timeout=10, reconnect_min_seconds=0.1, reconnect_max_seconds=0.5,
    )
    values.update(extra)
    return ImapSettings(**values)


@pytest.fixture
def state(tmp_path):
    db = State(tmp_path / "state.sqlite3")
    yield db
    db.close()


@pytest.mark.dovecot
def test_imap_fetches_unflagged_mail_and_flags_processed(dovecot, imap_folder, state):
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))
    dovecot.append(imap_folder, fixture("reply_partial.eml"))
    box = ImapMailbox(imap_settings(dovecot, imap_folder), state, max_message_bytes=LIMIT)
    with structlog.testing.capture_logs() as logs:
        first, second = box.fetch_new()
    assert not [e for e in logs if e["event"] == "imap.keywords_not_kept"]  # Dovecot keeps \* keywords
    assert first.raw.replace(b"\r\n", b"\n") == fixture("reply_not_held.eml")
    box.mark_processed(first.id)
    assert [m.id for m in box.fetch_new()] == [second.id]
    client = dovecot.client(imap_folder)
    flags = client.get_flags(client.search(["ALL"]))
    assert PROCESSED_KEYWORD.encode() in next(iter(flags.values()))
    assert all(b"\\Seen" not in f for f in flags.values()), "BODY.PEEK must not mark mail read"
    client.logout()
    box.close()


@pytest.mark.dovecot
def test_imap_moves_processed_mail_when_configured(dovecot, imap_folder, state):
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))
    done = imap_folder + "/done"
    box = ImapMailbox(imap_settings(dovecot, imap_folder, processed_folder=done), state, max_message_bytes=LIMIT)
    (incoming,) = box.fetch_new()
    box.mark_processed(incoming.id)
    assert box.fetch_new() == []
    client = dovecot.client(done)
    moved = client.search(["KEYWORD", PROCESSED_KEYWORD])
    assert len(moved) == 1
    client.logout()
    box.close()


@pytest.mark.dovecot
def test_imap_idle_wakes_on_new_mail(dovecot, imap_folder, state):
    box = ImapMailbox(imap_settings(dovecot, imap_folder), state, max_message_bytes=LIMIT)
    stop = threading.Event()
    woke = threading.Event()

    def waiter():
        box.wait(60, stop)
        woke.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(box.idling.is_set, what="IDLE to start")
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))
    assert woke.wait(10), "IDLE did not report the new message"
    thread.join()
    assert len(box.fetch_new()) == 1
    box.close()


@pytest.mark.dovecot
def test_imap_idle_is_renewed(dovecot, imap_folder, state):
    box = ImapMailbox(imap_settings(dovecot, imap_folder, idle_renew_seconds=0.5), state, max_message_bytes=LIMIT)
    stop = threading.Event()
    box.wait(2.5, stop)  # renews IDLE several times without error, then times out
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))
    assert len(box.fetch_new()) == 1
    box.close()


@pytest.mark.dovecot
def test_imap_uidvalidity_change_reoffers_mail_without_error(dovecot, imap_folder, state):
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))
    box = ImapMailbox(imap_settings(dovecot, imap_folder), state, max_message_bytes=LIMIT)
    (old,) = box.fetch_new()
    box.mark_processed(old.id)
    box.close()
    # the folder is recreated (as after a server migration): new UIDVALIDITY, keywords lost
    client = dovecot.client()
    client.delete_folder(imap_folder)
    client.create_folder(imap_folder)
    client.append(imap_folder, fixture("reply_not_held.eml"))
    client.logout()
    box = ImapMailbox(imap_settings(dovecot, imap_folder), state, max_message_bytes=LIMIT)
    (again,) = box.fetch_new()
    assert again.id != old.id and again.id.split(":")[0] != old.id.split(":")[0]
    assert state.get_meta(box._meta_key) == again.id.split(":")[0]
    box.mark_processed(old.id)  # a stale id is ignored, not applied to the wrong message
    assert len(box.fetch_new()) == 1
    box.close()


@pytest.mark.dovecot
def test_imap_reconnects_after_the_server_restarts(dovecot, imap_folder, state):
    box = ImapMailbox(imap_settings(dovecot, imap_folder), state, max_message_bytes=LIMIT)
    assert box.fetch_new() == []
    dovecot.restart()
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))
    assert len(box.fetch_new()) == 1
    assert box.connects == 2
    box.close()


@pytest.mark.dovecot
def test_imap_polls_when_the_server_has_no_idle(dovecot_without_idle, state):
    server = dovecot_without_idle
    box = ImapMailbox(imap_settings(server, "INBOX"), state, max_message_bytes=LIMIT, poll_interval=0.2)
    assert box.fetch_new() == []
    assert not box.can_idle
    stop = threading.Event()
    box.wait(30, stop)  # returns after the poll interval, not the 30 s timeout
    assert not box.idling.is_set()
    server.append("INBOX", fixture("reply_not_held.eml"))
    assert len(box.fetch_new()) == 1
    box.close()


@pytest.mark.dovecot
def test_imap_mail_arriving_just_before_idle_still_wakes_the_wait(dovecot, imap_folder, state):
    box = ImapMailbox(imap_settings(dovecot, imap_folder), state, max_message_bytes=LIMIT, poll_interval=60)
    assert box.fetch_new() == []
    dovecot.append(imap_folder, fixture("reply_not_held.eml"))  # after the last SEARCH, before IDLE
    done = threading.Event()
    stop = threading.Event()

    def waiter():
        box.wait(30, stop)
        done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    woke = done.wait(10)
    stop.set()
    thread.join()
    assert woke, "the announcement that came with the IDLE start was missed"
    assert len(box.fetch_new()) == 1
    box.close()


# ------------------------------------------------------------------ TLS (certificates verified)


@pytest.mark.dovecot
@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_imap_tls_with_a_trusted_certificate(dovecot_tls, tls_files, state, tls):
    port = dovecot_tls.tls_port if tls == "ssl" else dovecot_tls.port
    dovecot_tls.append("INBOX", fixture("reply_not_held.eml"))
    settings = imap_settings(dovecot_tls, "INBOX", tls=tls, port=port, ca_file=str(tls_files[0]))
    box = ImapMailbox(settings, state, max_message_bytes=LIMIT, max_connect_attempts=1)
    assert len(box.fetch_new()) >= 1
    box.close()


@pytest.mark.dovecot
@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_imap_tls_refuses_an_unverifiable_certificate(dovecot_tls, state, tls):
    from bot.service.mailbox import MailboxUnavailable

    port = dovecot_tls.tls_port if tls == "ssl" else dovecot_tls.port
    box = ImapMailbox(imap_settings(dovecot_tls, "INBOX", tls=tls, port=port), state, max_message_bytes=LIMIT,
                      max_connect_attempts=1)
    with pytest.raises(MailboxUnavailable):
        box.fetch_new()
    assert box.client is None
