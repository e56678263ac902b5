"""Which case a reply joins: WhatDoTheyKnow address, authority reference, thread, then subject."""

from __future__ import annotations

import datetime as dt

import time_machine

from bot.cases import CaseKey, choose_case, identity_keys, load_case_rules, normalise_reference, normalise_subject
from bot.model import Outcome, ParsedMessage, Triage

from .conftest import at

NOISE = load_case_rules().subject_noise


def triage(reference="", subject="", authority="Orrin Water Authority", outcome=Outcome.ACKNOWLEDGEMENT):
    return Triage(
        outcome=outcome, labels=[outcome], confidence=0.9, needs_review=False, jurisdiction="uk_foia",
        reference=reference, subject=subject, authority=authority,
    )


def test_keys_come_strongest_first():
    parsed = ParsedMessage(
        message_id="<m2@orrin-water.example>",
        in_reply_to="<m1@orrin-water.example>",
        subject="RE: FOI 2026/552 - Reservoir inspections",
        from_address="foi@orrin-water.example",
        to_addresses=("request-913-0ab4c2de@whatdotheyknow.com",),
    )
    keys = identity_keys(parsed, triage("FOI 2026/552", parsed.subject), "<m2@orrin-water.example>", NOISE)
    assert keys[0] == CaseKey(kind="wdtk", value="whatdotheyknow.com:913")
    assert keys[1] == CaseKey(kind="reference", value="orrin-water.example:FOI2026552")
    assert {k.value for k in keys if k.kind == "thread"} == {"<m1@orrin-water.example>", "<m2@orrin-water.example>"}
    assert keys[-1] == CaseKey(kind="subject", value="orrin-water.example:reservoir inspections")
    # a strong key wins over a weaker one that points elsewhere
    known = {"subject:orrin-water.example:reservoir inspections": 1, "reference:orrin-water.example:FOI2026552": 2}
    assert choose_case(keys, known) == 2
    assert choose_case(keys, {}) is None


def test_references_and_subjects_normalise():
    assert normalise_reference("FOI 2026/0917") == normalise_reference("foi-2026-0917") == "FOI20260917"
    assert normalise_reference("n/a") == ""
    assert normalise_subject("Re: Freedom of Information request - Fire engine response times", NOISE) == normalise_subject(
        "FOI request - fire engine response times", NOISE
    ) == "fire engine response times"
    assert normalise_subject("Acknowledgement - FOI-2026-0917 - Winter gritting contracts", NOISE) == "winter gritting contracts"


def test_whatdotheyknow_address_groups_replies_with_nothing_else_in_common(store, feed):
    with time_machine.travel(at(2026, 12, 9), tick=False):
        _, first = feed("kestrel_01_clarification.eml", requester="idris@mail.example")
    with time_machine.travel(at(2027, 1, 12), tick=False):
        _, second = feed("kestrel_02_full.eml", requester="idris@mail.example")
    assert first == second
    assert store.view(first, dt.date(2027, 1, 12)).status.value == "full_disclosure"


def test_subject_fallback_and_separate_requesters(store, feed):
    with time_machine.travel(at(2026, 12, 1), tick=False):
        _, ack = feed("brackwater_01_ack.eml")
        _, hartwell = feed("hartwell_01_ack.eml")
    with time_machine.travel(at(2027, 1, 5), tick=False):
        _, refusal = feed("brackwater_02_refused.eml")
    # no reference and no threading: authority + subject ties the refusal to the acknowledgement
    assert refusal == ack
    assert hartwell != ack
    # a message belongs to one case: recording it again (even for someone else) changes nothing
    assert feed("brackwater_01_ack.eml", requester="someone.else@mail.example")[1] == ack


def test_thread_ties_a_reply_without_reference_or_subject(store, triager):
    first = ParsedMessage(
        message_id="<t1@orrin-water.example>", subject="Reservoir inspections", from_address="foi@orrin-water.example"
    )
    second = ParsedMessage(
        message_id="<t2@orrin-water.example>",
        in_reply_to="<t1@orrin-water.example>",
        subject="Your email",
        from_address="records@orrin-water.example",
    )
    with time_machine.travel(at(2027, 1, 5), tick=False):
        a = store.record_reply("<t1@orrin-water.example>", first, triage(subject=first.subject), "r@mail.example")
        b = store.record_reply(
            "<t2@orrin-water.example>", second, triage(subject=second.subject, outcome=Outcome.NOT_HELD), "r@mail.example"
        )
        # the same reference at another authority is another request
        c = store.record_reply(
            "<t3@elsewhere.example>",
            ParsedMessage(message_id="<t3@elsewhere.example>", from_address="foi@elsewhere.example", subject="Bins"),
            triage(reference="FOI 2026/552", subject="Bins", authority="Elsewhere Council"),
            "r@mail.example",
        )
        d = store.record_reply(
            "<t4@orrin-water.example>",
            ParsedMessage(message_id="<t4@orrin-water.example>", from_address="foi@orrin-water.example", subject="Dams"),
            triage(reference="FOI 2026/552", subject="Dams"),
            "r@mail.example",
        )
        # another requester asking the same authority about the same thing has a case of their own
        e = store.record_reply(
            "<t5@orrin-water.example>",
            ParsedMessage(message_id="<t5@orrin-water.example>", from_address="foi@orrin-water.example", subject="Dams"),
            triage(reference="FOI 2026/552", subject="Dams"),
            "other@mail.example",
        )
    assert a == b
    assert c != a and d != c
    assert e not in {a, c, d}
