"""Outgoing safety: what an attacker writes in a reply never shapes the summary's headers or
its HTML, summaries go only to allowed people at a bounded rate, and a summary is never
summarised (however it comes back)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from bot.service.sender import make_address
from tests.mailbuild import forward_as_attachment, forward_inline
from tests.robustness.hostile import Harness, good_forward
from tests.service.helpers import FORWARDER
from tests.service.mails import authority_reply, forward

EXPECTED_HEADERS = {
    "from", "to", "subject", "date", "message-id", "in-reply-to", "references", "auto-submitted",
    "x-auto-response-suppress", "x-foibot-outcome", "mime-version", "content-type", "content-transfer-encoding",
}  # fmt: skip

HOSTILE_FORWARD = (
    b"From: =?utf-8?q?Adaeze=0D=0ABcc=3A_victim=40evil=2Eexample?= <adaeze.okafor@mail.example>\r\n"
    b"To: foibot@bot.example\r\n"
    b"Subject: =?utf-8?q?Fwd=3A_FOI=0D=0ABcc=3A_victim2=40evil=2Eexample=0D=0AX-Injected=3A_yes?=\r\n"
    b"Message-ID: <hostile-fwd@mail.example>\r\n"
    b"Date: Wed, 04 Nov 2026 09:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
    b"--outer\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
    b"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: =?utf-8?q?Council=0D=0AReply-To=3A_attacker=40evil=2Eexample?= <foi@northmere-council.example>\r\n"
    b"To: adaeze.okafor@mail.example\r\n"
    b"Subject: =?utf-8?q?FOI_2026=2F0413=0D=0AX-Injected=3A_again=0D=0A=0D=0A<b>body</b>?=\r\n"
    b"Message-ID: <hostile-orig@northmere-council.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Dear Ms Okafor,\r\n\r\nYour request is refused. The information is exempt under section 40(2) of the\r\n"
    b"Freedom of Information Act 2000.\r\n\r\nInformation Governance Team\r\n"
    b"--outer--\r\n"
)


def raw_headers(summary_bytes: bytes) -> list[tuple[str, str]]:
    return email.message_from_bytes(summary_bytes, policy=email.policy.compat32).items()


def test_crlf_in_names_and_subjects_never_reaches_the_summary_headers(tmp_path, triager):
    harness = Harness(tmp_path, triager)
    harness.drop(HOSTILE_FORWARD)
    assert harness.run_once() == 0

    (path,) = list((harness.settings.outbox_path / "new").iterdir())
    data = path.read_bytes()
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")  # the SMTP policy writes ASCII headers
    names = {name.lower() for name, _ in raw_headers(data)}
    assert names <= EXPECTED_HEADERS, names - EXPECTED_HEADERS
    lines = head.split("\r\n")
    assert not any(line.lower().startswith(("bcc:", "x-injected:", "reply-to:", "cc:")) for line in lines), head
    summary = email.message_from_bytes(data, policy=email.policy.default)
    assert [a.addr_spec for a in summary["To"].addresses] == [FORWARDER]
    for name in ("Subject", "To", "From"):
        assert "\r" not in str(summary[name]) and "\n" not in str(summary[name])
    assert summary["Subject"].startswith("FOI reply summary: ")


@pytest.mark.parametrize(
    "address",
    ["adaeze@mail.example\r\nBcc: victim@evil.example", "adaeze@mail.example\nX: y", "no-at-sign", "@nolocal.example"],
)
def test_an_address_with_line_breaks_or_without_parts_is_refused(address):
    with pytest.raises(ValueError):
        make_address(address, "Name")


def test_html_from_the_reply_is_escaped_in_the_html_summary(tmp_path, triager):
    harness = Harness(tmp_path, triager)
    reply = EmailMessage(policy=SMTP)
    reply["From"] = "Council <foi@northmere-council.example>"
    reply["To"] = FORWARDER
    reply["Subject"] = 'FOI 2026/0777 <img src=x onerror="alert(1)">'
    reply["Message-ID"] = "<html-orig@northmere-council.example>"
    reply.set_content(
        "<html><body><p>Dear Ms Okafor,</p><p>Your request is refused. The information is exempt under "
        "section 40(2) of the Freedom of Information Act 2000 &lt;script&gt;steal()&lt;/script&gt; "
        "<script>alert('raw')</script><img src=x onerror=alert(2)></p><p>FOI Team</p></body></html>",
        subtype="html",
    )
    harness.drop(forward(reply, message_id="<html-fwd@mail.example>"))
    assert harness.run_once() == 0

    (summary,) = harness.summaries()
    html = summary.get_body(("html",)).get_content()
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    text = summary.get_body(("plain",)).get_content()
    if "steal()" in text:  # the letter's words travel as text, so in HTML they must be escaped
        assert "&lt;script&gt;steal()" in html


def test_a_forged_display_name_does_not_pass_the_allowlist(tmp_path, triager):
    harness = Harness(tmp_path, triager)
    # the display name is an allowed address, the real address is not
    harness.drop(forward(authority_reply(), forwarder="mallory@evil.example", forwarder_name=FORWARDER, message_id="<forged@evil.example>"))
    harness.drop(good_forward())
    assert harness.run_once() == 0
    rows = harness.rows()
    assert rows["<forged@evil.example>"]["status"] == "skipped"
    assert [a.addr_spec for s in harness.summaries() for a in s["To"].addresses] == [FORWARDER]


def test_per_recipient_hourly_limit_keeps_the_rest_queued(tmp_path, triager):
    harness = Harness(tmp_path, triager, extra="hourly_send_limit = 2")
    for number in range(4):
        harness.drop(forward(authority_reply(), message_id=f"<burst-{number}@mail.example>"))
    assert harness.run_once() == 0
    assert len(harness.summaries()) == 2
    state = harness.state()
    counts, errors = state.counts(), {row[0] for row in state.db.execute("SELECT last_error FROM outbox WHERE status = 'queued'")}
    state.close()
    assert (counts["sent"], counts["queued"]) == (2, 2)
    assert errors == {"hourly send limit reached"}


def test_global_hourly_limit_holds_even_when_no_single_recipient_is_over(tmp_path, triager):
    harness = Harness(tmp_path, triager, extra="hourly_send_limit = 30\nglobal_hourly_send_limit = 3")
    for number in range(5):
        harness.drop(forward(authority_reply(), message_id=f"<flood-{number}@mail.example>"))
    assert harness.run_once() == 0
    assert len(harness.summaries()) == 3
    state = harness.state()
    errors = {row[0] for row in state.db.execute("SELECT last_error FROM outbox WHERE status = 'queued'")}
    state.close()
    assert errors == {"global hourly send limit reached"}


# ---------------------------------------------------------------- loops


def test_a_summary_is_never_summarised_however_it_comes_back(tmp_path, triager):
    harness = Harness(tmp_path, triager)
    harness.drop(good_forward("<first@mail.example>"))
    assert harness.run_once() == 0
    (path,) = list((harness.settings.outbox_path / "new").iterdir())
    summary_bytes = path.read_bytes()
    summary = email.message_from_bytes(summary_bytes, policy=email.policy.default)

    stripped = EmailMessage(policy=SMTP)  # a forward whose client dropped the quoted header block
    stripped["From"] = FORWARDER
    stripped["To"] = "foibot@bot.example"
    stripped["Subject"] = "Fwd: " + str(summary["Subject"])
    stripped["Message-ID"] = "<loop-stripped@mail.example>"
    stripped.set_content("look at this\n\n" + summary.get_body(("plain",)).get_content())

    reply = EmailMessage(policy=SMTP)
    reply["From"] = FORWARDER
    reply["To"] = "foibot@bot.example"
    reply["Subject"] = "Re: " + str(summary["Subject"])
    reply["Message-ID"] = "<loop-reply@mail.example>"
    reply["In-Reply-To"] = str(summary["Message-ID"])
    reply.set_content("Thanks! Section 40(2) again, they refused.\n")

    comebacks = {
        "<loop-direct>": summary_bytes,  # our own summary delivered to the inbox (a Bcc, an alias)
        "<fwd-attached@mail.example>": forward_as_attachment(summary_bytes, forwarder=FORWARDER),
        "<fwd-gmail@mail.example>": forward_inline(summary_bytes, forwarder=FORWARDER, style="gmail"),
        "<loop-stripped@mail.example>": stripped.as_bytes(),
        "<loop-reply@mail.example>": reply.as_bytes(),
    }
    for raw in comebacks.values():
        harness.drop(raw)
    assert harness.run_once() == 0

    rows = harness.rows()
    statuses = {key: rows.get(key, rows.get(str(summary["Message-ID"]), {})).get("status") for key in comebacks}
    statuses["<loop-direct>"] = rows[str(summary["Message-ID"])]["status"]
    assert set(statuses.values()) == {"skipped"}, {k: (v, rows.get(k, {}).get("reason")) for k, v in statuses.items()}
    assert len(harness.summaries()) == 1
