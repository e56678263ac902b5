"""Is the person in `From:` really the one who sent this forward?

In forward mode the summary goes back to whoever forwarded the reply, and the allowlist
decides who may use the bot. A `From:` header costs nothing to forge, so on its own an
allowlisted From would let anyone make the bot mail an allowlisted user (or, with a
domain entry, anyone at that domain). Two ways to check, chosen by `[authenticity] mode`:

- `authres`: trust the `Authentication-Results` header (RFC 8601) that *our own receiving
  server* wrote, recognised by its authserv-id (`trusted_authserv_id`). Only the topmost
  header with a trusted id counts: the receiving server adds its header above everything
  that arrived with the message, so a forged copy lower down is never read.
- `dkim`: verify the DKIM signatures ourselves with dkimpy; one valid signature whose
  `d=` domain is aligned with the From domain is enough.

A pass must be *aligned*: the domain that passed is the From domain or a parent of it
(`mail.example` for `alice@eu.mail.example`), never just "some domain passed", which any
spammer with their own domain achieves. Without a public-suffix list, a parent that is a
bare TLD or a common second-level suffix (`co.uk`) never counts.

Everything here is pure except DNS, which goes through dkimpy's `dnsfunc` hook so tests
can supply the key record. Reasons are safe to log: they never name an address or domain.
"""

from __future__ import annotations

import email.parser
import logging
import email.policy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import getaddresses

#: second-level labels under which organisations register (example.co.uk): never aligned on their own
SHARED_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "gov.uk", "ac.uk", "ltd.uk", "plc.uk", "nhs.uk", "police.uk", "me.uk", "net.uk",
        "com.au", "gov.au", "org.au", "net.au", "edu.au", "co.nz", "govt.nz", "org.nz", "gc.ca", "gov.ie",
        "co.jp", "com.br", "co.za", "com.cn", "co.in", "gov.scot", "gov.wales", "europa.eu",
    }
)  # fmt: skip
AUTHRES_METHODS = ("dmarc", "dkim", "spf")
MAX_SIGNATURES = 5  # DKIM signatures tried per message: each may cost a DNS lookup
#: dkimpy logs every failure with the signing domain at error level; our verdict says enough
QUIET_DKIM_LOG = logging.getLogger("foibot.authenticity.dkimpy")
QUIET_DKIM_LOG.disabled = True


class AuthenticityUnavailable(Exception):
    """The check could not run now (DNS timeout): try the message again later, do not reject it."""


@dataclass(frozen=True)
class Verdict:
    """`authentic` or not, and a reason that is safe to log and store (no addresses)."""

    authentic: bool
    reason: str


DnsFunc = Callable[..., bytes | None]


# ---------------------------------------------------------------- entry point


def check_sender(
    raw: bytes,
    mode: str,
    *,
    trusted_authserv_ids: Iterable[str] = (),
    accept: Iterable[str] = AUTHRES_METHODS,
    dnsfunc: DnsFunc | None = None,
    dkim_min_key_bits: int = 1024,
) -> Verdict:
    """The verdict on the outer `From:` of `raw` under `mode` ("off", "authres" or "dkim")."""
    if mode == "off":
        return Verdict(True, "authenticity checks are off")
    headers = read_headers(raw)
    domain = from_domain(headers.get_all("From") or [])
    if not domain:
        return Verdict(False, "no single usable From address")
    if mode == "authres":
        return check_authentication_results(
            headers.get_all("Authentication-Results") or [], domain, trusted_authserv_ids, accept
        )
    if mode == "dkim":
        return check_dkim(raw, domain, dnsfunc=dnsfunc, min_key_bits=dkim_min_key_bits)
    raise ValueError(f"unknown authenticity mode {mode!r}")


def read_headers(raw: bytes):
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def from_domain(from_values: list[str]) -> str:
    """The domain of the one From address, lower-cased; '' when there are none or several.

    A message with two From headers or two addresses in one is how "which From did the
    check look at?" attacks start (RFC 7489 section 6.6.1): it is never authentic.
    """
    addresses = [address for _, address in getaddresses([str(v) for v in from_values]) if address]
    if len(from_values) != 1 or len(addresses) != 1 or "@" not in addresses[0]:
        return ""
    return addresses[0].rsplit("@", 1)[1].strip().strip(".").lower()


