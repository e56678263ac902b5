"""Resource limits: each attack ends in quarantine (with a reason that names the limit), and the
worker goes on to answer the honest reply that arrived after it.

The per-message watchdog (bot/service/guard.py) is tested with a Triager that misbehaves on
a marker word (hangs, eats memory, crashes in C): the real guard, the real worker, the
real state; only the misbehaviour is staged, because no honest input should cause it.
"""

from __future__ import annotations

import base64
import faulthandler
import json
import os
import signal
import time

import pytest

from bot.model import LimitExceeded
from bot.service import guard
from tests.mailbuild import nested_multipart, zip_bomb_docx
from tests.robustness.hostile import (
    Harness,
    flate_bomb_pdf,
    forwarded,
    good_forward,
    many_pages_pdf,
    reply_with,
    self_referencing_pdf,
)

# a budget far above an honest message (well under a second) and far below "hung"
LIMITS = "[limits]\nmessage_seconds = 20.0\nmessage_memory_mb = 512\n"
GOOD = "<good-after-attacks@mail.example>"


def test_each_attack_is_quarantined_with_its_reason_and_the_next_reply_is_answered(tmp_path, triager):
    harness = Harness(tmp_path, triager, extra=LIMITS)
    attacks = {
        "<zip-bomb@mail.example>": (
            [("response.docx", zip_bomb_docx(8 * 1024 * 1024), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")],
            "compressed",
        ),
        "<five-thousand-pages@mail.example>": ([("bundle.pdf", many_pages_pdf(5000), "application/pdf")], "5000 pages"),
    }
    for forward_id, (attachments, _) in attacks.items():
        harness.drop(forwarded(reply_with(attachments, message_id=forward_id.replace("@", ".orig@")), forward_id))
    harness.drop(nested_multipart(200).replace(b"Subject: deep", b"Message-ID: <nested-200@mail.example>\r\nSubject: deep"))
    harness.drop(good_forward(GOOD))

    assert harness.run_once() == 0

    rows = harness.rows()
    for forward_id, (_, words) in attacks.items():
        assert rows[forward_id]["status"] == "quarantined", rows[forward_id]
        assert rows[forward_id]["reason"].startswith("over a limit:") and words in rows[forward_id]["reason"]
    assert rows["<nested-200@mail.example>"]["status"] == "quarantined"
    assert "multipart" in rows["<nested-200@mail.example>"]["reason"] or "nest" in rows["<nested-200@mail.example>"]["reason"]
    assert rows[GOOD]["status"] == "answered"
    assert [s["In-Reply-To"] for s in harness.summaries()] == [GOOD]
    assert not any("time budget" in row["reason"] for row in rows.values()), "a limit, not the watchdog, must stop these"


def test_a_50_mb_attachment_is_quarantined_from_its_header_alone(tmp_path, triager):
    harness = Harness(tmp_path, triager, extra=LIMITS)
    payload = os.urandom(50 * 1024 * 1024)
    raw = forwarded(reply_with([("scan.pdf", payload, "application/pdf")], message_id="<big.orig@x.example>"), "<fifty-mb@mail.example>")
    assert len(raw) > 50 * 1024 * 1024
    harness.drop(raw)
    harness.drop(good_forward(GOOD))

    assert harness.run_once() == 0

    rows = harness.rows()
    assert rows["<fifty-mb@mail.example>"]["status"] == "quarantined"
    assert "max_message_bytes" in rows["<fifty-mb@mail.example>"]["reason"]
    state = harness.state()
    stored = state.db.execute("SELECT length(raw) FROM messages WHERE message_id = '<fifty-mb@mail.example>'").fetchone()[0]
    state.close()
    assert stored < 64 * 1024, "only the header of an oversized message is read and kept"
    assert rows[GOOD]["status"] == "answered"


def test_a_self_referencing_pdf_page_tree_is_read_as_damaged_not_followed_forever(tmp_path, triager):
    harness = Harness(tmp_path, triager, extra=LIMITS)
    reply = reply_with([("loop.pdf", self_referencing_pdf(), "application/pdf")], message_id="<loop.orig@x.example>")
    harness.drop(forwarded(reply, "<pdf-loop@mail.example>"))

    assert harness.run_once() == 0

    row = harness.rows()["<pdf-loop@mail.example>"]
    assert row["status"] == "answered" and row["attempts"] == 0
    state = harness.state()
    triage = json.loads(state.db.execute("SELECT triage_json FROM messages WHERE key = '<pdf-loop@mail.example>'").fetchone()[0])
    state.close()
    assert "loop.pdf could not be read as a PDF." in triage["warnings"]
    (summary,) = harness.summaries()
    assert summary["In-Reply-To"] == "<pdf-loop@mail.example>"


def test_a_pdf_decompression_bomb_costs_one_child_not_the_worker(tmp_path, triager):
    """A 500 KB PDF whose page inflates to 200 MB: pdfium hits the child's memory ceiling and
    aborts (C++ cannot raise MemoryError); the worker records the failed try and moves on."""
    harness = Harness(tmp_path, triager, extra="max_attempts = 1\n[limits]\nmessage_seconds = 30.0\nmessage_memory_mb = 128\n")
    reply = reply_with([("bomb.pdf", flate_bomb_pdf(200), "application/pdf")], message_id="<bomb.orig@x.example>")
    harness.drop(forwarded(reply, "<pdf-bomb@mail.example>"))
    harness.drop(good_forward(GOOD))

    assert harness.run_once() == 0

    rows = harness.rows()
    bomb = rows["<pdf-bomb@mail.example>"]
    assert bomb["status"] == "quarantined"
    assert "ChildCrashed" in bomb["last_error"] or "MB of memory" in bomb["reason"], bomb
    assert rows[GOOD]["status"] == "answered"


def test_an_attachment_over_max_attachment_bytes_is_left_out_and_the_reply_still_answered(tmp_path, triager):
    """A 3 MB message is small, but its one attachment is over max_attachment_bytes: dropped (a parse defect)."""
    harness = Harness(tmp_path, triager, extra=LIMITS + "max_attachment_bytes = 1048576\n")
    data = os.urandom(2 * 1024 * 1024)
    reply = reply_with([("blob.bin", data, "application/octet-stream")], message_id="<blob.orig@x.example>")
    harness.drop(forwarded(reply, "<blob@mail.example>"))
    assert len(base64.b64encode(data)) < harness.settings.limits.max_message_bytes

    assert harness.run_once() == 0

    row = harness.rows()["<blob@mail.example>"]
    assert (row["status"], row["attempts"]) == ("answered", 0)


# ---------------------------------------------------------------- the per-message watchdog


class MisbehavingTriager:
    """The real Triager, except on a marker word in the letter: hang, eat memory, or crash."""

    def __init__(self, real) -> None:
        self.real = real

    def load_models(self):
        return self.real.load_models()

    def triage_message(self, message, **options):
        text = message.body_text
        if "HANG-FOREVER" in text:
            while True:
                time.sleep(0.05)
        if "EAT-MEMORY" in text:
            hoard = []
            while True:
                hoard.append(bytearray(64 * 1024 * 1024))
        if "CRASH-IN-C" in text:
            faulthandler.disable()  # pytest's traceback dump would only be noise here
            os.kill(os.getpid(), signal.SIGSEGV)
        return self.real.triage_message(message, **options)

    def render_text(self, triage):
        return self.real.render_text(triage)

    def render_html(self, triage):
        return self.real.render_html(triage)

    def outcome_words(self, triage):
        return self.real.outcome_words(triage)


def marker_forward(marker: str, forward_id: str) -> bytes:
    reply = reply_with([], message_id=forward_id.replace("@", ".orig@"), body=f"Dear Ms Okafor,\n\n{marker}\n")
    return forwarded(reply, forward_id)


def test_watchdog_quarantines_a_hang_and_a_memory_bomb_and_survives_a_crash(tmp_path, triager):
    harness = Harness(
        tmp_path, MisbehavingTriager(triager), extra="max_attempts = 2\n[limits]\nmessage_seconds = 3.0\nmessage_memory_mb = 256\n"
    )
    harness.drop(marker_forward("HANG-FOREVER", "<hang@mail.example>"))
    harness.drop(marker_forward("EAT-MEMORY", "<memory@mail.example>"))
    harness.drop(marker_forward("CRASH-IN-C", "<segfault@mail.example>"))
    harness.drop(good_forward(GOOD))

    assert harness.run_once() == 0  # the crash is tried once per pass...
    assert harness.run_once() == 0  # ...and quarantined at max_attempts

    rows = harness.rows()
    assert rows["<hang@mail.example>"]["status"] == "quarantined"
    assert "time budget of 3 s" in rows["<hang@mail.example>"]["reason"]
    assert rows["<memory@mail.example>"]["status"] == "quarantined"
    assert "256 MB" in rows["<memory@mail.example>"]["reason"]
    assert rows["<segfault@mail.example>"]["status"] == "quarantined"
    assert "SIGSEGV" in rows["<segfault@mail.example>"]["last_error"]
    assert rows[GOOD]["status"] == "answered"
    assert [s["In-Reply-To"] for s in harness.summaries()] == [GOOD]


def test_guard_returns_results_and_reraises_the_childs_own_exceptions():
    assert guard.run_guarded(lambda: {"answer": 42}, seconds=10) == {"answer": 42}
    with pytest.raises(LimitExceeded, match="too deep"):
        guard.run_guarded(lambda: (_ for _ in ()).throw(LimitExceeded("too deep")), seconds=10)

    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("no")

    def raise_unpicklable():
        raise Unpicklable("odd")

    with pytest.raises(RuntimeError, match="Unpicklable: odd"):
        guard.run_guarded(raise_unpicklable, seconds=10)


def test_guard_leaves_no_child_behind_after_a_timeout():
    before = set(os.listdir("/proc"))
    with pytest.raises(guard.OverBudget):
        guard.run_guarded(lambda: time.sleep(60), seconds=0.5)
    # the killed child was reaped: no zombie or orphan of ours remains
    for pid in set(os.listdir("/proc")) - before:
        if pid.isdigit():
            try:
                status = open(f"/proc/{pid}/status").read()
            except OSError:
                continue
            assert f"PPid:\t{os.getpid()}\n" not in status or "Zombie" not in status


def test_guard_off_runs_inline():
    assert guard.run_guarded(os.getpid, seconds=0) == os.getpid()
    assert guard.run_guarded(os.getpid, seconds=5) != os.getpid()
