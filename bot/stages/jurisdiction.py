"""Which FOI law a letter was written under, from the `[detect]` table of each rules/law file.

Evidence, strongest first: the law the letter cites by name, the name of one of the country's
authorities (rules/places.toml), the request address of an FOI site (WhatDoTheyKnow, FYI, Right
to Know, AskTheEU, MuckRock), the authority's mail domain, an address of such a domain written in
the letter (a link, a signature).

A specific law (EIR, FOISA) carries a higher weight than a general one it overlaps with, on the
phrases that name it. Everything else is shared by the laws of a country (WhatDoTheyKnow serves
FOIA, EIR, FOISA and the EISRs alike; a Scottish council answers under FOISA and the EISRs) and
counts the same for each. A tie goes to the specific law when the letter names it (an EIR reply
also names FOIA in its rights footer), and to the general law when only shared evidence speaks:
a letter from gov.scot that names no law is read under FOISA, not under the Scottish
environmental regulations. Nor is a template that names both laws as the ones a request may
come under ("FOIA/EIR") evidence for the specific one (`not_evidence`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.model import Letter
from bot.rulebook import Rulebook

PHRASE_SCORE = 3.0
REQUEST_DOMAIN_SCORE = 2.0
SENDER_DOMAIN_SCORE = 1.5
PLACE_SCORE = 3.0  # an authority's name (rules/places.toml)
TEXT_DOMAIN_SCORE = 1.0  # a web or mail address of one of the law's domains written in the letter
HOST = re.compile(r"(?:https?://|\bwww\.|@)((?:[a-z0-9-]+\.)+[a-z]{2,})")


@dataclass(frozen=True)
class Evidence:
    """What a letter says for one law: phrases that name it (weighted), and what it shares with
    the other laws of its country (site addresses, mail domains, authorities' names)."""

    named: float
    shared: float

    @property
    def score(self) -> float:
        return self.named + self.shared


def jurisdiction_evidence(letter: Letter, rulebook: Rulebook) -> dict[str, Evidence]:
    text = " ".join((letter.full_text or letter.text)[:60_000].split()).lower()
    sender_domain = letter.sender_address.rpartition("@")[2].lower()
    addresses = " ".join([letter.sender_address, *letter.recipient_addresses]).lower()
    # web and mail addresses in the letter (a signature, a link to the authority's site): a published
    # reply without its envelope still shows where it comes from
    hosts = {m.rstrip(".") for m in HOST.findall(text)}
    found: dict[str, Evidence] = {}
    for law in rulebook.laws.values():
        detect = law.detect
        own_text = text
        for pattern in detect.not_evidence:
            own_text = pattern.sub(" ", own_text)
        named = PHRASE_SCORE * detect.weight * sum(phrase.lower() in own_text for phrase in detect.phrases)
        shared = REQUEST_DOMAIN_SCORE * sum(
            domain.lower() in addresses or domain.lower() in text for domain in detect.request_domains
        )
        domains = [domain.lower().lstrip(".") for domain in detect.sender_domains]
        if sender_domain:
            shared += SENDER_DOMAIN_SCORE * sum(_within(sender_domain, domain) for domain in domains)
        if any(_within(host, domain) for host in hosts for domain in domains):
            shared += TEXT_DOMAIN_SCORE
        if detect.country:
            shared += PLACE_SCORE * sum(name in text for name in rulebook.places[detect.country])
        if named or shared:
            found[law.id] = Evidence(named, shared)
    return found


def _within(host: str, domain: str) -> bool:
    """`host` is `domain` or one of its subdomains (a label boundary: "agov.uk" is not in "gov.uk")."""
    return host == domain or host.endswith("." + domain)


def detect_jurisdiction(letter: Letter, rulebook: Rulebook) -> str:
    found = jurisdiction_evidence(letter, rulebook)
    if not found:
        return rulebook.default_law

    def rank(law_id: str) -> tuple:
        # the highest score; a tie goes to the specific law (highest weight) when the letter names
        # it, to the general law (lowest weight) when only shared evidence speaks for both
        weight = rulebook.laws[law_id].detect.weight
        return (-found[law_id].score, -weight if found[law_id].named else weight, law_id)

    return min(found, key=rank)
