"""Keeping a foibot database tidy for years: reprocess, retention, erasure, backup and restore.

- **Reprocess**: the raw bytes of every message are kept (until retention deletes them) so a
  reply can be read again when the rules improve. Deadlines are recomputed as of the day the
  reply arrived, so only the reading changes, not the clock.
- **Retention**: after `[retention] raw_days` the raw email is deleted, after `text_days` the
  letter text kept with its triage (evidence quotes, entities, the summary email). The message
  row, its outcome, exemptions and deadlines stay, and so do cases: dedupe and digests still
  work. Nothing still being processed is touched.
- **Erasure** (`forget me`): `CaseStore` deletes the requester's cases; `erase_requester`
  deletes what the worker kept: raw emails, triage JSON and summaries sent to that address.
- **Backup/restore** use SQLite's online backup API, which copies a consistent snapshot while
  the worker keeps writing (WAL), and a restore checks the file before it replaces anything.
- A running worker holds an exclusive `flock` on `<state>.lock`; `restore` refuses to replace
  its database unless forced.

Every function takes an open `State` (or paths) and returns a pydantic report; the CLI prints it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel

from bot.errors import UserError
from bot.service.state import MIGRATIONS, TERMINAL_STATUSES, State, address_hash, stamp, unstamp, utcnow

log = structlog.get_logger("foibot.maintenance")

RETENTION_META = "retention.last_run"
RETENTION_EVERY = dt.timedelta(hours=24)

#: what stays of a triage once its letter text is deleted: the reading, not the words
KEPT_TRIAGE_FIELDS = (
    "outcome",
    "labels",
    "confidence",
    "needs_review",
    "jurisdiction",
    "refusal_grounds",
    "ncnd",
    "review_result",
    "authority",
    "reference",
    "dates",
    "deadlines",
)
KEPT_EXEMPTION_FIELDS = ("citation", "name", "kind")
KEPT_STEP_FIELDS = ("action", "by")


# --------------------------------------------------------------------------- retention


class PurgeReport(BaseModel):
    raw_deleted: int = 0
    text_deleted: int = 0
    summaries_deleted: int = 0
    dry_run: bool = False


def strip_letter_text(triage_json: str | None) -> str | None:
    """The triage JSON without the letter's words (evidence, entities, summary, drafts, requester)."""
    if not triage_json:
        return triage_json
    try:
        data = json.loads(triage_json)
    except json.JSONDecodeError:
        return None
    kept: dict[str, Any] = {name: data[name] for name in KEPT_TRIAGE_FIELDS if name in data}
    kept["exemptions"] = [
        {k: e.get(k) for k in KEPT_EXEMPTION_FIELDS} for e in data.get("exemptions", []) if isinstance(e, dict)
    ]
    kept["next_steps"] = [
        {k: s.get(k) for k in KEPT_STEP_FIELDS} for s in data.get("next_steps", []) if isinstance(s, dict)
    ]
    kept["text_deleted"] = True
    return json.dumps(kept, ensure_ascii=False)


