"""`foibot doctor`: check a configuration and everything it names, one line each, with a fix.

People set foibot up once and forget it; when it stops answering, the first question is
"what is wrong?", and the answer must be one line they can act on ("IMAP login refused
for 'foibot': wrong username or password"), not a traceback. So every check is a small
function returning `Check` values, every exception becomes a `Check` that failed, and a
check that depends on a failed one is reported as not checked rather than failing twice.

Nothing here changes anything: the state database is opened read-only, IMAP and SMTP
sessions log in and out without touching mail, the data directory gets a probe file that
is removed at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import socket
import sqlite3
import ssl
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from bot.errors import UserError

#: the longest a network check waits for one answer (a wrong host must not hang doctor)
NETWORK_TIMEOUT = 10.0


class Check(BaseModel):
    name: str
    ok: bool | None  # None: not checked, because something it needs failed
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "·"}[self.ok]
        text = f"{mark} {self.name}: {self.detail}"
        return f"{text}  → {self.fix}" if self.fix and self.ok is False else text


def passed(name: str, detail: str) -> Check:
    return Check(name=name, ok=True, detail=detail)


def failed(name: str, detail: str, fix: str = "") -> Check:
    return Check(name=name, ok=False, detail=detail, fix=fix)


def not_checked(name: str, because: str) -> Check:
    return Check(name=name, ok=None, detail=f"not checked ({because})")


# --------------------------------------------------------------------------- the whole run


def run_checks(config_path: str | None, data_dir: str | None = None, *, nlp: bool = True) -> list[Check]:
    """Every check, in the order a person would fix them."""
    from bot.config import load_settings

    where = config_path or "embedded default (no --config)"
    try:
        settings = load_settings(config_path, data_dir)
    except UserError as exc:
        return [failed("config", str(exc), "fix the file (see config.example.toml), then run foibot doctor again")]
    checks = [passed("config", f"{where} parses and validates")]
    for check in (
        lambda: [check_data_dir(settings)],
        lambda: check_maildirs(settings),
        lambda: [check_state(settings.state_file)],
        lambda: [check_rules(settings.rules_dir)],
        lambda: check_spacy() if nlp else [],
        lambda: check_imap(settings.imap) if settings.mailbox.kind == "imap" else [],
        lambda: check_smtp(settings.smtp) if settings.send.kind == "smtp" else [],
        lambda: check_digest(settings.digest.time, settings.digest.timezone),
    ):
        checks.extend(guarded(check))
    return checks


def guarded(check: Callable[[], list[Check]]) -> list[Check]:
    """A bug in a check is reported as a failed check, never as a traceback."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001
        return [failed("doctor", f"a check crashed: {exc.__class__.__name__}: {exc}", "please report this")]


# --------------------------------------------------------------------------- local checks


def probe_writable(directory: Path) -> str | None:
    """None when a file can be created in `directory` (or in the nearest existing parent); else why not."""
    target = directory
    while not target.exists():
        if target.parent == target:
            return "no existing parent directory"
        target = target.parent
    if not target.is_dir():
        return f"{target} is not a directory"
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".foibot-doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or exc.__class__.__name__
    return None


def check_data_dir(settings) -> Check:
    path = Path(settings.data_dir)
    problem = probe_writable(path)
    if problem:
        return failed("data directory", f"{path} is not writable: {problem}", f"chown the directory to the user foibot runs as: chown -R foibot {path}")
    return passed("data directory", f"{path} is writable" + ("" if path.exists() else " (created at the first run)"))


def check_maildirs(settings) -> list[Check]:
    checks = []
    for kind, label, path in (
        (settings.mailbox.kind, "inbox Maildir", settings.inbox_path),
        (settings.send.kind, "outbox Maildir", settings.outbox_path),
    ):
        if kind != "maildir":
            continue
        problem = probe_writable(path)
        if problem:
            checks.append(failed(label, f"{path} is not writable: {problem}", f"chown -R foibot {path}"))
        else:
            checks.append(passed(label, f"{path} is writable"))
    return checks


