"""Filters: never answer bounces, auto-replies, lists, ourselves or strangers; pick the right requester."""

from __future__ import annotations

import pytest

from bot.model import Limits, ParsedMessage
from bot.service.filters import FilterPolicy, decide, is_allowed
from bot.stages.parse import parse_message
from tests.service.mails import REPLY_FIXTURES, authority_reply, fixture, forward, forwarded_refusal

FORWARD_POLICY = FilterPolicy(
    mode="forward",
    allow=("adaeze.okafor@mail.example", "@newsroom.example"),
    own_addresses=("foibot@bot.example",),
)


def parsed(raw: bytes) -> ParsedMessage:
    return parse_message(raw, Limits())


def test_forward_from_allowed_user_is_answered_to_the_forwarder():
    decision = decide(parsed(forwarded_refusal()), FORWARD_POLICY)
    assert decision.answer
    assert decision.recipient == "adaeze.okafor@mail.example"
    assert decision.recipient_name == "Adaeze Okafor"


def test_allowlist_matches_domains_case_insensitively():
    raw = forward(authority_reply(), forwarder="Reporter.One@NEWSROOM.example", forwarder_name="")
    assert decide(parsed(raw), FORWARD_POLICY).recipient.lower() == "reporter.one@newsroom.example"
    assert is_allowed("x@newsroom.example", FORWARD_POLICY)
    assert not is_allowed("x@evil-newsroom.example", FORWARD_POLICY)
    assert not is_allowed("x@newsroom.example.evil", FORWARD_POLICY)


def test_forward_from_stranger_is_skipped_without_naming_them():
    decision = decide(parsed(forwarded_refusal(forwarder="stranger@elsewhere.example")), FORWARD_POLICY)
    assert not decision.answer
    assert decision.reason == "forwarder not on the allowlist"
    assert "stranger" not in decision.reason


@pytest.mark.parametrize(
    "name, reason",
    [("bounce.eml", "delivery or read report (multipart/report)"), ("auto_reply.eml", "auto-submitted")],
)
def test_bounces_and_auto_replies_are_never_answered(name, reason):
    for policy in (FORWARD_POLICY, FilterPolicy(allow_everyone=True), FilterPolicy(mode="inbox", owner="me@x.example")):
        decision = decide(parsed(fixture(name)), policy)
        assert not decision.answer and decision.reason == reason


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({"Auto-Submitted": "auto-generated"}, "auto-submitted"),
        ({"Precedence": "bulk"}, "precedence bulk/list/junk"),
        ({"Precedence": "junk"}, "precedence bulk/list/junk"),
        ({"X-Autoreply": "yes"}, "auto-reply (x-autoreply)"),
        ({"X-Autorespond": "yes"}, "auto-reply (x-autorespond)"),
        ({"List-Id": "<foi-watchers.lists.example>"}, "mailing list"),
        ({"Return-Path": "<>"}, "empty Return-Path"),
        ({"X-Foibot-Outcome": "refused"}, "own summary (X-Foibot-Outcome)"),
    ],
)
def test_loop_headers_on_a_forward_stop_the_answer(headers, reason):
    raw = forward(authority_reply(), extra_headers=headers)
    decision = decide(parsed(raw), FORWARD_POLICY)
    assert not decision.answer and decision.reason == reason


def test_auto_submitted_no_is_a_person():
    raw = forward(authority_reply(), extra_headers={"Auto-Submitted": "no"})
    assert decide(parsed(raw), FORWARD_POLICY).answer


def test_out_of_office_subject_without_headers_is_skipped():
    raw = fixture("reply_not_held.eml").replace(b"Subject: FOI 55012 - response", b"Subject: Out of Office: FOI 55012")
    assert decide(parsed(raw), FilterPolicy(allow_everyone=True)).reason == "auto-reply subject"


def test_our_own_address_is_never_answered():
    raw = forward(authority_reply(), forwarder="foibot@bot.example")
    assert not decide(parsed(raw), FilterPolicy(allow_everyone=True, own_addresses=("foibot@bot.example",))).answer


def test_inbox_mode_sends_to_the_owner():
    policy = FilterPolicy(mode="inbox", owner="me@home.example")
    decision = decide(parsed(fixture("reply_not_held.eml")), policy)
    assert decision.answer and decision.recipient == "me@home.example"