def purge(
    state: State,
    *,
    raw_before: dt.datetime | None = None,
    text_before: dt.datetime | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete raw emails received before `raw_before` and letter text before `text_before`.

    Only finished messages (triaged, answered, skipped, quarantined) are touched; a queued
    summary is kept until it is sent.
    """
    report = PurgeReport(dry_run=dry_run)
    now = stamp(utcnow())
    finished = tuple(sorted(TERMINAL_STATUSES))
    marks = ",".join("?" * len(finished))
    with state.transaction() as db:
        if raw_before is not None:
            where = f"received_at < ? AND raw_purged_at IS NULL AND status IN ({marks})"
            params = (stamp(raw_before), *finished)
            report.raw_deleted = db.execute(f"SELECT COUNT(*) FROM messages WHERE {where}", params).fetchone()[0]
            if not dry_run:
                db.execute(f"UPDATE messages SET raw = x'', raw_purged_at = ? WHERE {where}", (now, *params))
        if text_before is not None:
            where = f"received_at < ? AND text_purged_at IS NULL AND status IN ({marks})"
            params = (stamp(text_before), *finished)
            rows = db.execute(f"SELECT key, triage_json FROM messages WHERE {where}", params).fetchall()
            report.text_deleted = len(rows)
            summaries = (
                "SELECT COUNT(*) FROM outbox o JOIN messages m ON m.key = o.message_key"
                f" WHERE o.status != 'queued' AND length(o.rfc822) > 0 AND m.received_at < ? AND m.status IN ({marks})"
            )
            report.summaries_deleted = db.execute(summaries, params).fetchone()[0]
            if not dry_run:
                for key, triage_json in rows:
                    db.execute(
                        "UPDATE messages SET triage_json = ?, text_purged_at = ? WHERE key = ?",
                        (strip_letter_text(triage_json), now, key),
                    )
                db.execute(
                    "UPDATE outbox SET rfc822 = x'' WHERE status != 'queued' AND message_key IN"
                    f" (SELECT key FROM messages WHERE received_at < ? AND status IN ({marks}))",
                    params,
                )
    if not dry_run and (report.raw_deleted or report.text_deleted):
        log.info("maintenance.purged", raw=report.raw_deleted, text=report.text_deleted, summaries=report.summaries_deleted)
    return report


def retention_cutoffs(raw_days: int, text_days: int, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The instants before which raw emails and letter text go (None: kept for ever)."""
    return (
        now - dt.timedelta(days=raw_days) if raw_days else None,
        now - dt.timedelta(days=text_days) if text_days else None,
    )


def apply_retention(state: State, raw_days: int, text_days: int, now: dt.datetime | None = None) -> PurgeReport | None:
    """The worker's daily retention pass; None when nothing is configured or it ran in the last day."""
    if not (raw_days or text_days):
        return None
    now = now or utcnow()
    last = state.get_meta(RETENTION_META)
    if last and now - unstamp(last) < RETENTION_EVERY:
        return None
    raw_before, text_before = retention_cutoffs(raw_days, text_days, now)
    report = purge(state, raw_before=raw_before, text_before=text_before)
    state.set_meta(RETENTION_META, stamp(now))
    return report


# --------------------------------------------------------------------------- erasure


class ErasureReport(BaseModel):
    messages: int = 0
    summaries: int = 0


def requester_message_keys(db: sqlite3.Connection, requester: str) -> set[str]:
    """Every message the worker answered to this address, and the replies in their cases."""
    requester = requester.strip().lower()
    keys = {row[0] for row in db.execute("SELECT message_key FROM outbox WHERE lower(recipient) = ?", (requester,))}
    if _has_table(db, "case_events"):
        keys |= {
            row[0]
            for row in db.execute(
                "SELECT e.message_key FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.requester = ?",
                (requester,),
            )
        }
    return keys


def erase_requester(state: State, requester: str, extra_keys: Iterable[str] = ()) -> ErasureReport:
    """Delete the raw emails, triage JSON and summaries kept for a requester who said `forget me`.

    The message rows themselves stay, emptied, so the same email delivered again is still
    recognised as seen and never answered (or stored) a second time. Call it after
    `CaseStore.apply_command` reports `forgotten` (that check needs the summaries to prove the
    command answers foibot's own mail); `extra_keys` adds the command email itself.
    """
    requester = requester.strip().lower()
    now = stamp(utcnow())
    with state.transaction() as db:
        keys = sorted(requester_message_keys(db, requester) | set(extra_keys))
        messages = 0
        for key in keys:
            messages += db.execute(
                "UPDATE messages SET raw = x'', triage_json = NULL, mailbox_id = '',"
                " raw_purged_at = COALESCE(raw_purged_at, ?), text_purged_at = COALESCE(text_purged_at, ?)"
                " WHERE key = ?",
                (now, now, key),
            ).rowcount
            db.execute("DELETE FROM reprocess_log WHERE message_key = ?", (key,))
        summaries = db.execute("DELETE FROM outbox WHERE lower(recipient) = ?", (requester,)).rowcount
        db.execute("DELETE FROM send_log WHERE recipient_hash = ?", (address_hash(requester),))
    log.info("maintenance.erased", to=address_hash(requester), messages=messages, summaries=summaries)
    return ErasureReport(messages=messages, summaries=summaries)


# --------------------------------------------------------------------------- reprocess


class ReprocessChange(BaseModel):
    """One re-read message: what it said before and what the current rules say."""

    key: str
    received_at: str
    old_outcome: str
    new_outcome: str
    old_exemptions: list[str]
    new_exemptions: list[str]
    changed: bool
    resent: bool = False
    error: str = ""


class ReprocessReport(BaseModel):
    examined: int = 0
    changed: int = 0
    resent: int = 0
    skipped_no_raw: int = 0
    failed: int = 0
    dry_run: bool = False
    changes: list[ReprocessChange] = []


def reprocess_candidates(
    db: sqlite3.Connection, *, since: dt.date | None = None, case_id: int | None = None
) -> list[sqlite3.Row]:
    """Triaged or answered messages in arrival order, optionally since a day or of one case."""
    where = ["status IN ('triaged', 'answered')"]
    params: list[Any] = []
    if since is not None:
        where.append("received_at >= ?")
        params.append(stamp(dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)))
    if case_id is not None:
        if not _has_table(db, "case_events"):
            return []
        where.append("key IN (SELECT message_key FROM case_events WHERE case_id = ? AND kind = 'reply')")
        params.append(case_id)
    return db.execute(
        "SELECT key, raw, received_at, triage_json, outcome, raw_purged_at, text_purged_at FROM messages"
        f" WHERE {' AND '.join(where)} ORDER BY received_at, key",
        params,
    ).fetchall()


