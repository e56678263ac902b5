"""Cases, their timelines, requester corrections and sent digests, in the worker's state database.

The tables live in the same SQLite file as `State` (same connection, same transactions), but
have a schema version of their own (`meta` key `cases_schema`), so the worker's schema and
this one evolve independently: `ensure_schema` applies `CASES_MIGRATIONS` with
`CREATE ... IF NOT EXISTS`, never edits a released one.

Exactly-once rules, all enforced by UNIQUE constraints inside one transaction:
- one timeline entry per triaged reply (`case_events.message_key, seq`);
- one digest per requester per local day (`digests_sent` primary key), inserted together with
  its queued email (`case_mail`), so a crash before or after sending never repeats it;
- one set of corrections and one confirmation per command email (`case_mail.dedupe`).

Digests and confirmations queue in `case_mail` (the worker's `outbox` rows belong to a
received message); `flush_mail` delivers them through the worker's own transports.
Info-level logs carry address hashes only.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import structlog
from pydantic import BaseModel

from bot.cases import (
    CaseEvent,
    CaseRules,
    CaseView,
    choose_case,
    corrected,
    identity_keys,
    load_case_rules,
    message_ids,
    reply_event,
    view_case,
)
from bot.digest import Digest, build_digest, deadlines_calendar, render_html, render_text, subject_line
from bot.model import ParsedMessage, Triage
from bot.replycommands import Command, ParsedCommands, Verb, parse_commands
from bot.rulebook import Rulebook, load_rulebook
from bot.service.sender import SendError, Transport, compose_summary, single_line
from bot.service.state import State, address_hash, stamp, unstamp, utcnow

log = structlog.get_logger("foibot.cases")

SCHEMA_KEY = "cases_schema"
MAX_SEND_BACKOFF = dt.timedelta(hours=1)

CASES_MIGRATIONS: list[str] = [
    # 1: cases, identity keys, timelines, corrections, queued mail, digests sent
    """
    CREATE TABLE IF NOT EXISTS cases (
        id            INTEGER PRIMARY KEY,
        requester     TEXT NOT NULL,
        jurisdiction  TEXT NOT NULL DEFAULT '',
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS cases_requester ON cases(requester);
    CREATE TABLE IF NOT EXISTS case_keys (
        requester  TEXT NOT NULL,
        key        TEXT NOT NULL,           -- wdtk:..., reference:..., thread:<id>, subject:...
        case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        PRIMARY KEY (requester, key)
    );
    CREATE TABLE IF NOT EXISTS case_events (
        id           INTEGER PRIMARY KEY,
        case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        message_key  TEXT NOT NULL,
        seq          INTEGER NOT NULL DEFAULT 0,   -- several commands may come in one email
        kind         TEXT NOT NULL CHECK (kind IN ('reply','command')),
        recorded_at  TEXT NOT NULL,
        event_json   TEXT NOT NULL,
        UNIQUE (message_key, seq)
    );
    CREATE INDEX IF NOT EXISTS case_events_case ON case_events(case_id, recorded_at);
    CREATE TABLE IF NOT EXISTS corrections (
        id           INTEGER PRIMARY KEY,
        case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        command_key  TEXT NOT NULL,
        target_key   TEXT NOT NULL,         -- the reply whose reading was corrected
        field        TEXT NOT NULL CHECK (field IN ('outcome','exemptions')),
        old_value    TEXT NOT NULL DEFAULT '',
        new_value    TEXT NOT NULL DEFAULT '',
        created_at   TEXT NOT NULL,
        UNIQUE (command_key, field)
    );
    CREATE TABLE IF NOT EXISTS case_mail (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('digest','confirmation')),
        dedupe      TEXT NOT NULL UNIQUE,   -- digest:<requester hash>:<day> / confirm:<command key>
        recipient   TEXT NOT NULL,
        mail_id     TEXT NOT NULL,          -- Message-ID of the email
        rfc822      BLOB NOT NULL,
        status      TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_try    TEXT NOT NULL,
        last_error  TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        sent_at     TEXT
    );
    CREATE INDEX IF NOT EXISTS case_mail_due ON case_mail(status, next_try);
    CREATE TABLE IF NOT EXISTS digests_sent (
        requester      TEXT NOT NULL,
        day            TEXT NOT NULL,        -- the requester's local date (ISO)
        covered_until  TEXT NOT NULL,        -- replies recorded up to this instant were in it
        mail_id        INTEGER REFERENCES case_mail(id) ON DELETE SET NULL,
        empty          INTEGER NOT NULL DEFAULT 0,
        created_at     TEXT NOT NULL,
        PRIMARY KEY (requester, day)
    );
    """,
]


def ensure_schema(conn: sqlite3.Connection) -> int:
    """Create or upgrade the case tables in a State database (its `meta` table must exist)."""
    row = conn.execute("SELECT value FROM meta WHERE name = ?", (SCHEMA_KEY,)).fetchone()
    version = int(row[0]) if row else 0
    if version >= len(CASES_MIGRATIONS):
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = ?", (SCHEMA_KEY,)).fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(CASES_MIGRATIONS[version:], start=version + 1):
            for statement in (s.strip() for s in script.split(";")):
                if statement:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (SCHEMA_KEY, str(number)),
            )
            version = number
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version


# --------------------------------------------------------------------------- values


class CommandResult(BaseModel):
    """What a reply command did; `confirmation_id` is the queued email's Message-ID."""

    case_id: int | None = None
    applied: list[str] = []
    problems: list[str] = []
    forgotten: bool = False
    confirmation_id: str = ""
    duplicate: bool = False