def test_direct_reply_to_a_request_address_goes_to_the_mapped_requester():
    raw = fixture("reply_not_held.eml").replace(
        b"To: aisha.bello@mail.example", b"To: request-48213-a1b2c3d4@foi.bot.example"
    )
    policy = FilterPolicy(mode="forward", requester_map={"request-48213": "aisha.bello@mail.example"})
    decision = decide(parsed(raw), policy)
    assert decision.answer and decision.recipient == "aisha.bello@mail.example"
    exact = FilterPolicy(requester_map={"request-48213-a1b2c3d4@foi.bot.example": "x@y.example"})
    assert decide(parsed(raw), exact).recipient == "x@y.example"
    assert not decide(parsed(raw), FilterPolicy(mode="forward")).answer  # unmapped, nobody allowed


@pytest.mark.parametrize("name", REPLY_FIXTURES)
def test_embedded_default_answers_the_requester_the_reply_was_addressed_to(name):
    message = parsed(fixture(name))
    decision = decide(message, FilterPolicy(allow_everyone=True, own_addresses=("foibot@localhost",)))
    assert decision.answer and decision.recipient == message.to_addresses[0]


def test_a_forwarded_summary_of_ours_is_not_summarised_again():
    from email import message_from_bytes
    from email.policy import SMTP

    ours = message_from_bytes(
        b"From: FOI bot <foibot@bot.example>\r\nTo: adaeze.okafor@mail.example\r\nSubject: FOI reply summary: Refused\r\n"
        b"Message-ID: <s1@bot.example>\r\nX-Foibot-Outcome: refused\r\n\r\nWhat you got: a refusal.\r\n",
        policy=SMTP,
    )
    decision = decide(parsed(forward(ours)), FORWARD_POLICY)
    assert not decision.answer and "summary" in decision.reason


def test_a_reply_to_one_of_our_summaries_is_not_summarised():
    from bot.service.sender import compose_summary, summary_message_id_suffix

    ours = compose_summary(
        outcome="refused", original_subject="FOI 1", text="t", html="<p>t</p>", from_address="foibot@bot.example",
        from_name="FOI bot", recipient="adaeze.okafor@mail.example",
    )
    thanks = (
        f"From: adaeze.okafor@mail.example\r\nTo: foibot@bot.example\r\nSubject: Re: {ours['Subject']}\r\n"
        f"Message-ID: <thanks-1@mail.example>\r\nIn-Reply-To: {ours['Message-ID']}\r\n\r\nThanks! It was refused.\r\n"
    ).encode()
    policy = FORWARD_POLICY.model_copy(update={"own_message_id_suffixes": (summary_message_id_suffix("foibot@bot.example"),)})
    decision = decide(parsed(thanks), policy)
    assert not decision.answer and decision.reason == "reply to a foibot summary"
    assert decide(parsed(forwarded_refusal()), policy).answer  # ordinary forwards still pass


def test_inbox_mode_allowlist_limits_senders_but_answers_only_the_owner():
    policy = FilterPolicy(mode="inbox", owner="me@home.example", allow=("@calderbury.example",))
    allowed = decide(parsed(fixture("reply_not_held.eml")), policy)  # from @calderbury.example
    assert allowed.answer and allowed.recipient == "me@home.example"
    other = decide(parsed(fixture("reply_full_disclosure.eml")), policy)  # from @harwick-water.example
    assert not other.answer and other.reason == "sender not on the allowlist"


def test_auto_forwarded_mail_is_a_persons_forward_and_redirects_map_to_the_requester():
    raw = forward(authority_reply(), extra_headers={"Auto-Submitted": "auto-forwarded"})
    assert decide(parsed(raw), FORWARD_POLICY).answer
    # a redirect keeps the authority as sender; the requester's address maps to themselves
    redirected = fixture("reply_not_held.eml").replace(b"MIME-Version", b"X-Forwarded-To: foibot@bot.example\nMIME-Version")
    policy = FORWARD_POLICY.model_copy(update={"requester_map": {"aisha.bello@mail.example": "aisha.bello@mail.example"}})
    assert decide(parsed(redirected), policy).recipient == "aisha.bello@mail.example"