def check_state(path: Path) -> Check:
    """The database opens, is not damaged, and has the schema this release expects."""
    from bot.service.casestore import CASES_MIGRATIONS, SCHEMA_KEY
    from bot.service.maintenance import worker_running
    from bot.service.state import MIGRATIONS

    name = "state database"
    if not path.exists():
        return passed(name, f"{path} not created yet (the first foibot run creates it)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return failed(name, f"{path} cannot be opened: {exc}", "check its owner and mode")
    try:
        quick = db.execute("PRAGMA quick_check").fetchone()[0]
        if quick != "ok":
            return failed(name, f"{path} is damaged: {quick}", "restore the last backup: foibot restore FILE")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        row = db.execute("SELECT value FROM meta WHERE name = ?", (SCHEMA_KEY,)).fetchone() if _has_meta(db) else None
        cases = int(row[0]) if row else 0
    except sqlite3.DatabaseError as exc:
        return failed(name, f"{path} is not a usable SQLite database: {exc}", "restore the last backup: foibot restore FILE")
    finally:
        db.close()
    want, want_cases = len(MIGRATIONS), len(CASES_MIGRATIONS)
    if version > want or cases > want_cases:
        return failed(
            name, f"schema {version}/{cases} is newer than this foibot ({want}/{want_cases})",
            "upgrade foibot, or restore a backup made by this version",
        )
    running = " (a worker is running on it)" if worker_running(path) else ""
    if version < want or (cases and cases < want_cases):
        return failed(
            name, f"schema {version}/{cases} is older than this foibot ({want}/{want_cases}){running}",
            "it upgrades itself at start: restart the service (or run foibot run --once); back it up first",
        )
    return passed(name, f"{path} opens, schema {version}/{cases} is current{running}")


def _has_meta(db: sqlite3.Connection) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone())


def check_rules(rules_dir: str) -> Check:
    from bot.rulebook import load_rulebook

    try:
        book = load_rulebook(rules_dir or None)
        laws = len(book.laws)
    except Exception as exc:  # noqa: BLE001 - a broken rule file of any kind
        return failed("rules", f"{rules_dir or 'rules/'} do not load: {exc.__class__.__name__}: {exc}"[:300], "fix the rule file named above")
    return passed("rules", f"{rules_dir or 'the shipped rules/'} load ({laws} laws)")


def check_spacy() -> list[Check]:
    from bot.rulebook import MODELS_DIR
    from bot.stages.entities import SPACY_MODEL
    from bot.stages.learned import MODEL_DIR_NAME

    try:
        import spacy

        nlp = spacy.load(SPACY_MODEL)
    except Exception as exc:  # noqa: BLE001 - OSError (not installed), version mismatch, ...
        return [failed("spaCy model", f"{SPACY_MODEL} does not load: {exc.__class__.__name__}", f"pip install {SPACY_MODEL.replace('_', '-')}")]
    checks = [passed("spaCy model", f"{SPACY_MODEL} loads")]
    return checks + [check_outcome_model(MODELS_DIR / MODEL_DIR_NAME, nlp)]


def check_outcome_model(model_dir: Path, nlp) -> Check:
    from bot.stages.learned import OutcomeModel

    model = OutcomeModel(model_dir, lambda: nlp)
    if model.component is None:
        return failed(
            "outcome model",
            f"{model.load_error}: letters no rule places get no learned guess, and the others no second opinion",
            "python -m bot.devtools.train_outcome_model",
        )
    return passed("outcome model", f"models/{model_dir.name} loads")


