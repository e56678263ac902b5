"""Which FOI law a letter was written under, from the `[detect]` table of each rules/law file.

Evidence, strongest first: the law the letter cites by name, the request address of an FOI
site (WhatDoTheyKnow, FYI, Right to Know, AskTheEU, MuckRock), the authority's mail domain.
A specific law (EIR, FOISA) carries a higher weight than a general one it overlaps with.
"""

from __future__ import annotations

from bot.model import Letter
from bot.rulebook import Rulebook

PHRASE_SCORE = 3.0
REQUEST_DOMAIN_SCORE = 2.0
SENDER_DOMAIN_SCORE = 1.5


def jurisdiction_scores(letter: Letter, rulebook: Rulebook) -> dict[str, float]:
    text = " ".join((letter.full_text or letter.text)[:60_000].split()).lower()
    sender_domain = letter.sender_address.rpartition("@")[2].lower()
    addresses = " ".join([letter.sender_address, *letter.recipient_addresses]).lower()
    scores: dict[str, float] = {}
    for law in rulebook.laws.values():
        detect = law.detect
        score = 0.0
        for phrase in detect.phrases:
            if phrase.lower() in text:
                score += PHRASE_SCORE
        for domain in detect.request_domains:
            if domain.lower() in addresses or domain.lower() in text:
                score += REQUEST_DOMAIN_SCORE
        for domain in detect.sender_domains:
            domain = domain.lower().lstrip(".")
            if sender_domain and (sender_domain == domain or sender_domain.endswith("." + domain)):
                score += SENDER_DOMAIN_SCORE
        if score:
            scores[law.id] = score * detect.weight
    return scores


def detect_jurisdiction(letter: Letter, rulebook: Rulebook) -> str:
    scores = jurisdiction_scores(letter, rulebook)
    if not scores:
        return rulebook.default_law
    return max(sorted(scores), key=lambda law_id: scores[law_id])
