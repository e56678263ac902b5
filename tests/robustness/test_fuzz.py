"""Property-based: random and mutated MIME messages never crash, hang or balloon the pipeline or the worker.

Seeds are the repo's own invented emails plus, when ../shared is present, the Alaveteli
fixtures (read in place). Mutations are what broken and hostile mail does: flipped and
inserted bytes, truncation, repeated sections, injected MIME headers (bogus charsets,
base64 where there is none, message/rfc822, TNEF), splices of two messages.

Each example runs under the worker's own watchdog (bot/service/guard.py) with a generous
time budget and a memory ceiling, so "no hang" and "bounded memory" are checked by the
mechanism production relies on. Examples are derandomised (the same in CI every run);
FOIBOT_FUZZ_EXAMPLES=2000 explores more.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ServiceLimits, load_settings
from bot.errors import UnreadableInput
from bot.model import LimitExceeded
from bot.service import guard
from bot.service.commands import build_worker
from bot.service.mailbox import Incoming
from bot.service.state import TERMINAL_STATUSES
from bot.service.worker import message_key
from bot.triage import parse_message
from tests.robustness.conftest import alaveteli_fixtures
from tests.robustness.hostile import with_limits

REPO = Path(__file__).resolve().parents[2]
SEED_DIRS = [REPO / "tests" / "fixtures" / sub for sub in ("mail", "service", "cli")] + [REPO / "tests" / "cases" / "fixtures"]
SEEDS = sorted(p.read_bytes() for d in SEED_DIRS if d.is_dir() for p in d.glob("*.eml")) + [
    p.read_bytes() for p in alaveteli_fixtures()
]
EXAMPLES = int(os.environ.get("FOIBOT_FUZZ_EXAMPLES", "0"))
#: spaCy's share of a long letter is most of the run time and is not what is fuzzed here: 4,000 chars
LIMITS = ServiceLimits(message_seconds=30.0, message_memory_mb=768, max_nlp_chars=4000)

NASTY = [
    b"\r\n", b"\n\n", b"\r\n\r\n", b"\0", b"\xff\xfe", b"=?", b"?=", b"=?utf-8?b?", b"=?utf-7?q?+AGA-", b"--", b"boundary=",
    b"Content-Type: multipart/mixed; boundary=\"\"\r\n", b"\t", b"<", b">", b";", b"\"", b"\\", b"=\r\n", b"=XX", b"%PDF-1.4",
    b"PK\x03\x04", b"{\\rtf1", b"\x78\x9f\x3e\x22",
]  # fmt: skip
HEADERS = [
    b'Content-Type: multipart/mixed; boundary="zz"\r\n',
    b"Content-Type: multipart/alternative\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\n",
    b'Content-Type: text/plain; charset="utf-7"\r\n',
    b'Content-Type: text/plain; charset="no-such-charset"\r\n',
    b"Content-Type: text/html; charset=utf-16\r\n",
    b"Content-Type: message/rfc822\r\n",
    b'Content-Type: application/ms-tnef; name="winmail.dat"\r\n',
    b'Content-Type: application/pdf; name="x.pdf"\r\nContent-Disposition: attachment; filename="x.pdf"\r\n',
    b"Subject: =?utf-8?b?////?= =?iso-2022-jp?b?GyRC?=\r\n",
    b"From: =?x-unknown?q?=FF=FE?= <a@b>, , <<>>, \"unclosed\r\n",
    b"Date: Tue, 31 Feb 99999 25:61:61 +9999\r\n",
    b"Message-ID: <>\r\n",
    b"Auto-Submitted: no\r\n",
]  # fmt: skip


@st.composite
def mutated_messages(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)) if draw(st.integers(0, 9)) else draw(st.binary(max_size=2000)))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(("flip", "insert", "delete", "truncate", "repeat", "header", "splice")))
        at = int(draw(st.floats(0, 1)) * len(data)) if data else 0
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY)) * draw(st.integers(1, 20))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 400))]
        elif op == "truncate":
            del data[at:]
        elif op == "repeat":
            piece = bytes(data[at : at + draw(st.integers(1, 200))])
            data[at:at] = piece * draw(st.integers(1, 40))
        elif op == "header":
            data[0:0] = draw(st.sampled_from(HEADERS))
        elif op == "splice":
            other = draw(st.sampled_from(SEEDS))
            data = data[:at] + other[int(draw(st.floats(0, 1)) * len(other)) :]
    return bytes(data)


def fuzz_settings(default_examples: int):
    return settings(
        max_examples=EXAMPLES or default_examples,
        deadline=None,  # the watchdog below is the hang detector
        derandomize=not EXAMPLES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
        database=None,
    )


def test_the_seeds_are_here():
    assert len(SEEDS) >= 20, "the repo's own fixture emails are the fuzzer's seeds"


@fuzz_settings(100)
@given(raw=mutated_messages())
def test_pipeline_never_crashes_hangs_or_balloons(triager, raw):
    limited = with_limits(triager, LIMITS)

    def pipeline() -> str:
        try:
            message = parse_message(raw, LIMITS)
        except (LimitExceeded, UnreadableInput):
            return "refused"
        try:
            result = limited.triage_message(message)
        except LimitExceeded:
            return "refused"
        limited.render_text(result)
        limited.render_html(result)
        result.to_contract()
        return "triaged"

    try:
        assert guard.run_guarded(pipeline, seconds=LIMITS.message_seconds, memory_mb=LIMITS.message_memory_mb) in (
            "refused",
            "triaged",
        )
    except guard.OverBudget as exc:
        pytest.fail(f"the pipeline hung or ballooned on a {len(raw)}-byte message: {exc}")


@pytest.fixture(scope="module")
def fuzz_worker(triager):
    """One worker on the embedded default (everyone allowed: most messages reach triage)."""
    directory = Path(tempfile.mkdtemp(prefix="foibot-fuzz-"))
    settings = load_settings(None, str(directory / "data"))
    settings.limits = LIMITS
    worker = build_worker(settings, threading.Event(), once=True, triager=with_limits(triager, LIMITS))
    yield worker, settings
    worker.state.close()


@fuzz_settings(150)
@given(raw=mutated_messages())
def test_worker_handles_every_message_without_a_failed_try(fuzz_worker, raw):
    worker, settings = fuzz_worker
    fuzz_worker_counter.append(1)
    worker.handle(Incoming(f"{len(fuzz_worker_counter):06d}.fuzz", raw))  # what cycle() does per fetched message
    key, _ = message_key(raw)
    row = worker.state.message(key)
    assert row is not None, "every delivered message is recorded"
    assert row.status in TERMINAL_STATUSES, (row.status, row.last_error)
    assert row.attempts == 0, row.last_error  # quarantined with a reason, or answered: never "failed"


fuzz_worker_counter: list[int] = []
