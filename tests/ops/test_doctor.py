"""`foibot doctor`: one line per check, a one-line cause for each failure, exit 0/1, never a traceback.

IMAP checks run against the real Dovecot of the service tests; the expired certificate is a
self-signed one made here with the openssl CLI and served by a tiny local TLS listener.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.service.state import State
from tests.service.conftest import IMAP_PASSWORD, IMAP_USER, free_port

def doctor(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["doctor", "--no-nlp", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out.splitlines()


def line(lines: list[str], name: str) -> str:
    found = [entry for entry in lines if entry[2:].startswith(name + ":")]
    assert len(found) == 1, (name, lines)
    return found[0]


def imap_config(path: Path, data_dir: Path, *, port: int, password: str = IMAP_PASSWORD, tls: str = "none",
                ca_file: str = "", folder: str = "INBOX", smtp_port: int | None = None, extra: str = "") -> Path:
    lines = [
        f'data_dir = "{data_dir}"', 'mode = "forward"', 'allow = ["ada@example.org"]', extra,
        "[mailbox]", 'kind = "imap"',
        "[imap]", 'host = "127.0.0.1"', f"port = {port}", f'tls = "{tls}"', f'username = "{IMAP_USER}"',
        f'password = "{password}"', f'folder = "{folder}"', f'ca_file = "{ca_file}"', "timeout = 5.0",
    ]
    if smtp_port:
        lines += ["[send]", 'kind = "smtp"', "[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'tls = "none"',
                  'from_address = "foibot@bot.example"', "timeout = 5.0"]
    path.write_text("\n".join(lines) + "\n")
    return path


# ------------------------------------------------------------------ local checks


def test_the_embedded_default_passes_every_check_including_the_spacy_model(tmp_path, capsys):
    code = main(["doctor", "--data-dir", str(tmp_path / "data")])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert line(lines, "spaCy model").startswith("✓")
    assert line(lines, "outcome model").startswith("✓")
    assert line(lines, "state database").startswith("✓") and "not created yet" in line(lines, "state database")
    assert lines[-1] == "all checks passed"


def test_a_missing_config_file_is_one_failed_line(tmp_path, capsys):
    code, lines = doctor(capsys, "--config", str(tmp_path / "nope.toml"))
    assert code == 1
    assert line(lines, "config").startswith("✗") and "does not exist" in line(lines, "config")


def test_a_bad_timezone_and_digest_time_fail_with_a_fix(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'data_dir = "{tmp_path}/d"\n[digest]\ntime = "7.30"\ntimezone = "Europe/Londn"\n')
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert "'Europe/Londn' is not a known timezone  → use an IANA name" in line(lines, "digest timezone")
    assert line(lines, "digest time").startswith("✗")


def test_state_schema_older_than_this_release_is_reported_and_the_current_one_passes(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "state.sqlite3") as db:
        db.executescript((Path(__file__).parent / "fixtures" / "state_v1.sql").read_text())
    code, lines = doctor(capsys, "--data-dir", str(data))
    assert code == 1
    assert "is older than this foibot" in line(lines, "state database")
    assert "restart the service" in line(lines, "state database")
    State(data / "state.sqlite3").close()  # what the worker does at start
    from bot.service.casestore import ensure_schema

    with sqlite3.connect(data / "state.sqlite3", isolation_level=None) as db:
        ensure_schema(db)
    code, lines = doctor(capsys, "--data-dir", str(data))
    assert code == 0, lines
    assert "is current" in line(lines, "state database")


def test_a_damaged_state_file_is_reported_not_raised(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "state.sqlite3").write_bytes(b"this is not a database" * 100)
    code, lines = doctor(capsys, "--data-dir", str(data))
    assert code == 1
    assert line(lines, "state database").startswith("✗")


def test_an_unwritable_data_directory_fails(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    code, lines = doctor(capsys, "--data-dir", str(blocker / "data"))
    assert code == 1
    assert line(lines, "data directory").startswith("✗")


# ------------------------------------------------------------------ IMAP and SMTP


@pytest.mark.dovecot
def test_real_dovecot_and_smtp_all_pass(tmp_path, capsys, dovecot, smtp_sink):
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=dovecot.port, smtp_port=smtp_sink.port)
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 0, lines
    for name in ("IMAP reachable", "IMAP TLS", "IMAP login", "IMAP folder", "IMAP IDLE",
                 "SMTP reachable", "SMTP TLS", "SMTP login", "SMTP sender"):
        assert line(lines, name).startswith("✓"), name
    assert "supported" in line(lines, "IMAP IDLE")
    assert smtp_sink.received() == []  # the sender check sends nothing


@pytest.mark.dovecot
def test_wrong_imap_password_is_one_line_with_the_cause(tmp_path, capsys, dovecot):
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=dovecot.port, password="wrong")
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert line(lines, "IMAP login") == (
        "✗ IMAP login: refused for 'bot': wrong username or password"
        "  → check imap.username and imap.password / imap.password_file"
    )
    assert line(lines, "IMAP folder").startswith("·")  # not checked, not a second failure
    assert lines[-1] == "1 check(s) failed"


@pytest.mark.dovecot
def test_missing_imap_folder_lists_the_ones_there_are(tmp_path, capsys, dovecot):
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=dovecot.port, folder="FOI-Replies")
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert "'FOI-Replies' does not exist (there are: " in line(lines, "IMAP folder")
    assert "INBOX" in line(lines, "IMAP folder")


@pytest.mark.dovecot
@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_imap_tls_verified_against_the_configured_ca_and_refused_without_it(tmp_path, capsys, dovecot_tls, tls_files, tls):
    cert, _ = tls_files
    port = dovecot_tls.tls_port if tls == "ssl" else dovecot_tls.port
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=port, tls=tls, ca_file=str(cert))
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 0, lines
    assert line(lines, "IMAP TLS").startswith(f"✓ IMAP TLS: {tls}, certificate verified, certificate valid until ")
    assert "days left: renew it" in line(lines, "IMAP TLS")  # the test certificate lives two days

    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=port, tls=tls)
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert "TLS certificate not valid: self-signed certificate" in line(lines, "IMAP TLS")
    assert "set imap.ca_file to the CA" in line(lines, "IMAP TLS")


def test_closed_imap_and_smtp_ports_say_connection_refused(tmp_path, capsys):
    closed = free_port()
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=closed, smtp_port=free_port())
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert line(lines, "IMAP reachable").startswith(f"✗ IMAP reachable: 127.0.0.1:{closed}: connection refused")
    assert line(lines, "SMTP reachable").startswith("✗ SMTP reachable:")
    assert "connection refused" in line(lines, "SMTP reachable")
    assert line(lines, "IMAP login").startswith("·") and line(lines, "SMTP sender").startswith("·")


def test_an_unknown_imap_host_is_one_line(tmp_path, capsys):
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=993, tls="ssl")
    config.write_text(config.read_text().replace('host = "127.0.0.1"', 'host = "imap.foibot-test.invalid"'))
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert line(lines, "IMAP reachable").startswith("✗ IMAP reachable: imap.foibot-test.invalid:993: host name ")
    assert "check imap.host and imap.port" in line(lines, "IMAP reachable")


# ------------------------------------------------------------------ an expired certificate


@pytest.fixture
def expired_certificate(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 valid only in January 2020 (openssl ca can backdate)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    root = tmp_path / "ca"
    root.mkdir()
    (root / "index.txt").write_text("")
    (root / "serial").write_text("01\n")
    (root / "ca.cnf").write_text(
        "[ca]\ndefault_ca = test\n[test]\ndir = .\ndatabase = ./index.txt\nnew_certs_dir = .\nserial = ./serial\n"
        "default_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n[any]\ncommonName = supplied\n"
    )
    run = dict(cwd=root, check=True, capture_output=True)
    subprocess.run(
        [openssl, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.csr",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE"], **run,
    )
    subprocess.run(
        [openssl, "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "key.pem", "-in", "req.csr",
         "-out", "cert.pem", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z"], **run,
    )
    return root / "cert.pem", root / "key.pem"


@pytest.fixture
def tls_listener(expired_certificate):
    """Accepts TLS connections with the expired certificate and greets like an IMAP server."""
    cert, key = expired_certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
                except (ssl.SSLError, OSError):
                    pass  # the client refuses the certificate: that is the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], cert
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_an_expired_certificate_is_named_as_the_cause(tmp_path, capsys, tls_listener):
    port, cert = tls_listener
    config = imap_config(tmp_path / "c.toml", tmp_path / "d", port=port, tls="ssl", ca_file=str(cert))
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert line(lines, "IMAP reachable").startswith("✓")
    tls = line(lines, "IMAP TLS")
    assert tls.startswith(f"✗ IMAP TLS: 127.0.0.1:{port}: TLS certificate not valid: certificate has expired")
    assert "renew it" in tls
    assert line(lines, "IMAP login").startswith("·")


@pytest.fixture
def smtp_with_login():
    """aiosmtpd that requires a login (user 'foibot', password 'right'), without TLS, on localhost."""
    from aiosmtpd.smtp import AuthResult

    from tests.service.conftest import SmtpSink

    def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001 - aiosmtpd hook
        ok = auth_data.login == b"foibot" and auth_data.password == b"right"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    sink = SmtpSink(authenticator=authenticate, auth_require_tls=False)
    sink.start()
    yield sink
    sink.stop()


def test_smtp_login_checked_with_a_real_server(tmp_path, capsys, smtp_with_login):
    def config(password: str) -> Path:
        path = tmp_path / f"{password}.toml"
        path.write_text(
            f'data_dir = "{tmp_path}/d"\n[send]\nkind = "smtp"\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_with_login.port}\n'
            f'tls = "none"\nusername = "foibot"\npassword = "{password}"\nfrom_address = "foibot@bot.example"\ntimeout = 5.0\n'
        )
        return path

    code, lines = doctor(capsys, "--config", str(config("right")))
    assert code == 0, lines
    assert line(lines, "SMTP login") == "✓ SMTP login: logged in as 'foibot'"
    assert line(lines, "SMTP sender").startswith("✓ SMTP sender: 'foibot@bot.example' accepted as sender")
    code, lines = doctor(capsys, "--config", str(config("wrong")))
    assert code == 1
    assert line(lines, "SMTP login").startswith("✗ SMTP login: refused for 'foibot' (535): wrong username or password")
    assert smtp_with_login.received() == []


def test_a_missing_outcome_model_is_one_failed_line_with_its_fix(tmp_path):
    import spacy

    from bot.service.doctor import check_outcome_model

    check = check_outcome_model(tmp_path / "outcome_textcat", spacy.blank("en"))
    assert not check.ok
    assert "outcome_textcat does not load" in check.detail and "no learned guess" in check.detail
    assert "train_outcome_model" in check.fix