def check_digest(time: str, timezone: str) -> list[Check]:
    checks = []
    try:
        dt.datetime.strptime(time, "%H:%M")
        checks.append(passed("digest time", f"{time} every day"))
    except ValueError:
        checks.append(failed("digest time", f"{time!r} is not a time of day", 'write it as HH:MM, e.g. "07:30"'))
    try:
        ZoneInfo(timezone)
        checks.append(passed("digest timezone", f"{timezone} is a known timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        checks.append(failed("digest timezone", f"{timezone!r} is not a known timezone", 'use an IANA name such as "Europe/London"'))
    return checks


# --------------------------------------------------------------------------- network checks


def describe_network_error(exc: BaseException) -> str:
    """One line saying why a connection failed, in words a person can act on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid: {exc.verify_message or exc.reason}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on that port)"
    if isinstance(exc, socket.gaierror):
        if exc.errno == socket.EAI_AGAIN:
            return "host name lookup failed (no DNS server answered)"
        return "host name not found"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "no answer (timed out: a firewall, or the wrong host)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{exc.__class__.__name__}: {exc}"


def tls_fix(exc: BaseException, section: str) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = (exc.verify_message or "").lower()
        if "expired" in message:
            return "the server's certificate has expired: renew it (e.g. certbot renew) and reload the server"
        if "self-signed" in message or "local issuer" in message:
            return f"set {section}.ca_file to the CA (PEM) that signed the server's certificate"
        if "hostname" in message or "ip address mismatch" in message:
            return f"set {section}.host to a name the certificate is issued for"
    return f"check {section}.tls ('ssl' on 993/465, 'starttls' on 143/587) and {section}.port"


def reach(host: str, port: int, timeout: float) -> Check | BaseException:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return passed("", f"{host}:{port} answers")
    except OSError as exc:
        return exc


def _context(ca_file: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file or None)


def _cert_expiry(sock) -> str:  # noqa: ANN001 - an ssl.SSLSocket
    try:
        not_after = sock.getpeercert()["notAfter"]
    except (AttributeError, KeyError, TypeError, ValueError):
        return ""
    expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), dt.UTC)
    days = (expires - dt.datetime.now(dt.UTC)).days
    return f", certificate valid until {expires:%Y-%m-%d}" + (f" (only {days} days left: renew it)" if days < 14 else "")


def check_imap(s) -> list[Check]:  # noqa: ANN001 - ImapSettings
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    timeout = min(s.timeout, NETWORK_TIMEOUT)
    where = f"{s.host}:{s.port}"
    reached = reach(s.host, s.port, timeout)
    if isinstance(reached, BaseException):
        return [
            failed("IMAP reachable", f"{where}: {describe_network_error(reached)}", "check imap.host and imap.port, and that the server is up"),
            *(not_checked(n, "server unreachable") for n in ("IMAP TLS", "IMAP login", "IMAP folder", "IMAP IDLE")),
        ]
    checks = [passed("IMAP reachable", f"{where} answers")]
    try:
        client = IMAPClient(s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=_context(s.ca_file) if s.tls == "ssl" else None, timeout=timeout)
        if s.tls == "starttls":
            client.starttls(_context(s.ca_file))
    except Exception as exc:  # noqa: BLE001 - TLS, protocol or network failure
        return checks + [
            failed("IMAP TLS", f"{where}: {describe_network_error(exc)}", tls_fix(exc, "imap")),
            *(not_checked(n, "no secure connection") for n in ("IMAP login", "IMAP folder", "IMAP IDLE")),
        ]
    with _closing_imap(client):
        if s.tls == "none":
            checks.append(passed("IMAP TLS", "not used (tls = 'none', allowed to localhost only)"))
        else:
            checks.append(passed("IMAP TLS", f"{s.tls}, certificate verified{_cert_expiry(getattr(client._imap, 'sock', None))}"))
        try:
            token = s.oauth2_token.get_secret_value()
            if token:
                client.oauth2_login(s.username, token)
            else:
                client.login(s.username, s.password.get_secret_value())
        except LoginError:
            return checks + [
                failed("IMAP login", f"refused for {s.username!r}: wrong username or password", "check imap.username and imap.password / imap.password_file"),
                *(not_checked(n, "not logged in") for n in ("IMAP folder", "IMAP IDLE")),
            ]
        checks.append(passed("IMAP login", f"logged in as {s.username!r}"))
        if client.folder_exists(s.folder):
            checks.append(passed("IMAP folder", f"{s.folder!r} exists"))
        else:
            names = ", ".join(sorted(str(f[2]) for f in client.list_folders())[:8])
            checks.append(failed("IMAP folder", f"{s.folder!r} does not exist (there are: {names})", "set imap.folder to one of those"))
        if b"IDLE" in set(client.capabilities()):
            checks.append(passed("IMAP IDLE", "supported: new mail is seen at once"))
        else:
            checks.append(passed("IMAP IDLE", "not supported: foibot polls every poll_interval seconds instead"))
    return checks


@contextlib.contextmanager
def _closing_imap(client) -> Iterator[None]:  # noqa: ANN001
    try:
        yield
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - already gone
            with contextlib.suppress(Exception):
                client.shutdown()


def check_smtp(s) -> list[Check]:  # noqa: ANN001 - SmtpSettings
    timeout = min(s.timeout, NETWORK_TIMEOUT)
    where = f"{s.host}:{s.port}"
    reached = reach(s.host, s.port, timeout)
    if isinstance(reached, BaseException):
        return [
            failed("SMTP reachable", f"{where}: {describe_network_error(reached)}", "check smtp.host and smtp.port, and that the server is up"),
            *(not_checked(n, "server unreachable") for n in ("SMTP TLS", "SMTP login", "SMTP sender")),
        ]
    checks = [passed("SMTP reachable", f"{where} answers")]
    try:
        if s.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout, context=_context(s.ca_file))
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=timeout)
            if s.tls == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    client.close()
                    return checks + [
                        failed("SMTP TLS", f"{where} does not offer STARTTLS", "use smtp.tls = 'ssl' with port 465, or the submission port 587"),
                        *(not_checked(n, "no secure connection") for n in ("SMTP login", "SMTP sender")),
                    ]
                client.starttls(context=_context(s.ca_file))
    except Exception as exc:  # noqa: BLE001
        return checks + [
            failed("SMTP TLS", f"{where}: {describe_network_error(exc)}", tls_fix(exc, "smtp")),
            *(not_checked(n, "no secure connection") for n in ("SMTP login", "SMTP sender")),
        ]
    try:
        if s.tls == "none":
            checks.append(passed("SMTP TLS", "not used (tls = 'none', allowed to localhost only)"))
        else:
            checks.append(passed("SMTP TLS", f"{s.tls}, certificate verified{_cert_expiry(client.sock)}"))
        if s.username:
            try:
                client.login(s.username, s.password.get_secret_value())
            except smtplib.SMTPAuthenticationError as exc:
                return checks + [
                    failed("SMTP login", f"refused for {s.username!r} ({exc.smtp_code}): wrong username or password", "check smtp.username and smtp.password / smtp.password_file"),
                    not_checked("SMTP sender", "not logged in"),
                ]
            except smtplib.SMTPNotSupportedError:
                return checks + [
                    failed("SMTP login", f"{where} offers no login (AUTH)", "clear smtp.username if this server relays without a login, or use the submission port"),
                    not_checked("SMTP sender", "not logged in"),
                ]
            except (smtplib.SMTPException, OSError) as exc:
                return checks + [
                    failed("SMTP login", f"{where}: the login did not finish: {describe_smtp_error(exc)}", "check smtp.username and smtp.password, and the server's log"),
                    not_checked("SMTP sender", "not logged in"),
                ]
            checks.append(passed("SMTP login", f"logged in as {s.username!r}"))
        else:
            checks.append(passed("SMTP login", "none configured (the server must accept mail from this host)"))
        try:
            checks.append(check_sender(client, s.from_address))
        except (smtplib.SMTPException, OSError) as exc:
            checks.append(failed("SMTP sender", f"{where}: {describe_smtp_error(exc)}", "check the server's log"))
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return checks


def describe_smtp_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection ({exc})"
    return describe_network_error(exc)


def check_sender(client: smtplib.SMTP, address: str) -> Check:
    """Ask the server whether it accepts mail from `address` (MAIL FROM, then RCPT to it), send nothing."""
    client.ehlo_or_helo_if_needed()
    code, text = client.mail(address)
    if code >= 400:
        client.rset()
        return failed("SMTP sender", f"the server refuses {address!r} as sender ({code} {_text(text)})", "set smtp.from_address to an address this login may send as")
    code, text = client.rcpt(address)
    client.rset()
    if code >= 400 and code in (550, 553, 554) and "sender" in _text(text).lower():
        return failed("SMTP sender", f"the server refuses {address!r} as sender ({code} {_text(text)})", "set smtp.from_address to an address this login may send as")
    return passed("SMTP sender", f"{address!r} accepted as sender (no mail sent)")


def _text(raw: bytes | str) -> str:
    return (raw.decode(errors="replace") if isinstance(raw, bytes) else raw).replace("\n", " ")[:120]


def format_report(checks: list[Check]) -> str:
    failed_count = sum(1 for c in checks if c.ok is False)
    lines = [c.line() for c in checks]
    lines.append("all checks passed" if not failed_count else f"{failed_count} check(s) failed")
    return "\n".join(lines)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.ok is False for c in checks) else 0
