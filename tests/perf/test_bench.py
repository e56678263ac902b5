"""`foibot bench`: the built inbox is varied and realistic, and the command prints the agreed keys.

No timing is asserted anywhere: the figures depend on the machine (see docs/performance.md).
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bench import InboxBuilder, load_sources
from bot.model import Limits
from bot.stages import extract, parse

REPO = Path(__file__).resolve().parents[2]
KEYS = ("replies_per_s", "spacy_only_replies_per_s", "ratio_vs_spacy", "latency_p50_ms", "latency_p95_ms", "peak_rss_mb", "startup_s")


@pytest.fixture(scope="module")
def built():
    builder = InboxBuilder(load_sources())
    return builder.build(120)


def test_the_inbox_mixes_every_kind_with_distinct_message_ids(built):
    kinds = {kind for kind, _ in built}
    assert {"plain", "pdf", "docx", "forward_inline", "forward_attached", "example_eml"} <= kinds
    ids = [email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"] for _, raw in built]
    assert len(set(ids)) == len(built)


def test_attachments_and_forwards_give_the_letter_back(built):
    limits = Limits()
    for kind in ("pdf", "docx", "forward_inline", "forward_attached"):
        raw = next(raw for k, raw in built if k == kind)
        message = parse.parse_message(raw, limits)
        letter = extract.extract_letter(message, limits)
        assert len(letter.full_text) > 300, kind  # the letter, not only the cover note
        if kind.startswith("forward"):
            assert message.is_forward and message.forwarded_by_address.endswith("@mail.example")


def test_the_same_seed_builds_the_same_inbox():
    first = InboxBuilder(load_sources(), seed=3).build(15)
    second = InboxBuilder(load_sources(), seed=3).build(15)
    assert [kind for kind, _ in first] == [kind for kind, _ in second]


@pytest.mark.slow
def test_bench_json_prints_the_agreed_keys(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bench", "--messages", "20", "--json", "--latency-messages", "2", "--no-imap",
         "--keep", str(tmp_path / "bench")],
        cwd=REPO, capture_output=True, timeout=600,
    )
    assert process.returncode == 0, process.stderr.decode()[-2000:]
    result = json.loads(process.stdout)
    for key in KEYS:
        assert key in result
    assert result["backlog"]["replies"] == 20
    assert result["backlog"]["exactly_one_summary_each"] is True
    assert result["spacy_only"]["pipe_names"] == ["ner"]
