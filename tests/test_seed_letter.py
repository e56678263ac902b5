"""The letter that started the project (DWP, FOI 784) must come out exactly right, however it arrives.

It is read from ../shared/seeds (third-party text, not copied into the repo); the PDF, the
authority's email and the requester's forward are built from it at test time.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from tests import mailbuild
from tests.conftest import SEED

TODAY = dt.date(2026, 11, 26)


def assert_seed_triage(result: dict) -> None:
    assert result["outcome"] == "refused"
    assert "delay" in result["labels"] and "refused" in result["labels"]
    assert sorted(e["citation"] for e in result["exemptions"]) == ["s24", "s31"]
    assert {e["kind"] for e in result["exemptions"]} == {"qualified"}
    assert all("Sections 31 and 24" in " ".join(e["evidence"].split()) for e in result["exemptions"])
    assert result["refusal_grounds"] == ["exemption"]
    assert result["reference"] == "FOI 784"
    assert result["authority"] == "Department for Work & Pensions"
    assert result["jurisdiction"] == "uk_foia"
    assert result["dates"]["request_received"] == "2018-02-26"
    assert result["dates"]["letter"] == "2018-04-17"
    deadlines = result["deadlines"]
    assert deadlines["response_due"] == "2018-03-27"
    assert deadlines["days_late"] == 13
    assert deadlines["internal_review_by"] == "2018-06-17"
    assert result["requester"]["name"] == "John Slater"
    steps = [s["action"] for s in result["next_steps"]]
    assert steps[:2] == ["request_internal_review", "complain_to_regulator"]
    draft = result["next_steps"][0]["draft"]
    assert "FOI 784" in draft and "s31" in draft and "s24" in draft and "public interest" in draft
    assert result["needs_review"] is False


def test_seed_letter_as_text_via_the_cli(seed_text):
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "triage", str(SEED), "--json", "--today", TODAY.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    assert_seed_triage(json.loads(out.stdout))


def test_seed_letter_summary_says_what_was_got_first(triager, seed_text):
    letter_path = SEED
    result = triager.triage_path(letter_path, today=TODAY)
    first_line = result.summary.splitlines()[0]
    assert first_line == "What you got: a refusal."
    before_draft = result.summary.split("---- Draft")[0]
    assert "13 working days late" in before_draft
    assert "17 June 2018" in before_draft
    assert len(before_draft.split("How the dates were worked out")[0].split()) <= 200


@pytest.fixture(scope="module")
def seed_email(seed_text) -> bytes:
    """The DWP reply as it really arrives: a short cover note, the letter as a PDF attachment."""
    return mailbuild.email_with_attachment(
        body="Dear Mr Slater,\n\nPlease see the attached response to your Freedom of Information request.\n\n"
        "DWP Digital, Parliamentary Business Focal Point\n",
        attachments=[("FOI 784 response.pdf", mailbuild.pdf_bytes(seed_text), "application/pdf")],
        sender="DWP Technology Freedom of Information <technology-foi@dwp.gov.example>",
        to="John Slater <request-467593-c3b9ea02@whatdotheyknow.com>",
        subject="Freedom of Information request - FOI 784",
        date="Tue, 17 Apr 2018 15:02:00 +0100",
        message_id="<foi784-reply@dwp.gov.example>",
    )


def test_seed_letter_as_pdf_attached_to_an_email(triager, seed_email):
    result = triager.triage_bytes(seed_email, today=TODAY)
    assert_seed_triage(result.to_contract())
    assert any(source.kind == "pdf" for source in result.sources)


@pytest.mark.parametrize("style", ["gmail", "outlook"])
def test_seed_letter_forwarded_by_the_requester_from_webmail(triager, seed_email, style):
    forward = mailbuild.forward_inline(seed_email, forwarder="John Slater <john.slater@mail.example>", style=style)
    result = triager.triage_bytes(forward, today=TODAY)
    assert_seed_triage(result.to_contract())


def test_seed_letter_forwarded_as_an_attachment(triager, seed_email):
    forward = mailbuild.forward_as_attachment(seed_email, forwarder="John Slater <john.slater@mail.example>")
    result = triager.triage_bytes(forward, today=TODAY)
    assert_seed_triage(result.to_contract())