class Correction(BaseModel):
    id: int
    case_id: int
    command_key: str
    target_key: str
    field: str
    old_value: str
    new_value: str
    created_at: str


class QueuedMail(BaseModel):
    id: int
    kind: str
    recipient: str
    mail_id: str
    rfc822: bytes
    attempts: int


@dataclass(frozen=True)
class MailIdentity:
    """Who foibot's own emails come from (settings.smtp.from_address / from_name)."""

    address: str
    name: str = "FOI bot"

    @classmethod
    def from_settings(cls, settings) -> MailIdentity:
        return cls(settings.smtp.from_address, settings.smtp.from_name)


# --------------------------------------------------------------------------- the store


class CaseStore:
    """Cases on top of a `State` (same connection; use from the worker's thread)."""

    def __init__(self, state: State, *, rulebook: Rulebook | None = None, rules: CaseRules | None = None) -> None:
        self.state = state
        self.db = state.db
        self.rulebook = rulebook or load_rulebook()
        self.rules = rules or load_case_rules()
        self.schema_version = ensure_schema(self.db)

    # ------------------------------------------------------------ replies

    def record_reply(
        self,
        message_key: str,
        parsed: ParsedMessage,
        triage: Triage,
        requester: str,
        received_at: dt.datetime | None = None,
    ) -> int:
        """Add a triaged reply to its case (a new case when no key matches). Idempotent per message key."""
        received_at = received_at or utcnow()
        requester = requester.strip().lower()
        event = reply_event(message_key, parsed, triage, received_at).model_copy(update={"recorded_at": utcnow()})
        keys = identity_keys(parsed, triage, message_key, self.rules.subject_noise)
        now = stamp(utcnow())
        with self.state.transaction() as db:
            existing = db.execute(
                "SELECT case_id FROM case_events WHERE message_key = ? AND kind = 'reply'", (message_key,)
            ).fetchone()
            if existing:
                return existing[0]
            known = {
                row[0]: row[1]
                for row in db.execute(
                    f"SELECT key, case_id FROM case_keys WHERE requester = ? AND key IN ({','.join('?' * len(keys))})",
                    (requester, *(k.text for k in keys)),
                )
            } if keys else {}
            case_id = choose_case(keys, known)
            if case_id is None:
                case_id = db.execute(
                    "INSERT INTO cases (requester, jurisdiction, created_at, updated_at) VALUES (?, ?, ?, ?)",
                    (requester, triage.jurisdiction, now, now),
                ).lastrowid
            else:
                db.execute(
                    "UPDATE cases SET updated_at = ?, jurisdiction = CASE WHEN jurisdiction = '' THEN ? ELSE jurisdiction END"
                    " WHERE id = ?",
                    (now, triage.jurisdiction, case_id),
                )
            for key in keys:
                # first come keeps a key: a weak key never moves from one case to another
                db.execute(
                    "INSERT OR IGNORE INTO case_keys (requester, key, case_id) VALUES (?, ?, ?)",
                    (requester, key.text, case_id),
                )
            db.execute(
                "INSERT INTO case_events (case_id, message_key, seq, kind, recorded_at, event_json)"
                " VALUES (?, ?, 0, 'reply', ?, ?)",
                (case_id, message_key, stamp(received_at), event.model_dump_json()),
            )
        log.info("case.reply_recorded", case=case_id, outcome=str(triage.outcome), to=address_hash(requester))
        return case_id

    # ------------------------------------------------------------ reading

    def requesters(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT DISTINCT requester FROM cases ORDER BY requester")]

    def timelines(self, requester: str | None = None) -> list[tuple[int, str, str, list[CaseEvent]]]:
        """(case id, requester, jurisdiction, events in arrival order) for every case."""
        where, params = ("WHERE c.requester = ?", (requester.strip().lower(),)) if requester else ("", ())
        rows = self.db.execute(
            "SELECT c.id, c.requester, c.jurisdiction, e.event_json FROM cases c"
            f" LEFT JOIN case_events e ON e.case_id = c.id {where} ORDER BY c.id, e.recorded_at, e.seq",
            params,
        ).fetchall()
        out: dict[int, tuple[int, str, str, list[CaseEvent]]] = {}
        for case_id, who, jurisdiction, event_json in rows:
            entry = out.setdefault(case_id, (case_id, who, jurisdiction, []))
            if event_json:
                entry[3].append(CaseEvent.model_validate_json(event_json))
        return list(out.values())

    def views(self, today: dt.date, requester: str | None = None) -> list[CaseView]:
        views = []
        for case_id, who, jurisdiction, events in self.timelines(requester):
            law = self.rulebook.law(jurisdiction if jurisdiction in self.rulebook.laws else self.rulebook.default_law)
            views.append(
                view_case(case_id, who, events, law, self.rulebook.calendar(law), self.rules, today=today)
            )
        return views

    def view(self, case_id: int, today: dt.date) -> CaseView | None:
        row = self.db.execute("SELECT requester FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            return None
        return next((v for v in self.views(today, row[0]) if v.case_id == case_id), None)

    def reply_event(self, message_key: str) -> tuple[int, CaseEvent, CaseEvent] | None:
        """(case id, the reply as triaged, the reply as corrected) for one message key."""
        row = self.db.execute(
            "SELECT case_id, event_json FROM case_events WHERE message_key = ? AND kind = 'reply'", (message_key,)
        ).fetchone()
        if row is None:
            return None
        events = [
            CaseEvent.model_validate_json(r[0])
            for r in self.db.execute(
                "SELECT event_json FROM case_events WHERE case_id = ? ORDER BY recorded_at, seq", (row[0],)
            )
        ]
        return row[0], CaseEvent.model_validate_json(row[1]), next(e for e in corrected(events) if e.key == message_key)

    def raw_message(self, message_key: str) -> bytes | None:
        """The bytes the worker kept for a reply (State's `messages` table), to re-read its letter."""
        row = self.db.execute("SELECT raw FROM messages WHERE key = ?", (message_key,)).fetchone()
        return bytes(row[0]) if row else None

    def corrections(self) -> list[Correction]:
        rows = self.db.execute("SELECT * FROM corrections ORDER BY id")
        return [Correction(**{k: row[k] for k in Correction.model_fields}) for row in rows]

    # ------------------------------------------------------------ commands

    def resolve_target(self, parsed: ParsedMessage) -> str | None:
        """The reply a command email is about: the one whose summary it answers.

        Its In-Reply-To/References name a summary Message-ID (the worker's outbox row says which
        reply that summary was about) or the reply itself; a reply to one of our confirmations
        carries the summary's Message-ID in its References chain.
        """
        candidates = message_ids(parsed.in_reply_to, " ".join(reversed(parsed.references)))
        for mid in candidates:
            row = self.db.execute("SELECT message_key FROM outbox WHERE summary_id = ?", (mid,)).fetchone()
            if row and self._has_reply(row[0]):
                return row[0]
            if self._has_reply(mid):
                return mid
        return None

    def answers_our_mail(self, parsed: ParsedMessage, recipient: str | None = None) -> bool:
        """Does this email reply to something foibot sent (a summary, a digest, a confirmation),
        to `recipient` when given?"""
        wanted = recipient.strip().lower() if recipient else None
        for mid in message_ids(parsed.in_reply_to, " ".join(parsed.references)):
            for table, column in (("outbox", "summary_id"), ("case_mail", "mail_id")):
                row = self.db.execute(f"SELECT recipient FROM {table} WHERE {column} = ?", (mid,)).fetchone()
                if row and (wanted is None or row[0].strip().lower() == wanted):
                    return True
        return False

    def is_command_email(self, parsed: ParsedMessage) -> bool:
        """The worker's test before triage: a reply to foibot's own mail whose new lines hold commands.

        Such an email is not an FOI reply: hand it to `apply_command`, not to the Triager.
        """
        return not parsed.is_forward and self.answers_our_mail(parsed) and not parse_commands(parsed.body_text).empty

    def _has_reply(self, key: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM case_events WHERE message_key = ? AND kind = 'reply'", (key,)).fetchone())

    def apply_command(
        self,
        message_key: str,
        parsed: ParsedMessage,
        requester: str,
        identity: MailIdentity,
        received_at: dt.datetime | None = None,
        commands: ParsedCommands | None = None,
    ) -> CommandResult:
        """Apply the commands of one requester email, record corrections, queue a confirmation.

        All of it happens in one transaction, once per command email (a second call returns
        `duplicate=True`). A command that cannot be tied to one of the requester's replies is
        not applied; the confirmation says why.
        """
        received_at = received_at or utcnow()
        requester = requester.strip().lower()
        commands = commands or parse_commands(parsed.body_text)
        result = CommandResult(problems=list(commands.problems))
        target = self.resolve_target(parsed)
        target_case = None
        target_event = None
        if target:
            row = self.db.execute(
                "SELECT e.case_id, e.event_json, c.requester FROM case_events e JOIN cases c ON c.id = e.case_id"
                " WHERE e.message_key = ? AND e.kind = 'reply'",
                (target,),
            ).fetchone()
            if row and row[2] == requester:
                target_case = row[0]
                target_event = CaseEvent.model_validate_json(row[1])
            elif row:
                result.problems.append("That reply belongs to someone else's case.")
        if any(c.verb == Verb.FORGET_ME for c in commands.commands):
            if not self.answers_our_mail(parsed, requester):
                # erasing is irreversible: a From header alone is too easy to forge, so the email
                # must answer one foibot sent to that address (its Message-ID is the proof)
                log.warning("case.forget_refused", to=address_hash(requester))
                return CommandResult(problems=["'forget me' must be a reply to an email foibot sent you."])
            return self._forget(message_key, parsed, requester, identity, result)
        if commands.commands and target_case is None and not result.problems:
            result.problems.append(
                "foibot could not tell which reply this is about: answer the summary foibot sent for that reply."
            )
        now = stamp(utcnow())
        with self.state.transaction() as db:
            if db.execute("SELECT 1 FROM case_mail WHERE dedupe = ?", (f"confirm:{message_key}",)).fetchone():
                return CommandResult(duplicate=True, case_id=target_case)
            if target_case is not None and target_event is not None:
                current = self._current_reading(db, target_case, target)
                for seq, command in enumerate(commands.commands, start=1):
                    event = CaseEvent(
                        kind="command",
                        key=message_key,
                        at=received_at,
                        command=command.verb.value,
                        value=_command_value(command),
                        target=target,
                    )
                    db.execute(
                        "INSERT OR IGNORE INTO case_events (case_id, message_key, seq, kind, recorded_at, event_json)"
                        " VALUES (?, ?, ?, 'command', ?, ?)",
                        (target_case, message_key, seq, stamp(received_at), event.model_dump_json()),
                    )
                    correction = _correction_fields(command, current)
                    if correction:
                        field, old, new = correction
                        db.execute(
                            "INSERT INTO corrections (case_id, command_key, target_key, field, old_value, new_value, created_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(command_key, field) DO UPDATE SET new_value = excluded.new_value",
                            (target_case, message_key, target, field, old, new, now),
                        )
                    result.applied.append(_describe(command))
                db.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (now, target_case))
                result.case_id = target_case
            if commands.commands or commands.problems:
                confirmation = self._confirmation(parsed, requester, identity, result, target_event)
                self._queue(db, "confirmation", f"confirm:{message_key}", requester, confirmation)
                result.confirmation_id = confirmation["Message-ID"]
        log.info(
            "case.command",
            case=result.case_id,
            applied=len(result.applied),
            problems=len(result.problems),
            to=address_hash(requester),
        )
        return result

    def _current_reading(self, db: sqlite3.Connection, case_id: int, target: str) -> CaseEvent:
        events = [
            CaseEvent.model_validate_json(row[0])
            for row in db.execute("SELECT event_json FROM case_events WHERE case_id = ? ORDER BY recorded_at, seq", (case_id,))
        ]
        return next(e for e in corrected(events) if e.key == target)

    def _forget(
        self, message_key: str, parsed: ParsedMessage, requester: str, identity: MailIdentity, result: CommandResult
    ) -> CommandResult:
        """Erase the requester's cases, timelines, corrections, digests and sent mail; confirm once."""
        with self.state.transaction() as db:
            if db.execute("SELECT 1 FROM case_mail WHERE dedupe = ?", (f"confirm:{message_key}",)).fetchone():
                return CommandResult(duplicate=True, forgotten=True)
            db.execute("DELETE FROM cases WHERE requester = ?", (requester,))  # cascades keys, events, corrections
            db.execute("DELETE FROM case_keys WHERE requester = ?", (requester,))
            db.execute("DELETE FROM digests_sent WHERE requester = ?", (requester,))
            db.execute("DELETE FROM case_mail WHERE recipient = ? AND status != 'queued'", (requester,))
            result = CommandResult(forgotten=True, applied=["forget me"], problems=[])
            confirmation = self._confirmation(parsed, requester, identity, result, None)
            self._queue(db, "confirmation", f"confirm:{message_key}", requester, confirmation)
            result.confirmation_id = confirmation["Message-ID"]
        log.info("case.forgotten", to=address_hash(requester))
        return result

    def _confirmation(
        self,
        parsed: ParsedMessage,
        requester: str,
        identity: MailIdentity,
        result: CommandResult,
        target: CaseEvent | None,
    ) -> EmailMessage:
        lines: list[str] = []
        if result.forgotten:
            lines.append(
                "foibot has deleted your cases, their timelines, your corrections and your digests. "
                "It will not send you digests any more unless you forward new replies."
            )
        elif result.applied:
            about = f" about {target.authority or 'the reply'}{f' ({target.reference})' if target and target.reference else ''}"
            lines.append(f"foibot recorded your corrections{about if target else ''}:")
            lines.extend(f"- {line}" for line in result.applied)
            lines.append("")
            lines.append("Thank you: corrections also teach foibot to read such letters better.")
        if result.problems:
            lines.append("")
            lines.append("foibot did not understand everything:")
            lines.extend(f"- {problem}" for problem in result.problems)
        text = "\n".join(lines).strip() + "\n"
        html = "".join(f"<p>{_escape(line)}</p>" if line else "" for line in lines)
        message = compose_summary(
            outcome="command",
            original_subject=parsed.subject,
            text=text,
            html=f"<!DOCTYPE html><html><body>{html}</body></html>",
            from_address=identity.address,
            from_name=identity.name,
            recipient=requester,
            in_reply_to=parsed.message_id,
            references=tuple(parsed.references),
        )
        del message["Subject"]
        message["Subject"] = single_line(
            "foibot: " + ("your data was deleted" if result.forgotten else "correction recorded" if result.applied else "command not understood")
        )
        return message

    # ------------------------------------------------------------ mail queue

    def _queue(self, db: sqlite3.Connection, kind: str, dedupe: str, recipient: str, message: EmailMessage) -> int | None:
        now = stamp(utcnow())
        cursor = db.execute(
            "INSERT OR IGNORE INTO case_mail (kind, dedupe, recipient, mail_id, rfc822, next_try, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, dedupe, recipient, message["Message-ID"], message.as_bytes(), now, now),
        )
        return cursor.lastrowid if cursor.rowcount else None

    def due_mail(self, now: dt.datetime | None = None) -> list[QueuedMail]:
        rows = self.db.execute(
            "SELECT * FROM case_mail WHERE status = 'queued' AND next_try <= ? ORDER BY next_try, id",
            (stamp(now or utcnow()),),
        )
        return [QueuedMail(**{k: row[k] for k in QueuedMail.model_fields}) for row in rows]

    def flush_mail(self, transport: Transport, sender: str, now: dt.datetime | None = None) -> int:
        """Deliver queued digests and confirmations; a transient failure waits with a growing delay."""
        sent = 0
        for mail in self.due_mail(now):
            try:
                transport.send(mail.rfc822, sender, mail.recipient, mail.mail_id)
            except SendError as exc:
                with self.state.transaction() as db:
                    if exc.permanent:
                        db.execute(
                            "UPDATE case_mail SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                            (str(exc), mail.id),
                        )
                        continue
                    delay = min(dt.timedelta(seconds=60 * 2**mail.attempts), MAX_SEND_BACKOFF)
                    db.execute(
                        "UPDATE case_mail SET attempts = attempts + 1, last_error = ?, next_try = ? WHERE id = ?",
                        (str(exc), stamp(utcnow() + delay), mail.id),
                    )
                log.warning("case_mail.deferred", kind=mail.kind, error=str(exc), to=address_hash(mail.recipient))
                break
            with self.state.transaction() as db:
                db.execute(
                    "UPDATE case_mail SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = ''"
                    " WHERE id = ? AND status = 'queued'",
                    (stamp(utcnow()), mail.id),
                )
            log.info("case_mail.sent", kind=mail.kind, to=address_hash(mail.recipient))
            sent += 1
        return sent

    # ------------------------------------------------------------ digests

    def first_case_at(self, requester: str) -> dt.datetime | None:
        row = self.db.execute("SELECT MIN(created_at) FROM cases WHERE requester = ?", (requester,)).fetchone()
        return unstamp(row[0]) if row and row[0] else None

    def last_digest(self, requester: str) -> tuple[str, dt.datetime] | None:
        """(local day, covered_until) of the latest digest decision for this requester."""
        row = self.db.execute(
            "SELECT day, covered_until FROM digests_sent WHERE requester = ? ORDER BY day DESC LIMIT 1",
            (requester.strip().lower(),),
        ).fetchone()
        return (row[0], unstamp(row[1])) if row else None

    def digest_done(self, requester: str, day: dt.date) -> bool:
        return bool(
            self.db.execute(
                "SELECT 1 FROM digests_sent WHERE requester = ? AND day = ?", (requester.strip().lower(), day.isoformat())
            ).fetchone()
        )

    def build_digest(self, requester: str, now: dt.datetime, zone: ZoneInfo) -> Digest:
        """Today's digest content (local date in `zone`), covering replies since the previous digest."""
        requester = requester.strip().lower()
        today = now.astimezone(zone).date()
        previous = self.last_digest(requester)
        return build_digest(
            requester,
            self.views(today, requester),
            day=today,
            since=previous[1] if previous else None,
            until=now,
            outcome_words=self.rulebook.advice["outcome_short"],
        )

    def commit_digest(
        self, digest: Digest, message: EmailMessage | None, *, manual: bool = False
    ) -> bool:
        """Record today's digest and queue its email in one transaction. False if today's was already done.

        `message` None records a day with nothing to say (nothing is sent, and the day is done).
        A manual digest (`foibot digest --now`) is queued but does not use up the scheduled one.
        """
        now = stamp(utcnow())
        day = digest.day.isoformat()
        dedupe = f"digest:{address_hash(digest.requester)}:{day}" + (f":manual:{now}" if manual else "")
        with self.state.transaction() as db:
            if not manual:
                inserted = db.execute(
                    "INSERT OR IGNORE INTO digests_sent (requester, day, covered_until, empty, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (digest.requester, day, stamp(digest.until), 0 if message is not None else 1, now),
                ).rowcount
                if not inserted:
                    return False
            if message is not None:
                mail_id = self._queue(db, "digest", dedupe, digest.requester, message)
                if not manual:
                    db.execute(
                        "UPDATE digests_sent SET mail_id = ? WHERE requester = ? AND day = ?",
                        (mail_id, digest.requester, day),
                    )
        return True


# --------------------------------------------------------------------------- scheduling


class DigestScheduler:
    """Says which requesters are due a digest: their local digest time has passed today and
    today's digest is not recorded yet. After missed days (the worker was down) one digest
    goes out, covering everything since the previous one."""

    def __init__(self, store: CaseStore, time: str = "07:30", timezone: str = "Europe/London") -> None:
        self.store = store
        hours, minutes = (int(part) for part in time.split(":", 1))
        self.at = dt.time(hours, minutes)
        self.zone = ZoneInfo(timezone)

    @classmethod
    def from_settings(cls, store: CaseStore, settings) -> DigestScheduler:
        return cls(store, settings.digest.time, settings.digest.timezone)

    def local_day(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def due(self, now: dt.datetime | None = None) -> list[str]:
        now = now or utcnow()
        local = now.astimezone(self.zone)
        if local.time() < self.at:
            return []
        today_at = dt.datetime.combine(local.date(), self.at, tzinfo=self.zone).astimezone(dt.UTC)
        # a requester whose first case came after today's digest time had the summary just now:
        # their first digest is tomorrow's, not a second email within the minute
        return [
            r
            for r in self.store.requesters()
            if not self.store.digest_done(r, local.date()) and (self.store.first_case_at(r) or now) < today_at
        ]

    def next_run(self, now: dt.datetime | None = None) -> dt.datetime:
        """When the next digest falls due (for the worker's wait)."""
        now = now or utcnow()
        local = now.astimezone(self.zone)
        today_at = dt.datetime.combine(local.date(), self.at, tzinfo=self.zone)
        moment = today_at if local < today_at else dt.datetime.combine(
            local.date() + dt.timedelta(days=1), self.at, tzinfo=self.zone
        )
        return moment.astimezone(dt.UTC)


class DigestOutcome(BaseModel):
    requester_hash: str
    day: dt.date
    sent: bool  # an email was queued (and flushed when a transport was given)
    empty: bool
    headline: str


def compose_digest(digest: Digest, identity: MailIdentity) -> EmailMessage:
    """The digest email: the worker's summary composer, with a digest subject, an RFC 3834
    `auto-generated` marker (it is periodic, not a reply) and the deadlines as `.ics`."""
    message = compose_summary(
        outcome="digest",
        original_subject="",
        text=render_text(digest),
        html=render_html(digest),
        from_address=identity.address,
        from_name=identity.name,
        recipient=digest.requester,
    )
    del message["Subject"]
    message["Subject"] = single_line(subject_line(digest))
    message.replace_header("Auto-Submitted", "auto-generated")
    if digest.calendar:
        message.add_attachment(
            deadlines_calendar(digest),
            maintype="text",
            subtype="calendar",
            filename="foi-deadlines.ics",
            params={"method": "PUBLISH"},
        )
    return message


def send_due_digests(
    store: CaseStore,
    scheduler: DigestScheduler,
    identity: MailIdentity,
    transport: Transport | None = None,
    *,
    now: dt.datetime | None = None,
    send_when_empty: bool = False,
) -> list[DigestOutcome]:
    """Build, record and queue each due digest (once per requester per local day), then deliver.

    With `transport` None the digests stay queued for the next `flush_mail`.
    """
    now = now or utcnow()
    outcomes = []
    for requester in scheduler.due(now):
        digest = store.build_digest(requester, now, scheduler.zone)
        empty = digest.is_empty
        message = compose_digest(digest, identity) if (not empty or send_when_empty) else None
        if store.commit_digest(digest, message):
            outcomes.append(
                DigestOutcome(
                    requester_hash=address_hash(requester),
                    day=digest.day,
                    sent=message is not None,
                    empty=empty,
                    headline=digest.headline,
                )
            )
            log.info("digest.recorded", to=address_hash(requester), empty=empty, queued=message is not None)
    if transport is not None:
        store.flush_mail(transport, identity.address, now)
    return outcomes


# --------------------------------------------------------------------------- helpers


def _command_value(command: Command) -> str:
    if command.verb == Verb.STATUS and command.outcome:
        return command.outcome.value
    if command.verb == Verb.EXEMPTIONS:
        return ",".join(command.exemptions)
    return ""


def _correction_fields(command: Command, current: CaseEvent) -> tuple[str, str, str] | None:
    if command.verb == Verb.STATUS and command.outcome:
        return "outcome", str(current.outcome or ""), command.outcome.value
    if command.verb == Verb.EXEMPTIONS:
        return "exemptions", ",".join(current.exemptions), ",".join(command.exemptions)
    return None


def _describe(command: Command) -> str:
    if command.verb == Verb.STATUS and command.outcome:
        return f"the reply is {command.outcome.value.replace('_', ' ')}"
    if command.verb == Verb.EXEMPTIONS:
        return "exemptions cited: " + (", ".join(command.exemptions) or "none")
    return {
        Verb.IGNORE: "the case is ignored: it leaves your digests",
        Verb.CLOSED: "the case is closed",
        Verb.REOPEN: "the case is open again",
        Verb.REVIEW_REQUESTED: "you asked for an internal review: foibot now tracks the review deadline",
    }.get(command.verb, command.verb.value)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
