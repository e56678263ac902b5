"""Requester commands by reply: parsing, changing a case, corrections exported for `foibot eval`,
confirmations sent once, and `forget me`."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from email.message import EmailMessage
from email.policy import SMTP

import time_machine

from bot.cases import CaseStatus
from bot.commands.cases import correction_records
from bot.model import Outcome
from bot.replycommands import Verb, parse_commands
from bot.service.sender import MaildirTransport
from bot.triage import parse_message

from .conftest import DANA, FIXTURES, IDENTITY, at

SUMMARY_ID = "<summary-0917@bot.example>"


def test_parser_reads_only_the_requesters_own_lines():
    parsed = parse_commands(
        "Status: partially disclosed\nExemptions: section 43(2) and s40(2)\nreview requested\nThanks!\n\n"
        "On Thu, 21 Jan 2027 at 16:00, FOI bot <foibot@bot.example> wrote:\n> status: refused\n> ignore\n"
    )
    assert [c.verb for c in parsed.commands] == [Verb.STATUS, Verb.EXEMPTIONS, Verb.REVIEW_REQUESTED]
    assert parsed.commands[0].outcome == Outcome.PARTIAL_DISCLOSURE
    assert parsed.commands[1].exemptions == ("s43(2)", "s40(2)")
    assert parse_commands("exemptions: none").commands[0].exemptions == ()
    bad = parse_commands("status: maybe\nexemptions: s40(2), whatever")
    assert not bad.commands and len(bad.problems) == 2
    assert parse_commands("Dear foibot, thank you for the summary.").empty
    assert [c.verb for c in parse_commands("FORGET ME").commands] == [Verb.FORGET_ME]


def command_email(body: str, *, in_reply_to: str = SUMMARY_ID, message_id: str = "<cmd-1@mail.example>") -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Dana Whitcombe <{DANA}>"
    message["To"] = IDENTITY.address
    message["Subject"] = "Re: FOI reply summary: Partial disclosure — Winter gritting contracts"
    message["Date"] = "Fri, 22 Jan 2027 08:10:00 +0000"
    message["Message-ID"] = message_id
    message["In-Reply-To"] = in_reply_to
    message["References"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


def receive_command(store, triager, raw: bytes):
    """What the worker does with a requester's reply to a summary."""
    parsed = parse_message(raw, triager.limits)
    store.state.record(parsed.message_id, raw, message_id=parsed.message_id)
    return store.apply_command(parsed.message_id, parsed, DANA, IDENTITY)


def summarised_partial_disclosure(store, feed) -> tuple[str, int]:
    with time_machine.travel(at(2026, 12, 7), tick=False):
        feed("hartwell_01_ack.eml")
    with time_machine.travel(at(2027, 1, 21, 16), tick=False):
        key, case_id = feed("hartwell_02_partial_late.eml")
        # the worker queued its summary under this Message-ID
        store.state.enqueue_summary(
            key, triage_json="{}", outcome="partial_disclosure", recipient=DANA, summary_id=SUMMARY_ID, rfc822=b"x"
        )
    return key, case_id


def test_a_reply_command_changes_the_case_and_is_exported_as_a_correction(store, feed, triager, tmp_path):
    key, case_id = summarised_partial_disclosure(store, feed)
    raw = command_email(
        "status: refused\nexemptions: s43(2)\n\nOn 21 Jan 2027, FOI bot wrote:\n> What you got: part of the information\n"
    )
    with time_machine.travel(at(2027, 1, 22, 8, 15), tick=False):
        result = receive_command(store, triager, raw)
        again = receive_command(store, triager, raw)  # the same email seen twice
    assert result.case_id == case_id and len(result.applied) == 2 and not result.problems
    assert again.duplicate

    case = store.view(case_id, dt.date(2027, 1, 22))
    assert case.status == CaseStatus.REFUSED
    assert case.exemptions == ("s43(2)",)
    corrections = store.corrections()
    assert [(c.field, c.old_value, c.new_value, c.target_key) for c in corrections] == [
        ("outcome", "partial_disclosure", "refused", key),
        ("exemptions", "s43(2),s40(2)", "s43(2)", key),
    ]

    # one confirmation, threaded under the requester's email
    outbox = tmp_path / "outbox"
    with time_machine.travel(at(2027, 1, 22, 8, 16), tick=False):
        assert store.flush_mail(MaildirTransport(outbox), IDENTITY.address) == 1
    (path,) = list((outbox / "new").iterdir())
    confirmation = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert confirmation["In-Reply-To"] == "<cmd-1@mail.example>"
    assert confirmation["Subject"] == "foibot: correction recorded"
    assert confirmation["Auto-Submitted"] == "auto-replied"
    body = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert "the reply is refused" in body and "exemptions cited: s43(2)" in body

    # the correction in the corpus format, read back by `foibot eval`'s loader
    (record,) = list(correction_records(store, triager))
    assert record["outcome"] == "refused"
    assert record["labels"] == ["refused", "delay"]
    assert record["exemptions"] == ["s43(2)"]
    assert record["jurisdiction"] == "uk_foia" and record["reply_date"] == "2027-01-21"
    assert "unit rates in the contracts" in record["text"]
    from bot.eval import load_records

    path = tmp_path / "corrections.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (loaded,) = load_records(path)
    assert loaded.outcome == "refused" and loaded.exemptions == ["s43(2)"]


