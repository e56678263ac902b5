"""Real servers for the service tests: a throwaway Dovecot (IMAP) and an aiosmtpd sink.

Dovecot runs as root here (mail access drops to the `mail` user), on a free local port,
with its own config and Maildir under a temporary directory; it is stopped with SIGKILL of
its process group (a graceful stop takes seconds) and can be restarted on the same port.
Without `/usr/sbin/dovecot` the IMAP tests are skipped, unless CI=true, where that fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
IMAP_USER, IMAP_PASSWORD = "bot", "not-a-real-secret"

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = foibot-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_uid = {mail_uid}
mail_gid = {mail_gid}
first_valid_uid = {first_uid}
first_valid_gid = {first_gid}
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
{extra}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


class Dovecot:
    """A private Dovecot instance: start(), stop() (SIGKILL of its group), restart(), client()."""

    def __init__(self, root: Path, extra_config: str = "") -> None:
        self.root = root
        self.extra_config = extra_config
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / IMAP_USER

    def _write_config(self) -> Path:
        import grp
        import pwd

        if os.geteuid() == 0:
            mail = pwd.getpwnam("mail")
            ids = dict(
                internal_user="dovecot", internal_group="dovecot", login_user="dovenull",
                mail_uid="mail", mail_gid="mail", first_uid=mail.pw_uid, first_gid=mail.pw_gid,
            )
            self.owner = (mail.pw_uid, mail.pw_gid)
        else:  # rootless: everything runs as the invoking user
            user = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            ids = dict(
                internal_user=user, internal_group=group, login_user=user,
                mail_uid=user, mail_gid=group, first_uid=os.getuid(), first_gid=os.getgid(),
            )
            self.owner = (os.getuid(), os.getgid())
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        os.chown(self.root / "mail", *self.owner)
        self.root.chmod(0o755)
        (self.root / "users").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::{self.maildir}::\n")
        (self.root / "users").chmod(0o644)
        conf = self.root / "dovecot.conf"
        conf.write_text(DOVECOT_CONF.format(root=self.root, port=self.port, extra=self.extra_config, **ids))
        return conf

    def start(self) -> None:
        conf = self._write_config()
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._banner, timeout=15, what="dovecot banner")

    def _banner(self) -> bool:
        if self.process and self.process.poll() is not None:
            log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
            raise AssertionError(f"dovecot exited with {self.process.returncode}: {log[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                return conn.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, folder: str | None = None):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(IMAP_USER, IMAP_PASSWORD)
        if folder:
            client.select_folder(folder)
        return client

    def create_folder(self, folder: str) -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
        finally:
            client.logout()

    def append(self, folder: str, raw: bytes) -> None:
        client = self.client()
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def deliver_to_disk(self, folder: str, raw: bytes, name: str) -> Path:
        """Drop a message straight into the folder's Maildir (works while Dovecot is down)."""
        directory = self.maildir / f".{folder}" if folder != "INBOX" else self.maildir
        target = directory / "new" / name
        temporary = directory / "tmp" / name
        temporary.write_bytes(raw)
        os.chown(temporary, *self.owner)
        os.replace(temporary, target)
        return target


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
