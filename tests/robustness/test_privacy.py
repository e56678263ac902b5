"""Privacy and transport safety: info-level logs carry no bodies, subjects, names or addresses;
secrets come from the environment or private files; certificates are verified by default."""

from __future__ import annotations

import json
import ssl

import pytest

from bot.config import ImapSettings, SmtpSettings, load_settings
from bot.errors import UserError
from bot.service.sender import SmtpTransport
from tests.robustness.hostile import forwarded, reply_with
from tests.service.helpers import drop_into_maildir, settings_for, write_config
from tests.service.mails import authority_reply, forward, forwarded_refusal

#: what the test messages contain: none of it may appear in an info-level log line
PRIVATE = [
    "adaeze", "okafor", "mail.example", "northmere", "lindqvist", "stranger", "faraway.example",
    "2026/0413", "response to your request", "parking enforcement", "agency staff", "salaries",
    "what do i do now", "Hidden Subject Words", "confidential-body-words",
]  # fmt: skip


def test_info_logs_name_no_one_and_quote_nothing(tmp_path, spawn):
    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", extra='log_level = "info"')
    settings = settings_for(config)
    inbox = settings.inbox_path
    drop_into_maildir(inbox, "1.answered", forwarded_refusal(message_id="<priv-1@mail.example>"))
    stranger = forward(authority_reply(), forwarder="stranger@faraway.example", forwarder_name="Sam Stranger",
                       message_id="<priv-2@faraway.example>")  # fmt: skip
    drop_into_maildir(inbox, "2.skipped", stranger)
    reply = reply_with([], message_id="<priv-3.orig@mail.example>", body="confidential-body-words\n" * 3)
    reply.replace_header("Subject", "Hidden Subject Words")
    drop_into_maildir(inbox, "3.answered", forwarded(reply, "<priv-3@mail.example>"))
    drop_into_maildir(inbox, "4.quarantined", b"From: adaeze.okafor@mail.example\r\nSubject: Hidden Subject Words\r\n"
                      b"Message-ID: <priv-4@mail.example>\r\n" + b"Content-Type: multipart/mixed; boundary=x\r\n" * 300)  # fmt: skip

    process = spawn("run", "--once", "--config", str(config))
    _, err = process.communicate(timeout=180)
    assert process.returncode == 0, err.decode()[-3000:]

    lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
    events = {line["event"] for line in lines}
    assert {"message.triaged", "message.skipped", "message.quarantined", "send.sent"} <= events, events
    for line in lines:
        text = json.dumps(line, ensure_ascii=False).lower()
        for word in PRIVATE:
            assert word.lower() not in text, (word, line)


def test_passwords_come_from_the_environment_or_private_files(tmp_path, monkeypatch):
    secret = tmp_path / "imap.secret"
    secret.write_text("from-a-file\n")
    secret.chmod(0o644)
    config = tmp_path / "c.toml"
    config.write_text(f'[mailbox]\nkind = "imap"\n[imap]\nhost = "imap.example.org"\nusername = "bot"\npassword_file = "{secret}"\n')
    with pytest.raises(UserError, match="chmod 600"):
        load_settings(str(config), str(tmp_path / "d"))
    secret.chmod(0o600)
    assert load_settings(str(config), str(tmp_path / "d")).imap.password.get_secret_value() == "from-a-file"

    monkeypatch.setenv("FOIBOT_SMTP__PASSWORD", "from-the-environment")
    settings = load_settings(str(config), str(tmp_path / "d"))
    assert settings.smtp.password.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(settings) and "from-a-file" not in repr(settings)


def test_tls_is_on_and_verified_by_default_and_plaintext_only_to_localhost(tmp_path):
    assert (ImapSettings().tls, SmtpSettings().tls) == ("ssl", "starttls")
    context = SmtpTransport(SmtpSettings(host="smtp.example.org"))._tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    config = tmp_path / "c.toml"
    config.write_text('[send]\nkind = "smtp"\n[smtp]\nhost = "smtp.example.org"\ntls = "none"\n')
    with pytest.raises(UserError, match="only allowed to localhost"):
        load_settings(str(config), str(tmp_path / "d"))