def reprocess(
    state: State,
    settings,
    triager,
    parse_message: Callable,
    *,
    since: dt.date | None = None,
    case_id: int | None = None,
    dry_run: bool = False,
    resend: bool = False,
) -> ReprocessReport:
    """Re-triage stored raw emails with `triager`; store the new readings unless `dry_run`.

    With `resend`, a changed reading's summary is composed again and queued in place of the
    old one (the worker sends it; the old summary's Message-ID is kept in `reprocess_log`).
    """
    from bot.cases import reply_event
    from bot.service.filters import decide
    from bot.service.worker import compose_reply_summary, filter_policy

    report = ReprocessReport(dry_run=dry_run)
    policy = filter_policy(settings)
    for row in reprocess_candidates(state.db, since=since, case_id=case_id):
        key, raw = row["key"], bytes(row["raw"] or b"")
        if row["raw_purged_at"] or not raw:
            report.skipped_no_raw += 1
            continue
        report.examined += 1
        received_at = unstamp(row["received_at"])
        old_outcome, old_exemptions = row["outcome"], _citations(row["triage_json"])
        try:
            parsed = parse_message(raw, settings.limits)
            triage = triager.triage_message(parsed, today=received_at.date())
        except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop the others
            report.failed += 1
            report.changes.append(
                ReprocessChange(
                    key=key, received_at=row["received_at"], old_outcome=old_outcome, new_outcome=old_outcome,
                    old_exemptions=old_exemptions, new_exemptions=old_exemptions, changed=False,
                    error=f"{exc.__class__.__name__}: {exc}"[:200],
                )
            )
            continue
        new_exemptions = [e.citation for e in triage.exemptions]
        change = ReprocessChange(
            key=key,
            received_at=row["received_at"],
            old_outcome=old_outcome,
            new_outcome=str(triage.outcome),
            old_exemptions=old_exemptions,
            new_exemptions=new_exemptions,
            changed=(old_outcome != str(triage.outcome) or sorted(old_exemptions) != sorted(new_exemptions)),
        )
        if change.changed:
            report.changed += 1
            report.changes.append(change)
        if dry_run:
            continue
        triage_json = json.dumps(triage.to_contract(), ensure_ascii=False, default=str)
        if row["text_purged_at"]:
            triage_json = strip_letter_text(triage_json)
        summary, recipient = None, ""
        if resend and change.changed:
            decision = decide(parsed, policy)
            if decision.answer:
                summary = compose_reply_summary(settings, triager, parsed, triage, decision)
                recipient = decision.recipient
        now = stamp(utcnow())
        with state.transaction() as db:
            db.execute(
                "UPDATE messages SET triage_json = ?, outcome = ?, reprocessed_at = ?, updated_at = ? WHERE key = ?",
                (triage_json, str(triage.outcome), now, now, key),
            )
            previous_summary = ""
            if summary is not None:
                old = db.execute("SELECT summary_id FROM outbox WHERE message_key = ?", (key,)).fetchone()
                previous_summary = old[0] if old else ""
                db.execute(
                    "INSERT INTO outbox (message_key, recipient, summary_id, rfc822, next_try, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(message_key) DO UPDATE SET"
                    " recipient = excluded.recipient, summary_id = excluded.summary_id, rfc822 = excluded.rfc822,"
                    " status = 'queued', attempts = 0, next_try = excluded.next_try, last_error = '', sent_at = NULL",
                    (key, recipient, summary["Message-ID"], summary.as_bytes(), now, now),
                )
                change.resent = True
                report.resent += 1
            if change.changed:
                db.execute(
                    "INSERT INTO reprocess_log (message_key, at, old_outcome, new_outcome, old_exemptions,"
                    " new_exemptions, previous_summary_id, resent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key, now, old_outcome, change.new_outcome, ",".join(old_exemptions),
                        ",".join(new_exemptions), previous_summary, int(change.resent),
                    ),
                )
            if _has_table(db, "case_events"):
                _update_case_event(db, key, reply_event(key, parsed, triage, received_at))
    if not dry_run:
        log.info("maintenance.reprocessed", examined=report.examined, changed=report.changed, resent=report.resent)
    return report