def aligned(passed_domain: str, from_dom: str) -> bool:
    """Relaxed alignment without a suffix list: equal, or `passed_domain` is a real parent of the From domain."""
    passed = passed_domain.strip().strip(".").lower()
    if not passed or not from_dom:
        return False
    if passed == from_dom:
        return True
    if "." not in passed or passed in SHARED_SUFFIXES:
        return False
    return from_dom.endswith("." + passed)


# ---------------------------------------------------------------- Authentication-Results


def check_authentication_results(
    values: list[str], from_dom: str, trusted_authserv_ids: Iterable[str], accept: Iterable[str]
) -> Verdict:
    """Read the topmost Authentication-Results written by a trusted server; an aligned pass is authentic."""
    import authres

    trusted = {value.strip().lower() for value in trusted_authserv_ids if value.strip()}
    if not trusted:
        return Verdict(False, "authres mode without trusted_authserv_id")
    wanted = {method.lower() for method in accept}
    for value in values:
        text = " ".join(str(value).split())
        try:
            header = authres.AuthenticationResultsHeader.parse_value(text)
        except Exception:  # noqa: BLE001 - a malformed header is simply not evidence
            continue
        if str(header.authserv_id or "").strip().lower() not in trusted:
            continue
        for result in header.results:
            method = str(result.method or "").lower()
            if method in wanted and str(result.result or "").lower() == "pass":
                domain = _result_domain(result)
                if domain and aligned(domain, from_dom):
                    return Verdict(True, f"{method}=pass from the trusted server")
        return Verdict(False, "the trusted server reports no aligned pass")
    return Verdict(False, "no Authentication-Results from the trusted server")


def _result_domain(result) -> str:  # noqa: ANN001 - authres result object
    """The domain a dmarc/dkim/spf result vouches for (header.from, header.d / header.i, smtp.mailfrom)."""
    properties = {(str(p.type).lower(), str(p.name).lower()): str(p.value or "") for p in result.properties}
    method = str(result.method).lower()
    if method == "dmarc":
        value = properties.get(("header", "from"), "")
    elif method == "dkim":
        value = properties.get(("header", "d"), "") or properties.get(("header", "i"), "")
    elif method == "spf":
        value = properties.get(("smtp", "mailfrom"), "") or properties.get(("smtp", "helo"), "")
    else:
        return ""
    return value.rsplit("@", 1)[-1].strip().lower()


# ---------------------------------------------------------------- DKIM


def check_dkim(raw: bytes, from_dom: str, *, dnsfunc: DnsFunc | None = None, min_key_bits: int = 1024) -> Verdict:
    """Verify up to MAX_SIGNATURES DKIM signatures; the first valid, aligned one makes the message authentic."""
    import dkim
    import dkim.dnsplug

    try:
        checker = dkim.DKIM(raw, minkey=min_key_bits, logger=QUIET_DKIM_LOG)
    except Exception:  # noqa: BLE001 - unparseable: not authentic
        return Verdict(False, "the message could not be read for DKIM")
    signatures = [name for name, _ in checker.headers if name.lower() == b"dkim-signature"]
    if not signatures:
        return Verdict(False, "not DKIM-signed")
    lookup = dnsfunc or dkim.dnsplug.get_txt
    timeouts: list[bytes] = []

    def watched_lookup(name, timeout=5):  # noqa: ANN001 - dkimpy's dnsfunc signature
        # dkimpy turns a DNS timeout into "invalid"; we need to tell "try later" from "forged"
        try:
            return lookup(name, timeout=timeout)
        except dkim.DnsTimeoutError:
            timeouts.append(name)
            raise

    for index in range(min(len(signatures), MAX_SIGNATURES)):
        try:
            valid = checker.verify(idx=index, dnsfunc=watched_lookup)
        except Exception:  # noqa: BLE001 - a malformed signature is not a valid one
            continue
        signer = (checker.domain or b"").decode("ascii", "replace")
        if valid and aligned(signer, from_dom):
            return Verdict(True, "valid DKIM signature aligned with From")
    if timeouts:
        raise AuthenticityUnavailable("DNS timed out while fetching a DKIM key")
    return Verdict(False, "no valid DKIM signature aligned with From")
