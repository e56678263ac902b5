"""Who, if anyone, gets a summary of a message (pure: a parsed message in, a decision out).

The filters run before classification, because answering a bounce, an out-of-office or a
mailing list is how mail loops start (RFC 3834 section 2), and because exemption
detection on an auto-reply is a known source of false refusals.
"""

from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr

from pydantic import BaseModel, ConfigDict

from bot.model import ParsedMessage

AUTOMATED_LOCALPARTS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "noreply", "no-reply", "donotreply", "do-not-reply"}
)
BOUNCE_LOCALPARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(?:matic)?[- ]?response|auto[- ]?reply|out of (?:the )?office|"
    r"autoreply|recall:|read:|delivery status notification|undeliver(?:ed|able)|"
    r"returned mail|mail delivery (?:failed|failure)|delivery failure)",
    re.IGNORECASE,
)
#: WhatDoTheyKnow / Alaveteli incoming address: request-<id>-<hash>@domain
REQUEST_ADDRESS = re.compile(r"^(request-\d+)-[0-9a-f]{6,}$", re.IGNORECASE)
PRECEDENCE_AUTOMATED = frozenset({"bulk", "list", "junk", "auto_reply"})
#: how our summaries' subjects start (sender.summary_subject), behind any Fwd:/Re: a client adds
SUMMARY_SUBJECT = re.compile(r"^\s*(?:(?:fwd?|fw|tr|wg|re|aw|sv)\s*:\s*)*FOI reply summary:", re.IGNORECASE)


class FilterPolicy(BaseModel):
    """The part of the settings the filters need, so they stay pure and easy to test."""

    model_config = ConfigDict(frozen=True)

    mode: str = "forward"  # "forward" | "inbox"
    owner: str = ""
    allow: tuple[str, ...] = ()  # lower-cased addresses or "@domain"
    allow_everyone: bool = False
    own_addresses: tuple[str, ...] = ()  # lower-cased
    #: how our summaries' Message-IDs end (".foibot@<domain>>"), to recognise replies to them
    own_message_id_suffixes: tuple[str, ...] = ()
    requester_map: dict[str, str] = {}  # lower-cased address or "request-NNN" -> requester


class Decision(BaseModel):
    """`answer` with a `recipient`, or `skip` with a `reason` safe to log (no addresses)."""

    model_config = ConfigDict(frozen=True)

    action: str  # "answer" | "skip"
    reason: str
    recipient: str = ""
    recipient_name: str = ""
    #: the recipient is the message's own sender (From): only an authentic From may be answered
    answers_sender: bool = False

    @property
    def answer(self) -> bool:
        return self.action == "answer"


def skip(reason: str) -> Decision:
    return Decision(action="skip", reason=reason)


def decide(message: ParsedMessage, policy: FilterPolicy) -> Decision:
    """Apply the loop-safety filters, then pick the requester who should get the summary."""
    headers = message.outer_headers
    for check in (is_own_message, is_bounce, is_auto_reply, is_list_mail, is_reply_to_a_summary):
        reason = check(headers, policy)
        if reason:
            return skip(reason)
    reason = is_forwarded_summary(message, policy)
    if reason:
        return skip(reason)
    if message.is_forward:
        return _forwarded(message, policy)
    return _direct(message, policy)


# ---------------------------------------------------------------- loop safety


def outer_sender(headers: dict[str, str]) -> str:
    return parseaddr(headers.get("from", ""))[1].strip().lower()


def is_own_message(headers: dict[str, str], policy: FilterPolicy) -> str:
    if "x-foibot-outcome" in headers:
        return "own summary (X-Foibot-Outcome)"
    if outer_sender(headers) and outer_sender(headers) in policy.own_addresses:
        return "own address"
    return ""


def is_reply_to_a_summary(headers: dict[str, str], policy: FilterPolicy) -> str:
    """A person answering one of our summaries ("thanks!") is not an FOI reply to summarise."""
    if not policy.own_message_id_suffixes:
        return ""
    threading = (headers.get("in-reply-to", "") + " " + headers.get("references", "")).lower()
    if any(suffix in threading for suffix in policy.own_message_id_suffixes):
        return "reply to a foibot summary"
    return ""


def is_forwarded_summary(message: ParsedMessage, policy: FilterPolicy) -> str:
    """One of our summaries coming back, however it was forwarded: never summarise a summary.

    An attached or inline forward keeps the summary's From (caught in `_forwarded`), but a
    client may drop the quoted header block; the subject and the original's Message-ID still
    give it away.
    """
    for subject in (message.outer_headers.get("subject", ""), message.subject):
        if SUMMARY_SUBJECT.match(subject or ""):
            return "a foibot summary forwarded back"
    original_ids = (message.outer_headers.get("x-foibot-original-message-id", ""), message.message_id)
    if policy.own_message_id_suffixes and any(
        mid.strip().lower().endswith(suffix) for mid in original_ids for suffix in policy.own_message_id_suffixes
    ):
        return "a foibot summary forwarded back"
    return ""


