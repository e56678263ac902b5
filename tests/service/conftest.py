"""Real servers for the service tests: a throwaway Dovecot (IMAP, `bot.devtools.dovecot`) and an
aiosmtpd sink. Without `/usr/sbin/dovecot` the IMAP tests are skipped, unless CI=true, where that fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.devtools.dovecot import DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, dovecot_binary, free_port

DOVECOT = dovecot_binary()
IMAP_USER, IMAP_PASSWORD = DEFAULT_USER, DEFAULT_PASSWORD


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def require_dovecot() -> None:
    """Skip without Dovecot, except in CI (CI=true), where a missing server is a failure."""
    if DOVECOT is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("dovecot is not installed but CI=true: install the Debian package dovecot-imapd")
        pytest.skip("dovecot is not installed (Debian package dovecot-imapd)")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="foibot-dovecot-"))
    server = Dovecot(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot_without_idle() -> Iterator[Dovecot]:
    """A second, short-lived server that does not advertise IDLE (for the polling fallback)."""
    require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="foibot-dovecot-noidle-"))
    server = Dovecot(root, extra_config="protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE ENABLE\n}")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_files() -> Iterator[tuple[Path, Path]]:
    """A throwaway self-signed certificate for 127.0.0.1/localhost: (cert.pem, key.pem)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    root = Path(tempfile.mkdtemp(prefix="foibot-tls-"))
    root.chmod(0o755)
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )
    key.chmod(0o644)  # read by Dovecot's config process; a test key, never a real one
    try:
        yield cert, key
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_tls(tls_files) -> Iterator[Dovecot]:
    """A Dovecot with TLS: STARTTLS on `port`, implicit TLS on `tls_port` (certificate from tls_files)."""
    require_dovecot()
    cert, key = tls_files
    root = Path(tempfile.mkdtemp(prefix="foibot-dovecot-tls-"))
    tls_port = free_port()
    server = Dovecot(
        root,
        extra_config=(
            f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n"
            f"service imap-login {{\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {tls_port}\n  }}\n}}\n"
        ),
    )
    server.tls_port = tls_port
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_folder(dovecot: Dovecot, request) -> str:
    """A fresh IMAP folder per test, so tests sharing the server do not see each other's mail."""
    if dovecot.process is None:
        dovecot.start()
    name = "t" + str(abs(hash(request.node.nodeid)) % 10**10) + "x" + str(time.monotonic_ns() % 10**6)
    dovecot.create_folder(name)
    return name


# ---------------------------------------------------------------- SMTP sink


class SmtpSink:
    """aiosmtpd on 127.0.0.1 at a fixed free port (port=0 does not work with its controller)."""

    def __init__(self, **controller_options) -> None:
        self.port = free_port()
        self.controller_options = controller_options
        self.messages: list[tuple[str, list[str], bytes]] = []
        self._lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        with self._lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True, **self.controller_options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def received(self) -> list[tuple[str, list[str], bytes]]:
        with self._lock:
            return list(self.messages)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


# ---------------------------------------------------------------- triage engine


@pytest.fixture(scope="session")
def triager():
    """One real Triager for the whole session (loading rules and spaCy takes about a second)."""
    from bot.triage import Triager

    return Triager()


@pytest.fixture
def spawn():
    """Start `foibot ...` processes; any still running when the test ends is killed (by pid)."""
    from tests.service.helpers import foibot

    started = []

    def start(*args, **options):
        process = foibot(*args, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
