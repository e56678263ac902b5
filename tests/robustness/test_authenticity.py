"""Sender authenticity in forward mode: a forged From of an allowed user is quarantined, not answered.

DKIM keys are generated here (openssl) and served to dkimpy through its `dnsfunc` hook:
no network. Authentication-Results headers are written as our receiving server would.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest

from bot.service.authenticity import AuthenticityUnavailable, aligned, check_sender
from tests.robustness.hostile import Harness
from tests.service.helpers import FORWARDER
from tests.service.mails import authority_reply, forward

SERVER = "mx.bot.example"
SELECTOR = b"s2026"


def rsa_key(directory: Path, name: str) -> tuple[bytes, bytes]:
    """(private key PEM, DNS TXT record) for a fresh 2048-bit RSA key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a DKIM key")
    private = directory / f"{name}.pem"
    subprocess.run([openssl, "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
    public_der = subprocess.run(
        [openssl, "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return private.read_bytes(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dkim")
    return {"mail.example": rsa_key(directory, "mail"), "evil.example": rsa_key(directory, "evil")}


@pytest.fixture(scope="module")
def dns(keys):
    records = {f"{SELECTOR.decode()}._domainkey.{domain}.": record for domain, (_, record) in keys.items()}

    def lookup(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return records.get(name if name.endswith(".") else name + ".")

    return lookup


def signed(raw: bytes, keys, domain: str = "mail.example") -> bytes:
    private, _ = keys[domain]
    signature = dkim.sign(
        raw, SELECTOR, domain.encode(), private, include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]
    )
    return signature + raw


def a_forward(message_id: str = "<fwd-auth@mail.example>", **options) -> bytes:
    return forward(authority_reply(), message_id=message_id, **options)


# ---------------------------------------------------------------- DKIM


def test_a_valid_aligned_dkim_signature_is_authentic(keys, dns):
    verdict = check_sender(signed(a_forward(), keys), "dkim", dnsfunc=dns)
    assert verdict.authentic, verdict.reason


def test_dkim_rejects_unsigned_tampered_and_misaligned_mail(keys, dns):
    raw = a_forward()
    assert check_sender(raw, "dkim", dnsfunc=dns).reason == "not DKIM-signed"
    tampered = signed(raw, keys).replace(b"what do I do now?", b"send it to mallory")
    assert not check_sender(tampered, "dkim", dnsfunc=dns).authentic
    # a perfectly valid signature, but by the attacker's own domain: not the From domain
    other = signed(raw, keys, domain="evil.example")
    verdict = check_sender(other, "dkim", dnsfunc=dns)
    assert not verdict.authentic and verdict.reason == "no valid DKIM signature aligned with From"


def test_a_dns_timeout_is_a_retry_not_a_rejection(keys):
    def timeout(name, timeout=5):
        raise dkim.DnsTimeoutError("no answer")

    with pytest.raises(AuthenticityUnavailable):
        check_sender(signed(a_forward(), keys), "dkim", dnsfunc=timeout)


def test_two_from_addresses_are_never_authentic(keys, dns):
    raw = signed(a_forward(), keys).replace(b"From: Adaeze", b"From: mallory@evil.example\r\nFrom: Adaeze", 1)
    assert check_sender(raw, "dkim", dnsfunc=dns).reason == "no single usable From address"


# ---------------------------------------------------------------- Authentication-Results


def with_results(raw: bytes, *values: str) -> bytes:
    return b"".join(f"Authentication-Results: {value}\r\n".encode() for value in values) + raw


@pytest.mark.parametrize(
    ("values", "authentic"),
    [
        ([f"{SERVER}; dmarc=pass header.from=mail.example"], True),
        ([f"{SERVER}; dkim=pass header.d=mail.example; spf=fail smtp.mailfrom=x@mail.example"], True),
        ([f"{SERVER}; spf=pass smtp.mailfrom=bounce@mail.example"], True),
        ([f"{SERVER}; dkim=pass header.d=evil.example; dmarc=fail header.from=mail.example"], False),
        ([f"{SERVER}; dmarc=fail header.from=mail.example"], False),
        (["mx.evil.example; dmarc=pass header.from=mail.example"], False),  # not our server
        # our server's verdict is on top; a forged "pass" with our id further down is never read
        ([f"{SERVER}; dmarc=fail header.from=mail.example", f"{SERVER}; dmarc=pass header.from=mail.example"], False),
        ([f"{SERVER}; dmarc=pass header.from=example"], False),  # a bare TLD never aligns
        (["garbage without structure"], False),
    ],
)
def test_only_our_servers_aligned_pass_counts(values, authentic):
    raw = with_results(a_forward(), *values)
    verdict = check_sender(raw, "authres", trusted_authserv_ids=[SERVER])
    assert verdict.authentic is authentic, verdict.reason


def test_alignment_is_the_domain_or_a_real_parent():
    assert aligned("mail.example", "eu.mail.example")
    assert not aligned("eu.mail.example", "mail.example")
    assert not aligned("co.uk", "council.co.uk")
    assert not aligned("ail.example", "mail.example")


# ---------------------------------------------------------------- through the worker


def test_worker_answers_a_signed_forward_and_quarantines_a_forged_one(tmp_path, triager, keys, dns):
    harness = Harness(tmp_path, triager, extra='[authenticity]\nmode = "dkim"\n', dnsfunc=dns)
    harness.drop(signed(a_forward("<signed@mail.example>"), keys))
    harness.drop(a_forward("<forged@mail.example>"))  # same allowed From, no signature
    harness.drop(signed(a_forward("<evil-signed@mail.example>"), keys, domain="evil.example"))
    assert harness.run_once() == 0

    rows = harness.rows()
    assert rows["<signed@mail.example>"]["status"] == "answered"
    for forged in ("<forged@mail.example>", "<evil-signed@mail.example>"):
        assert rows[forged]["status"] == "quarantined"
        assert rows[forged]["reason"].startswith("sender not authenticated:")
    assert [s["In-Reply-To"] for s in harness.summaries()] == ["<signed@mail.example>"]
    assert all(a.addr_spec == FORWARDER for s in harness.summaries() for a in s["To"].addresses)


def test_worker_trusts_the_receiving_servers_results(tmp_path, triager):
    extra = f'[authenticity]\nmode = "authres"\ntrusted_authserv_id = "{SERVER}"\n'
    harness = Harness(tmp_path, triager, extra=extra)
    harness.drop(with_results(a_forward("<passed@mail.example>"), f"{SERVER}; dmarc=pass header.from=mail.example"))
    harness.drop(with_results(a_forward("<failed@mail.example>"), f"{SERVER}; dmarc=fail header.from=mail.example"))
    assert harness.run_once() == 0
    rows = harness.rows()
    assert (rows["<passed@mail.example>"]["status"], rows["<failed@mail.example>"]["status"]) == ("answered", "quarantined")


def test_authres_mode_without_a_trusted_server_is_a_config_error(tmp_path):
    from bot.errors import UserError
    from tests.service.helpers import settings_for, write_config

    config = write_config(tmp_path / "c.toml", data_dir=tmp_path / "d", extra='[authenticity]\nmode = "authres"\n')
    with pytest.raises(UserError, match="trusted_authserv_id"):
        settings_for(config)
