"""Settings: TOML keys of the contract, env overrides, secret files, embedded default, safety checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def test_embedded_default_uses_data_dir_and_allows_everyone(tmp_path):
    settings = load_settings(None, str(tmp_path / "d"))
    assert settings.inbox_path == tmp_path / "d" / "inbox"
    assert settings.outbox_path == tmp_path / "d" / "outbox"
    assert settings.state_file == tmp_path / "d" / "state.sqlite3"
    assert settings.mailbox.kind == "maildir" and settings.send.kind == "maildir"
    assert settings.allow_everyone


def test_default_data_dir_is_foibot_data(monkeypatch):
    monkeypatch.delenv("FOIBOT_DATA_DIR", raising=False)
    assert load_settings(None, None).data_dir == "./foibot-data"


def test_example_config_parses_with_every_contract_key():
    settings = load_settings(str(REPO / "config.example.toml"), None)
    assert settings.mode == "forward"
    assert settings.imap.tls == "ssl" and settings.smtp.tls == "starttls"
    assert settings.digest.timezone == "Europe/London"
    assert not settings.allow_everyone  # a real config never means "answer anyone"


def test_toml_then_env_then_command_line(tmp_path, monkeypatch):
    config = tmp_path / "foibot.toml"
    config.write_text(
        'data_dir = "/from/toml"\nallow = ["Me@Example.org", "@Newsroom.example"]\n'
        '[imap]\nhost = "imap.toml.example"\nport = 993\n[limits]\nmax_attachments = 7\n'
    )
    monkeypatch.setenv("FOIBOT_IMAP__HOST", "imap.env.example")
    monkeypatch.setenv("FOIBOT_MAX_ATTEMPTS", "5")
    settings = load_settings(str(config), str(tmp_path / "cli"))
    assert settings.imap.host == "imap.env.example"
    assert settings.imap.port == 993
    assert settings.max_attempts == 5
    assert settings.data_dir == str(tmp_path / "cli")
    assert settings.allow == ["me@example.org", "@newsroom.example"]
    assert settings.limits.max_attachments == 7


def test_password_file_is_read_and_must_be_private(tmp_path):
    secret = tmp_path / "imap.pass"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[mailbox]\nkind = "imap"\n[imap]\nhost = "imap.example.org"\nusername = "bot"\npassword_file = "{secret}"\n'
    )
    assert load_settings(str(config), None).imap.password.get_secret_value() == "s3cret"
    secret.chmod(0o644)
    with pytest.raises(UserError, match="readable by group or others"):
        load_settings(str(config), None)


@pytest.mark.parametrize(
    "text, message",
    [
        ("mode = ", "not valid TOML"),
        ('mode = "shout"', "bad setting 'mode'"),
        ('unknown_key = 1', "unknown_key"),
        ('[mailbox]\nkind = "imap"\n[imap]\nhost = "imap.example.org"\ntls = "none"\nusername = "u"', "only allowed to localhost"),
        ('[send]\nkind = "smtp"\n[smtp]\nhost = "smtp.example.org"\ntls = "none"', "only allowed to localhost"),
        ('mode = "inbox"', "needs `owner`"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path, text, message):
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(UserError, match=message):
        load_settings(str(config), None)


def test_missing_config_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_settings(str(tmp_path / "nope.toml"), None)


def test_plaintext_allowed_to_localhost(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[mailbox]\nkind = "imap"\n[imap]\nhost = "127.0.0.1"\ntls = "none"\nusername = "u"\n')
    assert load_settings(str(config), None).imap.tls == "none"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_data_dir_is_a_user_error(tmp_path):
    from bot.service.commands import prepare_dirs

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(UserError):
        prepare_dirs(load_settings(None, str(locked / "d")))