def is_bounce(headers: dict[str, str], policy: FilterPolicy | None = None) -> str:
    content_type = headers.get("content-type", "").lower()
    if content_type.startswith("multipart/report"):
        return "delivery or read report (multipart/report)"
    if headers.get("return-path", "").strip().replace(" ", "") == "<>":
        return "empty Return-Path"
    if _localpart(outer_sender(headers)) in BOUNCE_LOCALPARTS:
        return "sent by a mailer daemon"
    if "x-failed-recipients" in headers:
        return "bounce (X-Failed-Recipients)"
    return ""


def is_auto_reply(headers: dict[str, str], policy: FilterPolicy | None = None) -> str:
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    # "auto-forwarded" (used by some forwarding rules) carries a person's mail on, it does not
    # answer anything: a requester's auto-forward rule is a normal way to use the bot
    if auto_submitted and not auto_submitted.startswith(("no", "auto-forwarded")):
        return "auto-submitted"
    if headers.get("precedence", "").strip().lower() in PRECEDENCE_AUTOMATED:
        return "precedence bulk/list/junk"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return f"auto-reply ({name})"
    if AUTO_SUBJECT.match(headers.get("subject", "")):
        return "auto-reply subject"
    # a no-reply sender is NOT an auto-reply: authorities send real decisions from such
    # addresses; the summary never goes back to the sender of a direct reply anyway
    return ""


def is_list_mail(headers: dict[str, str], policy: FilterPolicy | None = None) -> str:
    if any(name in headers for name in ("list-id", "list-unsubscribe", "list-post")):
        return "mailing list"
    return ""


# ---------------------------------------------------------------- recipients


USABLE_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f<>()\[\],;:\"]+@[^@\s\x00-\x1f\x7f<>()\[\],;:\".][^@\s\x00-\x1f\x7f<>()\[\],;:\"]*$")


def is_usable_address(address: str) -> bool:
    """local@domain with nothing a mail header could choke on: only such an address gets a summary."""
    return bool(USABLE_ADDRESS.match(address.strip()))


def is_allowed(address: str, policy: FilterPolicy) -> bool:
    """An address is allowed if listed exactly or its domain is listed as "@domain" (case-insensitive)."""
    address = address.strip().lower()
    if not is_usable_address(address):
        return False
    if policy.allow_everyone:
        return True
    domain = "@" + address.rsplit("@", 1)[1]
    return address in policy.allow or domain in policy.allow


def mapped_requester(message: ParsedMessage, policy: FilterPolicy) -> str:
    """The requester configured for an address the reply was delivered to, if any."""
    for address in delivered_to(message):
        if address in policy.requester_map:
            return policy.requester_map[address]
        match = REQUEST_ADDRESS.match(_localpart(address))
        if match and match.group(1).lower() in policy.requester_map:
            return policy.requester_map[match.group(1).lower()]
    return ""


def delivered_to(message: ParsedMessage) -> list[str]:
    headers = message.outer_headers
    values = [headers.get(name, "") for name in ("delivered-to", "x-original-to", "to", "cc")]
    found = [addr.strip().lower() for _, addr in getaddresses(values) if addr]
    found += [addr.strip().lower() for addr in message.to_addresses if addr]
    return list(dict.fromkeys(found))


def _forwarded(message: ParsedMessage, policy: FilterPolicy) -> Decision:
    forwarder = message.forwarded_by_address.strip()
    if forwarder.lower() in policy.own_addresses:
        return skip("forwarded by our own address")
    if message.from_address.strip().lower() in policy.own_addresses:
        return skip("forward of our own summary")
    if policy.mode == "inbox":
        return _to_owner(message, policy)
    if not is_allowed(forwarder, policy):
        return skip("forwarder not on the allowlist")
    return Decision(
        action="answer",
        reason="forward from an allowed user",
        recipient=forwarder,
        recipient_name=message.forwarded_by_name,
        answers_sender=True,
    )


def _direct(message: ParsedMessage, policy: FilterPolicy) -> Decision:
    requester = mapped_requester(message, policy)
    if requester:
        return Decision(action="answer", reason="reply to a mapped request address", recipient=requester)
    if policy.mode == "inbox":
        return _to_owner(message, policy)
    sender = message.from_address.strip()
    if sender and sender.lower() in policy.own_addresses:
        return skip("own address")
    if policy.allow_everyone:
        # the embedded default: a reply dropped into the local inbox is summarised for the
        # person it was addressed to (the requester), into the local outbox
        for address in delivered_to(message):
            if (
                is_usable_address(address)
                and address not in policy.own_addresses
                and _localpart(address) not in AUTOMATED_LOCALPARTS
            ):
                return Decision(action="answer", reason="reply addressed to a requester", recipient=address)
        return skip("no requester address")
    if is_allowed(sender, policy):
        return Decision(
            action="answer", reason="sent by an allowed user", recipient=sender, recipient_name=message.from_name,
            answers_sender=True,
        )
    return skip("sender not on the allowlist")


def _to_owner(message: ParsedMessage, policy: FilterPolicy) -> Decision:
    if policy.allow and not policy.allow_everyone:
        sender = message.forwarded_by_address or message.from_address
        if not is_allowed(sender, policy) and not is_allowed(message.from_address, policy):
            return skip("sender not on the allowlist")
    return Decision(action="answer", reason="inbox mode: summary to the owner", recipient=policy.owner)


def _localpart(address: str) -> str:
    return address.rsplit("@", 1)[0].lower() if "@" in address else address.lower()
