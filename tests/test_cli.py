"""`foibot triage` on bad and odd input: a clear one-line error and exit 2, or `other` with needs_review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import mailbuild

FIXTURES = Path(__file__).parent / "fixtures" / "cli"


def foibot(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FOIBOT_DEBUG"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, env=env)


def assert_one_line_error(proc: subprocess.CompletedProcess, words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert words in err


def test_missing_file(tmp_path):
    assert_one_line_error(foibot("triage", str(tmp_path / "nope.eml")), "no such file")


def test_directory(tmp_path):
    assert_one_line_error(foibot("triage", str(tmp_path)), "is a directory")


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    assert_one_line_error(foibot("triage", str(empty)), "empty")


def test_empty_stdin():
    assert_one_line_error(foibot("triage", "-", stdin=b""), "empty")


def test_binary_junk(tmp_path):
    junk = tmp_path / "junk.eml"
    junk.write_bytes(bytes(range(256)) * 40)
    assert_one_line_error(foibot("triage", str(junk)), "not an email")


def test_bad_today_option():
    assert_one_line_error(foibot("triage", "-", "--today", "tomorrow"), "--today")


def test_unknown_jurisdiction(tmp_path):
    assert_one_line_error(foibot("triage", str(FIXTURES / "newsletter.eml"), "--jurisdiction", "mars_foi"), "unknown jurisdiction")


def test_a_newsletter_is_other_and_needs_review():
    proc = foibot("triage", str(FIXTURES / "newsletter.eml"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "other"
    assert result["needs_review"] is True
    assert result["exemptions"] == []


def test_truncated_mime_still_triages_the_readable_part():
    proc = foibot("triage", str(FIXTURES / "truncated.eml"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "not_held"


def test_raw_email_on_stdin():
    proc = foibot("triage", "-", "--json", stdin=(FIXTURES / "truncated.eml").read_bytes())
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["outcome"] == "not_held"


def test_image_only_pdf_says_the_text_could_not_be_read(tmp_path):
    scanned = tmp_path / "scanned.pdf"
    scanned.write_bytes(mailbuild.image_only_pdf_bytes(pages=2))
    proc = foibot("triage", str(scanned), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "other"
    assert result["needs_review"] is True
    assert any("text" in w for w in result["warnings"])


def test_encrypted_pdf_is_not_a_traceback(tmp_path):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(mailbuild.encrypted_pdf_bytes("Dear Ms Desai, we do not hold the information."))
    proc = foibot("triage", str(locked), "--json")
    assert b"Traceback" not in proc.stderr
    assert proc.returncode in (0, 2)
    if proc.returncode == 0:
        assert json.loads(proc.stdout)["needs_review"] is True


def test_docx_letter(tmp_path):
    letter = tmp_path / "reply.docx"
    letter.write_bytes(
        mailbuild.docx_bytes(
            "Westmere County Council\n\nOur ref: WCC/FOI/3391\n\nDear Ms Desai,\n\n"
            "Thank you for your request received on 4 March 2024. We do not hold the information you asked for: "
            "the council does not record complaints by ward.\n\nYours sincerely,\nFOI Team"
        )
    )
    proc = foibot("triage", str(letter), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "not_held"
    assert result["reference"] == "WCC/FOI/3391"


def test_human_summary_is_the_default_output():
    proc = foibot("triage", str(FIXTURES / "truncated.eml"))
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("What you got: an answer that the information is not held.")


@pytest.mark.parametrize("argv", [["--help"], ["triage", "--help"]])
def test_help(argv):
    proc = foibot(*argv)
    assert proc.returncode == 0
    assert b"foibot" in proc.stdout
