"""`foibot init`: the interview through stdin, the same answers as flags, and what gets written."""

from __future__ import annotations

import stat
import subprocess
import sys

from bot.cli import main
from bot.config import load_settings
from tests.ops.conftest import REPO


def foibot(*args: str, stdin: str = "", cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, cwd=cwd or REPO, timeout=60,
    )


def private(path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_interactive_init_through_stdin_writes_a_config_that_loads(tmp_path):
    config = tmp_path / "etc" / "foibot.toml"
    answers = [
        "forward",              # mode
        str(tmp_path / "data"),  # data directory
        "imap",                 # mailbox kind
        "imap.harbour.example",  # IMAP server
        "",                     # security: ssl (default)
        "",                     # port: 993 (default for ssl)
        "foibot@harbour.example",
        "imap-s3cret",          # IMAP password
        "",                     # folder INBOX
        "",                     # send: smtp (default after imap)
        "",                     # SMTP server: the IMAP one
        "",                     # starttls
        "",                     # 587
        "",                     # SMTP user: the IMAP one
        "",                     # SMTP password: the IMAP one
        "",                     # from address: the IMAP user
        "ada@example.org, not an address, @Newsroom.example",  # one bad entry: asked again
        "ada@example.org, @Newsroom.example",
        "8.15",                 # not HH:MM: asked again
        "08:15",
        "Europe/Dublin",
    ]
    done = foibot("init", "--config", str(config), stdin="\n".join(answers) + "\n")
    assert done.returncode == 0, done.stderr
    assert "is neither an address nor an @domain" in done.stdout
    assert "is not a time like 07:30" in done.stdout
    assert f"next: foibot doctor --config {config}" in done.stdout

    imap_pass = config.with_name("foibot.imap.pass")
    smtp_pass = config.with_name("foibot.smtp.pass")
    assert private(imap_pass) and private(smtp_pass)
    text = config.read_text()
    assert "imap-s3cret" not in text  # secrets only in the 0600 files
    assert text.count("\n# ") + text.count("  # ") > 5  # commented
    settings = load_settings(str(config), None)
    assert settings.mailbox.kind == "imap" and settings.send.kind == "smtp"
    assert (settings.imap.host, settings.imap.port, settings.imap.tls) == ("imap.harbour.example", 993, "ssl")
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.tls) == ("imap.harbour.example", 587, "starttls")
    assert settings.imap.password.get_secret_value() == "imap-s3cret" == settings.smtp.password.get_secret_value()
    assert settings.smtp.from_address == "foibot@harbour.example"
    assert settings.allow == ["ada@example.org", "@newsroom.example"]
    assert (settings.digest.time, settings.digest.timezone) == ("08:15", "Europe/Dublin")


def test_interactive_init_that_runs_out_of_answers_fails_cleanly(tmp_path):
    done = foibot("init", "--config", str(tmp_path / "c.toml"), stdin="inbox\n")
    assert done.returncode == 2
    assert done.stderr.startswith("foibot: foibot init: the answers ended early")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "c.toml").exists()


def test_non_interactive_init_takes_flags(tmp_path, capsys):
    password = tmp_path / "from-vault"
    password.write_text("vault-value\n")
    config = tmp_path / "foibot.toml"
    code = main([
        "init", "--non-interactive", "--config", str(config), "--mode", "inbox", "--owner", "me@example.org",
        "--data-dir", str(tmp_path / "data"), "--mailbox", "imap", "--imap-host", "mail.example.org",
        "--imap-tls", "starttls", "--imap-user", "me@example.org", "--imap-password-file", str(password),
        "--send", "maildir", "--allow", "me@example.org", "--digest-time", "06:00", "--timezone", "UTC",
    ])
    assert code == 0
    settings = load_settings(str(config), None)
    assert (settings.mode, settings.owner) == ("inbox", "me@example.org")
    assert (settings.imap.port, settings.imap.tls) == (143, "starttls")
    assert settings.imap.password.get_secret_value() == "vault-value"
    assert private(config.with_name("foibot.imap.pass"))
    assert not config.with_name("foibot.smtp.pass").exists()
    assert settings.send.kind == "maildir"

    # an existing config is kept unless --force
    assert main(["init", "--non-interactive", "--config", str(config)]) == 2
    assert "exists: pass --force" in capsys.readouterr().err
    assert main(["init", "--non-interactive", "--config", str(config), "--force"]) == 0
    assert load_settings(str(config), None).mailbox.kind == "maildir"


def test_non_interactive_init_names_the_missing_flag(tmp_path, capsys):
    code = main(["init", "--non-interactive", "--config", str(tmp_path / "c.toml"), "--mailbox", "imap"])
    assert code == 2
    assert "--imap-host is needed" in capsys.readouterr().err
    code = main(["init", "--non-interactive", "--config", str(tmp_path / "c.toml"), "--timezone", "Mars/Olympus"])
    assert code == 2
    assert "not a known timezone" in capsys.readouterr().err
    assert not (tmp_path / "c.toml").exists()