def _update_case_event(db: sqlite3.Connection, key: str, event) -> None:
    """Replace a reply's timeline entry with the new reading, keeping when it arrived and was filed."""
    row = db.execute("SELECT event_json FROM case_events WHERE message_key = ? AND kind = 'reply'", (key,)).fetchone()
    if row is None:
        return
    old = json.loads(row[0])
    new = json.loads(event.model_dump_json())
    for kept in ("at", "recorded_at"):
        if old.get(kept):
            new[kept] = old[kept]
    db.execute(
        "UPDATE case_events SET event_json = ? WHERE message_key = ? AND kind = 'reply'", (json.dumps(new), key)
    )


def _citations(triage_json: str | None) -> list[str]:
    if not triage_json:
        return []
    try:
        return [e.get("citation", "") for e in json.loads(triage_json).get("exemptions", []) if isinstance(e, dict)]
    except (json.JSONDecodeError, AttributeError):
        return []


# --------------------------------------------------------------------------- worker lock


class WorkerLock:
    """An exclusive `flock` on `<state>.lock` while a worker runs (released by the kernel if it dies)."""

    def __init__(self, state_path: Path | str) -> None:
        self.path = Path(str(state_path) + ".lock")
        self._fd: int | None = None

    def acquire(self, *, note_pid: bool = True) -> bool:
        """True when this process now holds the lock; False when another process does."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            # no room for the lock file (a full disk): run unlocked rather than not at all;
            # the state database's own locking still keeps writes consistent
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        if note_pid:  # for people: which process is the worker; optional (a full disk must not stop the worker)
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError:
                pass
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def worker_running(state_path: Path | str) -> bool:
    """Does a live process hold the worker lock of this database?"""
    lock = WorkerLock(state_path)
    if not lock.path.exists():
        return False
    if lock.acquire(note_pid=False):
        lock.release()
        return False
    return True


# --------------------------------------------------------------------------- backup / restore


class DatabaseInfo(BaseModel):
    path: str
    schema_version: int
    cases_schema: int
    messages: int
    cases: int
    bytes: int


def inspect_database(path: Path | str) -> DatabaseInfo:
    """Check that a file is a sound foibot state database; UserError says what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UserError(f"{path} cannot be opened: {exc}") from None
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise UserError(f"{path} is damaged: {integrity}")
        if not _has_table(db, "messages") or not _has_table(db, "meta"):
            raise UserError(f"{path} is not a foibot state database (no messages/meta tables)")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        cases_schema = db.execute("SELECT value FROM meta WHERE name = 'cases_schema'").fetchone()
        cases = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] if _has_table(db, "cases") else 0
        return DatabaseInfo(
            path=str(path),
            schema_version=version,
            cases_schema=int(cases_schema[0]) if cases_schema else 0,
            messages=db.execute("SELECT COUNT(*) FROM messages").fetchone()[0],
            cases=cases,
            bytes=path.stat().st_size,
        )
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path} is not a readable SQLite database: {exc}") from None
    finally:
        db.close()