def test_closed_review_requested_and_a_command_that_cannot_be_placed(store, feed, triager):
    _, case_id = summarised_partial_disclosure(store, feed)
    with time_machine.travel(at(2027, 1, 25, 9), tick=False):
        receive_command(store, triager, command_email("review requested", message_id="<cmd-2@mail.example>"))
    case = store.view(case_id, dt.date(2027, 1, 26))
    assert case.status == CaseStatus.REVIEW_REQUESTED
    assert case.deadlines.review_response_due == dt.date(2027, 2, 22)

    with time_machine.travel(at(2027, 1, 26, 9), tick=False):
        receive_command(store, triager, command_email("closed", message_id="<cmd-3@mail.example>"))
    assert store.view(case_id, dt.date(2027, 1, 27)).status == CaseStatus.CLOSED
    with time_machine.travel(at(2027, 1, 27, 9), tick=False):
        receive_command(store, triager, command_email("reopen", message_id="<cmd-4@mail.example>"))
    assert store.view(case_id, dt.date(2027, 1, 28)).status == CaseStatus.REVIEW_REQUESTED

    with time_machine.travel(at(2027, 1, 28, 9), tick=False):
        lost = receive_command(
            store, triager, command_email("ignore", in_reply_to="<unknown@bot.example>", message_id="<cmd-5@mail.example>")
        )
    assert lost.case_id is None and lost.problems and lost.confirmation_id
    assert store.view(case_id, dt.date(2027, 1, 28)).status == CaseStatus.REVIEW_REQUESTED


def test_forget_me_erases_the_requesters_cases(store, feed, triager, tmp_path):
    summarised_partial_disclosure(store, feed)
    with time_machine.travel(at(2027, 1, 22, 8, 15), tick=False):
        receive_command(store, triager, command_email("status: refused"))
        result = receive_command(store, triager, command_email("forget me", message_id="<cmd-9@mail.example>"))
        sent = store.flush_mail(MaildirTransport(tmp_path / "outbox"), IDENTITY.address)
    assert result.forgotten
    assert store.views(dt.date(2027, 1, 22), DANA) == []
    assert store.corrections() == []
    assert store.requesters() == []
    assert sent == 2  # the correction's confirmation was still queued; the erasure's too


def test_the_worker_can_tell_a_command_email_from_an_foi_reply(store, feed, triager):
    summarised_partial_disclosure(store, feed)
    command = parse_message(command_email("status: refused"), triager.limits)
    assert store.is_command_email(command)
    chat = parse_message(command_email("Thanks, very helpful!"), triager.limits)
    assert not store.is_command_email(chat)  # no command in it: nothing to apply
    stranger = parse_message(command_email("status: refused", in_reply_to="<other@elsewhere.example>"), triager.limits)
    assert not store.is_command_email(stranger)  # not an answer to foibot's mail
    authority_reply = parse_message((FIXTURES / "hartwell_03_review_ack.eml").read_bytes(), triager.limits)
    assert not store.is_command_email(authority_reply)


def test_forget_me_must_answer_an_email_foibot_sent_to_that_address(store, feed, triager):
    _, case_id = summarised_partial_disclosure(store, feed)
    forged = command_email("forget me", in_reply_to="<guessed@bot.example>", message_id="<forged@mail.example>")
    with time_machine.travel(at(2027, 1, 22, 9), tick=False):
        result = receive_command(store, triager, forged)
    assert not result.forgotten and result.problems and not result.confirmation_id
    assert store.view(case_id, dt.date(2027, 1, 22)) is not None
    assert parse_commands("exemptions:").problems
