"""Running foibot for years, on the command line: init, doctor, reprocess, purge, backup, restore.

- `foibot init`: asks a few questions (or takes them as flags with `--non-interactive`) and
  writes a commented config file; passwords go to separate files with mode 0600.
- `foibot doctor`: one line per check, ✓/✗ and a fix; exit 0 when everything passes.
- `foibot reprocess`: re-reads stored replies with the current rules, shows old -> new.
- `foibot purge --older-than DAYS`: deletes raw emails and letter text (cases stay).
- `foibot backup FILE` / `foibot restore FILE`: SQLite online backup, checked restore.

Register with `add_ops` (bot/cli.py `REGISTRARS`). The work itself lives in
bot/service/doctor.py and bot/service/maintenance.py; this module parses and prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from bot.errors import UserError


def add_ops(sub: argparse._SubParsersAction) -> None:
    """Adds `init`, `doctor`, `reprocess`, `purge`, `backup` and `restore`."""
    p = sub.add_parser("init", help="write a config file by answering a few questions")
    p.add_argument("--config", default="foibot.toml", help="the config file to write (default ./foibot.toml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing config file")
    p.add_argument("--non-interactive", action="store_true", help="ask nothing: take every answer from the flags below")
    p.add_argument("--mode", choices=("forward", "inbox"))
    p.add_argument("--owner", help="inbox mode: the address that receives the summaries")
    p.add_argument("--data-dir", dest="init_data_dir", metavar="DIR", help="where foibot keeps its state")
    p.add_argument("--mailbox", choices=("maildir", "imap"), help="where replies arrive")
    p.add_argument("--imap-host")
    p.add_argument("--imap-port", type=int)
    p.add_argument("--imap-tls", choices=("ssl", "starttls", "none"))
    p.add_argument("--imap-user")
    p.add_argument("--imap-password-file", help="a file whose first line is the IMAP password (copied, mode 0600)")
    p.add_argument("--imap-folder")
    p.add_argument("--send", choices=("maildir", "smtp"), help="how summaries leave")
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=int)
    p.add_argument("--smtp-tls", choices=("ssl", "starttls", "none"))
    p.add_argument("--smtp-user")
    p.add_argument("--smtp-password-file", help="a file whose first line is the SMTP password (copied, mode 0600)")
    p.add_argument("--from-address", help="the address summaries come from")
    p.add_argument("--allow", help="comma-separated addresses or @domains that may use foibot")
    p.add_argument("--digest-time", help="HH:MM")
    p.add_argument("--timezone", help="IANA timezone of the digest time, e.g. Europe/London")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("doctor", help="check the configuration and every server it names")
    _common(p)
    p.add_argument("--no-nlp", action="store_true", help="skip loading the spaCy model (faster)")
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("reprocess", help="re-read stored replies with the current rules and show what changed")
    _common(p)
    p.add_argument("--since", help="only replies received on or after this date (YYYY-MM-DD)")
    p.add_argument("--case", type=int, dest="case_id", metavar="ID", help="only the replies of this case")
    p.add_argument("--dry-run", action="store_true", help="show the changes, store nothing")
    p.add_argument("--resend", action="store_true", help="queue a new summary for each reply whose reading changed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_reprocess)

    p = sub.add_parser("purge", help="delete raw emails and letter text older than N days (cases stay)")
    _common(p)
    p.add_argument("--older-than", type=int, required=True, metavar="DAYS", help="received more than DAYS days ago")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--raw-only", action="store_true", help="only the raw emails")
    what.add_argument("--text-only", action="store_true", help="only the letter text kept with each triage")
    p.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    p.add_argument("--vacuum", action="store_true", help="then give the space back to the disk (VACUUM)")
    p.set_defaults(handler=cmd_purge)

    p = sub.add_parser("backup", help="copy the state database to FILE (safe while the worker runs)")
    _common(p)
    p.add_argument("file", help="the backup file to write")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="replace the state database with a backup FILE")
    _common(p)
    p.add_argument("file", help="a file written by foibot backup")
    p.add_argument("--force", action="store_true", help="even while a worker is running on it")
    p.set_defaults(handler=cmd_restore)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML config file (default: embedded Maildir setup)")
    p.add_argument("--data-dir", help="where inbox, outbox and state live (default ./foibot-data)")


def _settings(args: argparse.Namespace):
    """Settings from --config/--data-dir; logs go to stderr as JSON lines, so stdout is only the report."""
    from bot.config import load_settings
    from bot.service.commands import configure_logging

    settings = load_settings(getattr(args, "config", None), getattr(args, "data_dir", None))
    configure_logging(settings.log_level)
    return settings


def _existing_state(settings):
    from bot.service.commands import open_state

    if not settings.state_file.is_file():
        raise UserError(f"no foibot state at {settings.state_file}: check --data-dir or --config")
    return open_state(settings)


# --------------------------------------------------------------------------- doctor


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.service.doctor import exit_code, format_report, run_checks

    checks = run_checks(args.config, args.data_dir, nlp=not args.no_nlp)
    print(format_report(checks))
    return exit_code(checks)


# --------------------------------------------------------------------------- reprocess


def cmd_reprocess(args: argparse.Namespace) -> int:
    from bot.rulebook import load_rulebook
    from bot.service.maintenance import reprocess
    from bot.triage import Triager, parse_message

    since = _date(args.since, "--since") if args.since else None
    settings = _settings(args)
    state = _existing_state(settings)
    try:
        triager = Triager(rulebook=load_rulebook(settings.rules_dir or None), limits=settings.limits)
        report = reprocess(
            state, settings, triager, parse_message,
            since=since, case_id=args.case_id, dry_run=args.dry_run, resend=args.resend,
        )
    finally:
        state.close()
    if args.json:
        print(json.dumps(report.model_dump(), indent=2, ensure_ascii=False))
        return 0
    for change in report.changes:
        day = change.received_at[:10]
        if change.error:
            print(f"{day}  {_short(change.key)}  could not be re-read: {change.error}")
            continue
        exemptions = ""
        if sorted(change.old_exemptions) != sorted(change.new_exemptions):
            exemptions = f"  exemptions [{', '.join(change.old_exemptions)}] -> [{', '.join(change.new_exemptions)}]"
        resent = "  (new summary queued)" if change.resent else ""
        print(f"{day}  {_short(change.key)}  {change.old_outcome} -> {change.new_outcome}{exemptions}{resent}")
    tail = " (dry run: nothing stored)" if report.dry_run else ""
    extra = f", {report.skipped_no_raw} without raw email (purged)" if report.skipped_no_raw else ""
    extra += f", {report.failed} failed" if report.failed else ""
    print(f"examined {report.examined}, changed {report.changed}, resent {report.resent}{extra}{tail}")
    if report.resent:
        print("the running worker sends the new summaries on its next pass (or run: foibot run --once)")
    return 0


def _short(key: str) -> str:
    return key if len(key) <= 60 else key[:57] + "..."


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from None


# --------------------------------------------------------------------------- purge


def cmd_purge(args: argparse.Namespace) -> int:
    from bot.service.maintenance import purge
    from bot.service.state import utcnow

    if args.older_than < 0:
        raise UserError("--older-than must be 0 or more days")
    settings = _settings(args)
    state = _existing_state(settings)
    cutoff = utcnow() - dt.timedelta(days=args.older_than)
    try:
        report = purge(
            state,
            raw_before=None if args.text_only else cutoff,
            text_before=None if args.raw_only else cutoff,
            dry_run=args.dry_run,
        )
        if args.vacuum and not args.dry_run:
            try:
                state.db.execute("VACUUM")
            except sqlite3.OperationalError as exc:
                raise UserError(f"purged, but VACUUM could not run ({exc}): try again with the worker stopped") from None
    finally:
        state.close()
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{verb}: {report.raw_deleted} raw email(s), the letter text of {report.text_deleted} triage(s)"
        f" and {report.summaries_deleted} sent summary email(s) received before {cutoff:%Y-%m-%d %H:%M} UTC;"
        " cases, outcomes and deadlines are kept"
    )
    return 0


# --------------------------------------------------------------------------- backup / restore


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.service.maintenance import backup_database

    settings = _settings(args)
    info = backup_database(settings.state_file, args.file)
    print(
        f"backed up {settings.state_file} to {info.path}: {info.messages} message(s), {info.cases} case(s),"
        f" schema {info.schema_version}/{info.cases_schema}, {info.bytes} bytes"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.service.maintenance import restore_database

    settings = _settings(args)
    info = restore_database(args.file, settings.state_file, force=args.force)
    print(
        f"restored {args.file} into {info.path}: {info.messages} message(s), {info.cases} case(s),"
        f" schema {info.schema_version}/{info.cases_schema}"
    )
    return 0


# --------------------------------------------------------------------------- init


class InitAnswers(BaseModel):
    """Everything `foibot init` asks; the config file is rendered from it."""

    mode: Literal["forward", "inbox"] = "forward"
    owner: str = ""
    data_dir: str = "./foibot-data"
    mailbox: Literal["maildir", "imap"] = "maildir"
    imap_host: str = ""
    imap_port: int = 993
    imap_tls: Literal["ssl", "starttls", "none"] = "ssl"
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    send: Literal["maildir", "smtp"] = "maildir"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: Literal["ssl", "starttls", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    from_address: str = "foibot@localhost"
    allow: list[str] = []
    digest_time: str = "07:30"
    timezone: str = "Europe/London"


ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
DOMAIN_ENTRY = re.compile(r"^@[^@\s]+\.[^@\s]+$")


def valid_address(text: str) -> str | None:
    return None if ADDRESS.match(text) else f"{text!r} is not an email address"


def valid_allow_entry(text: str) -> str | None:
    return None if ADDRESS.match(text) or DOMAIN_ENTRY.match(text) else f"{text!r} is neither an address nor an @domain"


def valid_time(text: str) -> str | None:
    try:
        dt.datetime.strptime(text, "%H:%M")
    except ValueError:
        return f"{text!r} is not a time like 07:30"
    return None


def valid_timezone(text: str) -> str | None:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{text!r} is not a known timezone (e.g. Europe/London)"
    return None


def valid_port(text: str) -> str | None:
    return None if text.isdigit() and 0 < int(text) < 65536 else f"{text!r} is not a port number"


def valid_host(text: str) -> str | None:
    return None if text and not re.search(r"\s|/", text) else f"{text!r} is not a host name"


class Asker:
    """Questions on `output`, answers from `input` (a terminal, or a pipe in tests and scripts)."""

    def __init__(self, input: TextIO, output: TextIO, tries: int = 3) -> None:
        self.input, self.output, self.tries = input, output, tries

    def _line(self, secret: bool) -> str:
        if secret and self.input is sys.stdin and sys.stdin.isatty():
            return getpass.getpass("", stream=self.output)
        line = self.input.readline()
        if not line:
            raise UserError("foibot init: the answers ended early (end of input)")
        return line.rstrip("\r\n")

    def ask(
        self,
        question: str,
        default: str = "",
        *,
        choices: tuple[str, ...] = (),
        check: Callable[[str], str | None] | None = None,
        secret: bool = False,
        required: bool = True,
    ) -> str:
        hint = f" ({'/'.join(choices)})" if choices else ""
        shown = f" [{default}]" if default and not secret else ""
        for _ in range(self.tries):
            self.output.write(f"{question}{hint}{shown}: ")
            self.output.flush()
            answer = self._line(secret).strip() or default
            problem = None
            if not answer and required:
                problem = "an answer is needed"
            elif choices and answer not in choices:
                problem = f"answer one of {', '.join(choices)}"
            elif answer and check:
                problem = check(answer)
            if problem is None:
                return answer
            self.output.write(f"  {problem}\n")
        raise UserError(f"foibot init: no valid answer to {question!r}")


def ask_answers(asker: Asker) -> InitAnswers:
    """The interview: only what the chosen setup needs, with safe defaults."""
    a: dict = {}
    a["mode"] = asker.ask(
        "Mode: 'forward' (people forward FOI replies to foibot) or 'inbox' (foibot reads your own inbox)",
        "forward", choices=("forward", "inbox"),
    )
    if a["mode"] == "inbox":
        a["owner"] = asker.ask("Your email address (summaries go there)", check=valid_address)
    a["data_dir"] = asker.ask("Data directory (state, and Maildirs if used)", "./foibot-data")
    a["mailbox"] = asker.ask("Where do replies arrive", "imap", choices=("imap", "maildir"))
    if a["mailbox"] == "imap":
        a["imap_host"] = asker.ask("IMAP server", check=valid_host)
        a["imap_tls"] = asker.ask("IMAP security", "ssl", choices=("ssl", "starttls", "none"))
        a["imap_port"] = int(asker.ask("IMAP port", "993" if a["imap_tls"] == "ssl" else "143", check=valid_port))
        a["imap_user"] = asker.ask("IMAP user name")
        a["imap_password"] = asker.ask("IMAP password (stored in a separate file, mode 0600)", secret=True, required=False)
        a["imap_folder"] = asker.ask("IMAP folder to watch", "INBOX")
    a["send"] = asker.ask("How do summaries leave", "smtp" if a["mailbox"] == "imap" else "maildir", choices=("smtp", "maildir"))
    if a["send"] == "smtp":
        a["smtp_host"] = asker.ask("SMTP server", a.get("imap_host", ""), check=valid_host)
        a["smtp_tls"] = asker.ask("SMTP security", "starttls", choices=("starttls", "ssl", "none"))
        a["smtp_port"] = int(asker.ask("SMTP port", {"ssl": "465", "starttls": "587"}.get(a["smtp_tls"], "25"), check=valid_port))
        a["smtp_user"] = asker.ask("SMTP user name (empty: no login)", a.get("imap_user", ""), required=False)
        if a["smtp_user"]:
            same = a["smtp_user"] == a.get("imap_user") and a.get("imap_password")
            prompt = "SMTP password (empty: the IMAP one)" if same else "SMTP password"
            a["smtp_password"] = asker.ask(prompt, secret=True, required=not same) or (a.get("imap_password", "") if same else "")
        a["from_address"] = asker.ask(
            "Address the summaries come from", a["imap_user"] if valid_address(a.get("imap_user", "")) is None else "",
            check=valid_address,
        )
    allow = asker.ask(
        "Who may use foibot (comma-separated addresses or @domains; empty: nobody yet)",
        a.get("owner", ""), required=False,
        check=lambda text: next(filter(None, (valid_allow_entry(e) for e in _split(text))), None),
    )
    a["allow"] = _split(allow)
    a["digest_time"] = asker.ask("Daily digest time", "07:30", check=valid_time)
    a["timezone"] = asker.ask("Timezone of that time", "Europe/London", check=valid_timezone)
    return InitAnswers(**a)


def answers_from_flags(args: argparse.Namespace) -> InitAnswers:
    """`--non-interactive`: the same answers from flags, checked the same way."""
    a: dict = {}
    for flag, field in (
        ("mode", "mode"), ("owner", "owner"), ("init_data_dir", "data_dir"), ("mailbox", "mailbox"),
        ("imap_host", "imap_host"), ("imap_port", "imap_port"), ("imap_tls", "imap_tls"), ("imap_user", "imap_user"),
        ("imap_folder", "imap_folder"), ("send", "send"), ("smtp_host", "smtp_host"), ("smtp_port", "smtp_port"),
        ("smtp_tls", "smtp_tls"), ("smtp_user", "smtp_user"), ("from_address", "from_address"),
        ("digest_time", "digest_time"), ("timezone", "timezone"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            a[field] = value
    if args.allow:
        a["allow"] = _split(args.allow)
    if args.imap_password_file:
        a["imap_password"] = _first_line(args.imap_password_file, "--imap-password-file")
    if args.smtp_password_file:
        a["smtp_password"] = _first_line(args.smtp_password_file, "--smtp-password-file")
    answers = InitAnswers(**a)
    if answers.mailbox == "imap" and answers.imap_tls != "ssl" and args.imap_port is None:
        answers.imap_port = 143
    if answers.send == "smtp" and args.smtp_port is None:
        answers.smtp_port = {"ssl": 465, "starttls": 587}.get(answers.smtp_tls, 25)
    problems = [
        problem
        for problem in (
            answers.mode == "inbox" and (valid_address(answers.owner) if answers.owner else "--owner is needed in inbox mode"),
            answers.mailbox == "imap" and (valid_host(answers.imap_host) if answers.imap_host else "--imap-host is needed"),
            answers.mailbox == "imap" and not answers.imap_user and "--imap-user is needed",
            answers.send == "smtp" and (valid_host(answers.smtp_host) if answers.smtp_host else "--smtp-host is needed"),
            answers.send == "smtp" and valid_address(answers.from_address),
            valid_time(answers.digest_time),
            valid_timezone(answers.timezone),
            *(valid_allow_entry(e) for e in answers.allow),
        )
        if problem
    ]
    if problems:
        raise UserError(f"foibot init: {problems[0]}")
    return answers


def _first_line(path: str, flag: str) -> str:
    file = Path(path)
    if not file.exists():
        raise UserError(f"{flag}: {file} does not exist")
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{flag}: cannot read {file}: {exc.strerror or exc}") from None
    return lines[0].strip() if lines else ""


def _split(text: str) -> list[str]:
    return [part.strip().lower() for part in text.split(",") if part.strip()]


def _toml(value) -> str:  # noqa: ANN001
    """A TOML value (JSON strings are valid TOML basic strings)."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def render_config(answers: InitAnswers, imap_password_file: str = "", smtp_password_file: str = "") -> str:
    """The commented config file for these answers (passwords only as file paths)."""
    a = answers
    v = _toml
    lines = [
        "# foibot configuration, written by `foibot init`. Check it with: foibot doctor --config THIS_FILE",
        "# Every key can be overridden by an environment variable, e.g. FOIBOT_IMAP__HOST (see config.example.toml).",
        "",
        "# Where the state database (and Maildirs, if used) live.",
        f"data_dir = {v(a.data_dir)}",
        "",
        '# "forward": people forward FOI replies to foibot and get the summary back;',
        '# "inbox": foibot reads one person\'s own inbox and sends every summary to `owner`.',
        f"mode = {v(a.mode)}",
        f"owner = {v(a.owner)}",
        "",
        "# Who may use foibot: addresses or \"@domain\" entries. Empty answers nobody in forward mode.",
        f"allow = {v(a.allow)}",
        "",
        "[mailbox]",
        f"kind = {v(a.mailbox)}                # where replies arrive: \"imap\" or \"maildir\"",
        'path = ""                     # maildir only; empty = DATA_DIR/inbox',
        "",
        "[imap]",
        f"host = {v(a.imap_host or 'imap.example.org')}",
        f"port = {a.imap_port}",
        f"tls = {v(a.imap_tls)}                  # \"ssl\" | \"starttls\" | \"none\" (none only to localhost); certificates are verified",
        f"username = {v(a.imap_user)}",
        f"password_file = {v(imap_password_file)}   # mode 0600; never put the password itself here",
        f"folder = {v(a.imap_folder)}",
        'processed_folder = ""         # move processed mail here; empty = flag it only',
        "",
        "[send]",
        f"kind = {v(a.send)}                # how summaries leave: \"smtp\" or \"maildir\" (DATA_DIR/outbox)",
        'path = ""',
        "",
        "[smtp]",
        f"host = {v(a.smtp_host or 'smtp.example.org')}",
        f"port = {a.smtp_port}",
        f"tls = {v(a.smtp_tls)}",
        f"username = {v(a.smtp_user)}",
        f"password_file = {v(smtp_password_file)}",
        f"from_address = {v(a.from_address)}   # also how foibot recognises (and never answers) its own mail",
        "",
        "[digest]",
        "# one email a day per requester with every open case and the deadlines coming up",
        f"time = {v(a.digest_time)}",
        f"timezone = {v(a.timezone)}",
        "",
        "[retention]",
        "# days after which raw emails / the letter text kept with each triage are deleted (0 = keep);",
        "# cases, outcomes and deadlines are always kept. Raw emails are what `foibot reprocess` re-reads.",
        "raw_days = 0",
        "text_days = 0",
        "",
        "[observability]",
        "# /healthz and /metrics (Prometheus) on this local port; 0 = off",
        "port = 0",
        'host = "127.0.0.1"',
        "",
    ]
    return "\n".join(lines)


