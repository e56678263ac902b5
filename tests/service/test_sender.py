"""Summary composition (headers, encoding, injection safety) and both transports against real sinks."""

from __future__ import annotations

import email
import email.policy

import pytest

from bot.config import SmtpSettings
from bot.service.sender import MaildirTransport, SendError, SmtpTransport, compose_summary, summary_subject


def compose(**overrides):
    values = dict(
        outcome="partial_disclosure",
        original_subject="Fwd: FOI 2026/0413 - response",
        text="Plain summary – £ sign",
        html="<p>HTML summary &amp; more</p>",
        from_address="foibot@bot.example",
        from_name="FOI bot",
        recipient="zoe.nf@mail.example",
        recipient_name="Zoë Nakamura-Ferrand",
        in_reply_to="<fwd-1@mail.example>",
        references=("<orig-1@council.example>",),
    )
    values.update(overrides)
    return compose_summary(**values)


def reparse(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_summary_headers_follow_the_contract():
    message = reparse(compose())
    assert message["In-Reply-To"] == "<fwd-1@mail.example>"
    assert message["References"] == "<orig-1@council.example> <fwd-1@mail.example>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Foibot-Outcome"] == "partial_disclosure"
    assert message["Subject"] == "FOI reply summary: Partial disclosure — FOI 2026/0413 - response"
    assert message["Message-ID"].endswith("@bot.example>")
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "Plain summary – £ sign"
    assert "HTML summary &amp; more" in message.get_body(("html",)).get_content()


def test_non_ascii_display_name_is_encoded_on_the_wire():
    raw = compose().as_bytes()
    assert raw.isascii()
    assert b"=?utf-8?" in raw
    assert reparse(compose())["To"].addresses[0].display_name == "Zoë Nakamura-Ferrand"


def test_header_injection_from_the_original_subject_is_neutralised():
    message = reparse(compose(original_subject="Hi\r\nBcc: victim@evil.example\r\nX-Evil: 1"))
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"]
    name_attack = reparse(compose(recipient_name="Eve\r\nBcc: x@evil.example"))
    assert name_attack["Bcc"] is None


def test_subject_is_bounded_and_without_forward_prefixes():
    subject = summary_subject("refused", "Fwd: RE: " + "x" * 500)
    assert subject.startswith("FOI reply summary: Refused — xxx") and len(subject) < 230


def test_missing_parent_message_id_leaves_no_threading_headers():
    message = compose(in_reply_to="", references=())
    assert message["In-Reply-To"] is None and message["References"] is None


def test_maildir_transport_writes_once_per_summary_id(tmp_path):
    transport = MaildirTransport(tmp_path / "outbox")
    message = compose()
    for _ in range(3):
        transport.send(message.as_bytes(), "foibot@bot.example", "zoe.nf@mail.example", message["Message-ID"])
    (written,) = list((tmp_path / "outbox" / "new").iterdir())
    assert written.read_bytes() == message.as_bytes()
    # read by a mail client (moved to cur/ with flags): still counts as delivered
    written.rename(tmp_path / "outbox" / "cur" / (written.name + ":2,S"))
    transport.send(message.as_bytes(), "foibot@bot.example", "zoe.nf@mail.example", message["Message-ID"])
    assert list((tmp_path / "outbox" / "new").iterdir()) == []


def test_smtp_transport_delivers_to_a_real_listener(smtp_sink):
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=smtp_sink.port, tls="none"))
    message = compose()
    transport.send(message.as_bytes(), "foibot@bot.example", "zoe.nf@mail.example", message["Message-ID"])
    ((mail_from, rcpt_tos, data),) = smtp_sink.received()
    assert mail_from == "foibot@bot.example" and rcpt_tos == ["zoe.nf@mail.example"]
    assert reparse(message)["Message-ID"] == email.message_from_bytes(data, policy=email.policy.default)["Message-ID"]


def test_smtp_down_is_a_transient_error(smtp_sink):
    port = smtp_sink.port
    smtp_sink.stop()
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, tls="none", timeout=5))
    with pytest.raises(SendError) as caught:
        transport.send(b"Subject: x\r\n\r\nx\r\n", "a@b.example", "c@d.example", "<x@y>")
    assert not caught.value.permanent


def test_starttls_to_a_server_without_tls_fails_instead_of_sending_in_clear(smtp_sink):
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=smtp_sink.port, tls="starttls", timeout=5))
    with pytest.raises(SendError):
        transport.send(b"Subject: x\r\n\r\nx\r\n", "a@b.example", "c@d.example", "<x@y>")
    assert smtp_sink.received() == []


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_smtp_tls_verifies_the_certificate(tls_files, tls):
    import ssl

    from tests.service.conftest import SmtpSink

    cert, key = tls_files
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sink = SmtpSink(**({"ssl_context": server_context} if tls == "ssl" else {"tls_context": server_context}))
    sink.start()
    try:
        message = compose()
        untrusted = SmtpTransport(SmtpSettings(host="127.0.0.1", port=sink.port, tls=tls, timeout=5))
        with pytest.raises(SendError):
            untrusted.send(message.as_bytes(), "foibot@bot.example", "zoe.nf@mail.example", message["Message-ID"])
        assert sink.received() == []
        trusted = SmtpTransport(SmtpSettings(host="127.0.0.1", port=sink.port, tls=tls, timeout=5, ca_file=str(cert)))
        trusted.send(message.as_bytes(), "foibot@bot.example", "zoe.nf@mail.example", message["Message-ID"])
        assert len(sink.received()) == 1
    finally:
        sink.stop()
