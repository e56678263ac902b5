"""A throwaway Dovecot IMAP server on a free local port, for the tests and `foibot bench`.

As root, mail access drops to the Debian `mail` user (Dovecot refuses mail access as root);
without root everything runs as the invoking user. The server has its own config, users file
and Maildir under `root`, is stopped with SIGKILL of its process group (a graceful stop takes
seconds) and can be restarted on the same port. Recipe: ../shared/research/infra.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DEFAULT_USER, DEFAULT_PASSWORD = "bot", "not-a-real-secret"

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = foibot-{port}
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


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """A private Dovecot instance: start(), stop() (SIGKILL of its group), restart(), client()."""

    def __init__(
        self, root: Path, extra_config: str = "", *, user: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD
    ) -> None:
        self.root = Path(root)
        self.extra_config = extra_config
        self.user, self.password = user, password
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.owner = (os.getuid(), os.getgid())

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / self.user

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
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        os.chown(self.root / "mail", *self.owner)
        self.root.chmod(0o755)  # the auth process (user dovecot) must reach the users file
        (self.root / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}::::{self.maildir}::\n")
        (self.root / "users").chmod(0o644)
        conf = self.root / "dovecot.conf"
        conf.write_text(DOVECOT_CONF.format(root=self.root, port=self.port, extra=self.extra_config, **ids))
        return conf

    def start(self, timeout: float = 15.0) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise FileNotFoundError("dovecot is not installed (Debian package dovecot-imapd)")
        conf = self._write_config()
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while not self._banner():
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not answer in {timeout:.0f} s")
            time.sleep(0.05)

    def _banner(self) -> bool:
        if self.process and self.process.poll() is not None:
            log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited with {self.process.returncode}: {log[-2000:]}")
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
        client.login(self.user, self.password)
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