def write_private(path: Path, text: str) -> None:
    """Create or replace a file readable by its owner only (mode 0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def write_config(answers: InitAnswers, config: Path, *, force: bool = False) -> list[Path]:
    """Write the config and its password files; check the result loads. Returns the files written."""
    from bot.config import load_settings

    if config.exists() and not force:
        raise UserError(f"{config} exists: pass --force to replace it")
    config.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    secrets: dict[str, str] = {}
    for name, password, used in (
        ("imap", answers.imap_password, answers.mailbox == "imap"),
        ("smtp", answers.smtp_password, answers.send == "smtp" and bool(answers.smtp_user)),
    ):
        if used and password:
            file = config.with_name(f"{config.stem}.{name}.pass")
            write_private(file, password + "\n")
            secrets[name] = str(file.resolve())
            written.append(file)
    text = render_config(answers, secrets.get("imap", ""), secrets.get("smtp", ""))
    config.write_text(text, encoding="utf-8")
    written.insert(0, config)
    try:
        load_settings(str(config), None)
    except UserError as exc:
        raise UserError(f"the written config does not load ({exc}): please report this") from None
    return written


def cmd_init(args: argparse.Namespace) -> int:
    config = Path(args.config)
    if config.exists() and not args.force:
        raise UserError(f"{config} exists: pass --force to replace it")
    if args.non_interactive:
        answers = answers_from_flags(args)
    else:
        print("foibot init: a few questions (Enter keeps the [default]).")
        answers = ask_answers(Asker(sys.stdin, sys.stdout))
    written = write_config(answers, config, force=args.force)
    for file in written:
        print(f"wrote {file}" + (" (mode 0600)" if file != config else ""))
    print(f"next: foibot doctor --config {config}")
    return 0