def backup_database(state_path: Path | str, target: Path | str) -> DatabaseInfo:
    """Copy the live database to `target` with SQLite's online backup API.

    The copy is one consistent snapshot even while the worker writes (a single backup step
    reads under one read transaction in WAL mode). It is written next to the target and
    renamed into place, so an interrupted backup never leaves a half file under that name.
    """
    state_path, target = Path(state_path), Path(target)
    if not state_path.is_file():
        raise UserError(f"no foibot state at {state_path}: check --data-dir or --config")
    if _same_file(state_path, target):
        raise UserError(f"{target} is the state database itself: back it up to another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(state_path, timeout=30)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"backup of {state_path} failed: {exc}") from None
    finally:
        source.close()
    os.chmod(partial, 0o600)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    info = inspect_database(target)
    log.info("maintenance.backup", messages=info.messages, cases=info.cases, bytes=info.bytes)
    return info


def restore_database(backup: Path | str, state_path: Path | str, *, force: bool = False) -> DatabaseInfo:
    """Replace the state database with a checked backup, keeping the replaced one beside it.

    Refuses while a worker holds the database, unless `force`. The restored database is
    upgraded to the current schema at once.
    """
    backup, state_path = Path(backup), Path(state_path)
    if _same_file(backup, state_path):
        raise UserError(f"{backup} is the state database itself: name a backup file")
    info = inspect_database(backup)
    if info.schema_version > len(MIGRATIONS):
        raise UserError(
            f"{backup} has schema {info.schema_version}, newer than this foibot ({len(MIGRATIONS)}): upgrade foibot first"
        )
    if worker_running(state_path) and not force:
        raise UserError(
            f"a foibot worker is running on {state_path}: stop it first (systemctl stop foibot) or pass --force"
        )
    state_path.parent.mkdir(parents=True, exist_ok=True)
    if state_path.exists():
        kept = state_path.with_name(f"{state_path.name}.before-restore-{utcnow():%Y%m%dT%H%M%SZ}")
        backup_database(state_path, kept)
        log.info("maintenance.restore_kept_previous", path=str(kept))
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(state_path, timeout=30)
        try:
            target.execute("PRAGMA busy_timeout=30000")
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise UserError(f"restore into {state_path} failed: {exc}") from None
    finally:
        source.close()
    State(state_path).close()  # upgrade to the current schema now, not at the worker's next start
    restored = inspect_database(state_path)
    log.info("maintenance.restored", messages=restored.messages, cases=restored.cases)
    return restored


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?", (name,)).fetchone())
