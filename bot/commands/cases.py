"""`foibot cases`, `foibot digest` and `foibot corrections export`: the case features on the command line.

- `foibot cases [--overdue] [--json]`: every case, where it stands and the next step;
- `foibot digest [--now] [--to ADDR] [--dry-run]`: without `--now`, what the worker does at
  `[digest] time` (each due requester once a day); with `--now`, a digest immediately
  (it does not use up the day's scheduled one); `--dry-run` prints it and sends nothing;
- `foibot corrections export FILE.jsonl`: requester corrections in the corpus format, for
  `foibot eval` and training.

Register with `add_cases` (bot/cli.py `REGISTRARS`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.errors import UserError


def add_cases(sub: argparse._SubParsersAction) -> None:
    """Adds the `cases`, `digest` and `corrections` subcommands."""
    p = sub.add_parser("cases", help="list the FOI requests foibot follows, with status and next step")
    _common(p)
    p.add_argument("--overdue", action="store_true", help="only cases whose answer or review is overdue")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--requester", help="only this requester's cases")
    p.add_argument("--today", help="treat this date (YYYY-MM-DD) as today")
    p.set_defaults(handler=cmd_cases)

    p = sub.add_parser("digest", help="send the daily digests that are due, or one now")
    _common(p)
    p.add_argument("--now", action="store_true", help="build the digest now, whatever the time of day")
    p.add_argument("--to", metavar="ADDR", help="only the digest of this requester")
    p.add_argument("--dry-run", action="store_true", help="print the digest (text part); send and record nothing")
    p.add_argument("--html", action="store_true", help="with --dry-run: print the HTML part instead")
    p.set_defaults(handler=cmd_digest)

    p = sub.add_parser("corrections", help="requester corrections of foibot's readings")
    _common(p)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the corrections as corpus JSONL (for foibot eval)")
    _common(export)
    export.add_argument("path", help="the JSONL file to write ('-' for stdout)")
    p.set_defaults(handler=cmd_corrections)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=argparse.SUPPRESS, help="TOML config file (default: embedded Maildir setup)")
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="where inbox, outbox and state live")


# --------------------------------------------------------------------------- plumbing


def open_store(args: argparse.Namespace, *, sending: bool = False):
    """(settings, State, CaseStore) from --config/--data-dir; the caller closes the State.

    Reading commands never create a data directory: a mistyped --data-dir is an error, not
    a new empty database.
    """
    from bot.config import load_settings
    from bot.service.casestore import CaseStore
    from bot.service.commands import open_state, prepare_dirs

    settings = load_settings(getattr(args, "config", None), getattr(args, "data_dir", None))
    if not settings.state_file.is_file():
        raise UserError(f"no foibot state at {settings.state_file}: check --data-dir or --config")
    if sending:
        prepare_dirs(settings)
    state = open_state(settings)
    return settings, state, CaseStore(state)


def _today(args: argparse.Namespace, settings) -> dt.date:
    if getattr(args, "today", None):
        try:
            return dt.date.fromisoformat(args.today)
        except ValueError:
            raise UserError(f"--today must be a date like 2027-01-14, not {args.today!r}") from None
    return dt.datetime.now(ZoneInfo(settings.digest.timezone)).date()


# --------------------------------------------------------------------------- foibot cases


def case_json(view) -> dict:
    """One case as the JSON of `foibot cases --json`."""
    d = view.deadlines

    def iso(day):
        return day.isoformat() if day else None

    replies = [e for e in view.events if e.kind == "reply"]
    return {
        "id": view.case_id,
        "requester": view.requester,
        "status": view.status.value,
        "jurisdiction": view.jurisdiction,
        "authority": view.authority,
        "reference": view.reference,
        "subject": view.subject,
        "exemptions": list(view.exemptions),
        "replies": len(replies),
        "last_reply": iso(replies[-1].day) if replies else None,
        "deadlines": {
            "request_date": iso(d.request_date),
            "response_due": iso(d.response_due),
            "extended_due": iso(d.extended_due),
            "decided_on": iso(d.decided_on),
            "days_late": d.days_late,
            "internal_review_by": iso(d.internal_review_by),
            "review_requested_on": iso(d.review_requested_on),
            "review_response_due": iso(d.review_response_due),
            "regulator_by": iso(d.regulator_by),
            "explanation": list(d.explanation),
        },
        "overdue": (
            {"what": view.overdue.what, "due": iso(view.overdue.due), "working_days_late": view.overdue.working_days_late}
            if view.overdue
            else None
        ),
        "next_step": {"action": view.next_action.action, "by": iso(view.next_action.by), "why": view.next_action.why},
    }


def cmd_cases(args: argparse.Namespace) -> int:
    settings, state, store = open_store(args)
    try:
        views = store.views(_today(args, settings), args.requester)
    finally:
        state.close()
    if args.overdue:
        views = [v for v in views if v.overdue]
    if args.json:
        json.dump([case_json(v) for v in views], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print_table(views)
    return 0


def print_table(views) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot.cases import STATUS_WORDS
    from bot.stages.deadlines import fmt

    # a pipe or a file gets a wide table rather than words folded into 80 columns
    console = Console(width=None if sys.stdout.isatty() else 200)
    if not views:
        console.print("No cases yet: foibot opens one for each FOI reply it reads.")
        return
    table = Table(show_lines=False, header_style="bold")
    for column in ("#", "Authority", "Subject", "Status", "Next step", "By", "Overdue"):
        table.add_column(column, overflow="fold")
    for v in views:
        action = v.next_action
        overdue = f"{v.overdue.working_days_late} wd ({v.overdue.what})" if v.overdue else ""
        table.add_row(
            str(v.case_id),
            v.title,
            v.subject,
            STATUS_WORDS[v.status],
            action.title or action.action,
            fmt(action.by) if action.by else "",
            overdue,
            style="red" if v.overdue else None,
        )
    console.print(table)


# --------------------------------------------------------------------------- foibot digest


def cmd_digest(args: argparse.Namespace) -> int:
    from bot.service.casestore import DigestScheduler, MailIdentity, compose_digest, send_due_digests
    from bot.service.sender import build_transport
    from bot.service.state import utcnow

    settings, state, store = open_store(args, sending=not args.dry_run)
    try:
        scheduler = DigestScheduler.from_settings(store, settings)
        identity = MailIdentity.from_settings(settings)
        now = utcnow()
        send_when_empty = bool(getattr(settings.digest, "send_when_empty", False))
        if not args.now and not args.dry_run:
            outcomes = send_due_digests(
                store, scheduler, identity, build_transport(settings), now=now, send_when_empty=send_when_empty
            )
            sent = sum(1 for o in outcomes if o.sent)
            print(f"{sent} digest{'s' if sent != 1 else ''} sent, {len(outcomes) - sent} with nothing to say")
            return 0
        requesters = [args.to.strip().lower()] if args.to else store.requesters()
        if args.to and args.to.strip().lower() not in store.requesters():
            raise UserError(f"no cases for {args.to}")
        sent = 0
        for requester in requesters:
            digest = store.build_digest(requester, now, scheduler.zone)
            if args.dry_run:
                from bot.digest import render_html, render_text

                sys.stdout.write(render_html(digest) if args.html else render_text(digest))
                continue
            if digest.is_empty and not send_when_empty and not args.to:
                continue
            store.commit_digest(digest, compose_digest(digest, identity), manual=True)
            sent += 1
        if not args.dry_run:
            store.flush_mail(build_transport(settings), identity.address)
            print(f"{sent} digest{'s' if sent != 1 else ''} sent")
    finally:
        state.close()
    return 0


# --------------------------------------------------------------------------- foibot corrections export


def correction_records(store, triager=None):
    """Each corrected reply as one corpus record (../shared/corpus/README.md fields).

    The letter text is re-read from the raw message the worker kept, as `foibot eval` will
    read it; labels are the corrected outcome plus the classifier's other labels (a late
    refusal stays `delay` too).
    """
    from bot.service.state import address_hash
    from bot.stages import extract
    from bot.triage import parse_message

    targets = list(dict.fromkeys(c.target_key for c in store.corrections()))
    for target in targets:
        found = store.reply_event(target)
        if found is None:
            continue
        _, original, fixed = found
        raw = store.raw_message(target)
        text = ""
        if raw is not None:
            from bot.model import Limits

            limits = triager.limits if triager is not None else Limits()
            letter = extract.extract_letter(parse_message(raw, limits), limits)
            text = letter.full_text or letter.text
        outcome = fixed.outcome.value if fixed.outcome else "other"
        labels = [outcome] + [
            label.value for label in original.labels if label != original.outcome and label.value != outcome
        ]
        yield {
            "id": f"foibot-correction-{address_hash(target)}",
            "jurisdiction": original.jurisdiction,
            "authority": original.authority,
            "reply_date": original.letter_date.isoformat() if original.letter_date else None,
            "request_date": original.request_received.isoformat() if original.request_received else None,
            "text": text,
            "truncated": False,
            "outcome": outcome,
            "labels": labels,
            "exemptions": list(fixed.exemptions),
            "ncnd": False,
            "review": original.review_result,
            "label_confidence": "requester",
            "note": "corrected by the requester; foibot read it as "
            + (original.outcome.value if original.outcome else "other")
            + (f" citing {', '.join(original.exemptions)}" if original.exemptions else ""),
        }


def cmd_corrections(args: argparse.Namespace) -> int:
    settings, state, store = open_store(args)
    try:
        records = list(correction_records(store))
    finally:
        state.close()
    # `foibot eval` needs the text: a reply whose raw message is gone cannot be a record
    missing = sum(1 for r in records if not r["text"])
    records = [r for r in records if r["text"]]
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    if args.path == "-":
        sys.stdout.write(lines)
    else:
        try:
            Path(args.path).write_text(lines, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {args.path}: {exc.strerror or exc}") from None
        print(
            f"{len(records)} correction{'s' if len(records) != 1 else ''} written to {args.path}"
            + (f"; {missing} skipped (their raw message is gone)" if missing else ""),
            file=sys.stderr,
        )
    return 0
