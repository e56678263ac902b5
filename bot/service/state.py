"""The worker's memory: SQLite in WAL mode, one transaction per step.

Processing order is record -> triage -> enqueue summary -> send -> mark sent, and each
arrow is one transaction, so a crash at any instant leaves a state the next start resumes:

- a message is recorded with its raw bytes before anything else happens (nothing lost,
  and it can be re-triaged later when the rules improve);
- the outbox row is inserted in the same transaction that marks the message triaged, and
  the outbox has one row per message at most (UNIQUE), so a summary is composed once;
- a restart sends only rows still `queued`.

The schema is versioned with `PRAGMA user_version`; add a migration to `MIGRATIONS`,
never edit a released one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

MESSAGE_STATUSES = ("seen", "triaged", "answered", "skipped", "quarantined")
TERMINAL_STATUSES = frozenset({"triaged", "answered", "skipped", "quarantined"})

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE messages (
        key          TEXT PRIMARY KEY,      -- Message-ID, or sha256:<hex> of the raw bytes
        message_id   TEXT NOT NULL DEFAULT '',
        mailbox_id   TEXT NOT NULL DEFAULT '',
        raw          BLOB NOT NULL,
        received_at  TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'seen'
                     CHECK (status IN ('seen','triaged','answered','skipped','quarantined')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT NOT NULL DEFAULT '',
        reason       TEXT NOT NULL DEFAULT '',  -- why skipped or quarantined
        triage_json  TEXT,
        outcome      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX messages_status ON messages(status);
    CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY,
        message_key   TEXT NOT NULL UNIQUE REFERENCES messages(key),
        recipient     TEXT NOT NULL,
        summary_id    TEXT NOT NULL,          -- Message-ID of the summary email
        rfc822        BLOB NOT NULL,
        status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_try      TEXT NOT NULL,
        last_error    TEXT NOT NULL DEFAULT '',
        created_at    TEXT NOT NULL,
        sent_at       TEXT
    );
    CREATE INDEX outbox_due ON outbox(status, next_try);
    CREATE TABLE send_log (
        id              INTEGER PRIMARY KEY,
        recipient_hash  TEXT NOT NULL,
        sent_at         TEXT NOT NULL
    );
    CREATE INDEX send_log_recipient ON send_log(recipient_hash, sent_at);
    CREATE TABLE meta (
        name   TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    CREATE VIEW quarantine AS
        SELECT key, message_id, mailbox_id, received_at, updated_at, attempts, reason, last_error
        FROM messages WHERE status = 'quarantined';
    """,
    # 2: retention, erasure and reprocessing (bot/service/maintenance.py)
    """
    ALTER TABLE messages ADD COLUMN raw_purged_at TEXT;   -- raw bytes deleted (retention or erasure)
    ALTER TABLE messages ADD COLUMN text_purged_at TEXT;  -- letter text in triage_json and summary deleted
    ALTER TABLE messages ADD COLUMN reprocessed_at TEXT;  -- last re-triage with newer rules
    CREATE INDEX messages_received ON messages(received_at);
    CREATE TABLE reprocess_log (
        id                   INTEGER PRIMARY KEY,
        message_key          TEXT NOT NULL,
        at                   TEXT NOT NULL,
        old_outcome          TEXT NOT NULL DEFAULT '',
        new_outcome          TEXT NOT NULL DEFAULT '',
        old_exemptions       TEXT NOT NULL DEFAULT '',   -- comma-separated citations
        new_exemptions       TEXT NOT NULL DEFAULT '',
        previous_summary_id  TEXT NOT NULL DEFAULT '',   -- the summary a --resend replaced
        resent               INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX reprocess_log_message ON reprocess_log(message_key);
    """,
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """One sortable text form for every time in the database."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def address_hash(address: str) -> str:
    """A stable pseudonym for an address, for rate limits and info-level logs."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


class MessageRow(BaseModel):
    key: str
    message_id: str
    mailbox_id: str
    raw: bytes
    received_at: str
    status: str
    attempts: int
    last_error: str
    reason: str
    outcome: str
    triage_json: str | None = None


class OutboxRow(BaseModel):
    id: int
    message_key: str
    recipient: str
    summary_id: str
    rfc822: bytes
    status: str
    attempts: int
    next_try: str


class QuarantinedItem(BaseModel):
    key: str
    message_id: str
    mailbox_id: str
    received_at: str
    attempts: int
    reason: str
    last_error: str


class State:
    """One connection to the state database.

    Use it from one thread at a time (the worker); it may be created in another thread
    (tests, the CLI). Other readers, like `foibot status`, open their own connection:
    WAL lets them read while the worker writes.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.migrate()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable write. Inside another transaction it is part of that one (a savepoint:
        on an error only its own writes are undone), so callers can join steps into one commit."""
        if self.db.in_transaction:
            self.db.execute("SAVEPOINT nested")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK TO nested")
                self.db.execute("RELEASE nested")
                raise
            self.db.execute("RELEASE nested")
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # ------------------------------------------------------------ messages

    def record(
        self, key: str, raw: bytes, *, message_id: str = "", mailbox_id: str = "", quarantine_reason: str = ""
    ) -> tuple[bool, str]:
        """Remember a message (idempotent). Returns (newly recorded?, its status).

        With `quarantine_reason` the message goes straight to quarantine in the same
        transaction (an oversized message whose `raw` is only its header must never be
        triaged, not even after a crash).
        """
        now = stamp(utcnow())
        status = "quarantined" if quarantine_reason else "seen"
        with self.transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO messages (key, message_id, mailbox_id, raw, received_at, updated_at, status, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, message_id, mailbox_id, raw, now, now, status, quarantine_reason),
            ).rowcount
            if not inserted:
                db.execute(
                    "UPDATE messages SET mailbox_id = ? WHERE key = ? AND ? != ''", (mailbox_id, key, mailbox_id)
                )
            status = db.execute("SELECT status FROM messages WHERE key = ?", (key,)).fetchone()[0]
        return bool(inserted), status

    def message(self, key: str) -> MessageRow | None:
        row = self.db.execute("SELECT * FROM messages WHERE key = ?", (key,)).fetchone()
        return MessageRow(**{k: row[k] for k in MessageRow.model_fields}) if row else None

    def pending_keys(self) -> list[str]:
        """Messages recorded but not yet triaged, skipped or quarantined (oldest first)."""
        rows = self.db.execute("SELECT key FROM messages WHERE status = 'seen' ORDER BY received_at, key")
        return [row[0] for row in rows]

    def mark_skipped(self, key: str, reason: str) -> None:
        self._set_status(key, "skipped", reason=reason)

    def quarantine(self, key: str, reason: str, error: str = "") -> None:
        self._set_status(key, "quarantined", reason=reason, error=error)

    def record_failure(self, key: str, error: str, max_attempts: int) -> str:
        """Count one failed try; at `max_attempts` the message goes to quarantine. Returns the status."""
        with self.transaction() as db:
            db.execute(
                "UPDATE messages SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE key = ?",
                (error, stamp(utcnow()), key),
            )
            attempts = db.execute("SELECT attempts FROM messages WHERE key = ?", (key,)).fetchone()[0]
            if attempts >= max_attempts:
                db.execute(
                    "UPDATE messages SET status = 'quarantined', reason = ? WHERE key = ?",
                    (f"failed {attempts} times", key),
                )
                return "quarantined"
        return "seen"

    def _set_status(self, key: str, status: str, *, reason: str = "", error: str = "") -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE messages SET status = ?, reason = ?, last_error = CASE WHEN ? != '' THEN ? ELSE last_error END,"
                " updated_at = ? WHERE key = ? AND status = 'seen'",
                (status, reason, error, error, stamp(utcnow()), key),
            )

    # ------------------------------------------------------------ outbox

    def enqueue_summary(
        self,
        key: str,
        *,
        triage_json: str,
        outcome: str,
        recipient: str,
        summary_id: str,
        rfc822: bytes,
    ) -> bool:
        """Mark the message triaged and queue its summary, atomically. False if already done."""
        now = stamp(utcnow())
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE messages SET status = 'triaged', triage_json = ?, outcome = ?, updated_at = ?"
                " WHERE key = ? AND status = 'seen'",
                (triage_json, outcome, now, key),
            ).rowcount
            if not changed:
                return False
            db.execute(
                "INSERT INTO outbox (message_key, recipient, summary_id, rfc822, next_try, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, recipient, summary_id, rfc822, now, now),
            )
        return True

    def due_outbox(self, now: dt.datetime | None = None) -> list[OutboxRow]:
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE status = 'queued' AND next_try <= ? ORDER BY next_try, id",
            (stamp(now or utcnow()),),
        )
        return [OutboxRow(**{k: row[k] for k in OutboxRow.model_fields}) for row in rows]

    def next_outbox_time(self) -> dt.datetime | None:
        row = self.db.execute("SELECT MIN(next_try) FROM outbox WHERE status = 'queued'").fetchone()
        return unstamp(row[0]) if row[0] else None

    def sent_in_last_hour(self, recipient: str, now: dt.datetime | None = None) -> tuple[int, dt.datetime | None]:
        """How many summaries this recipient got in the past hour, and when the oldest of them was sent."""
        since = stamp((now or utcnow()) - dt.timedelta(hours=1))
        row = self.db.execute(
            "SELECT COUNT(*), MIN(sent_at) FROM send_log WHERE recipient_hash = ? AND sent_at > ?",
            (address_hash(recipient), since),
        ).fetchone()
        return row[0], (unstamp(row[1]) if row[1] else None)

    def mark_sent(self, outbox_id: int) -> None:
        now = stamp(utcnow())
        with self.transaction() as db:
            row = db.execute("SELECT message_key, recipient FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
            db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = ''"
                " WHERE id = ? AND status = 'queued'",
                (now, outbox_id),
            )
            db.execute("UPDATE messages SET status = 'answered', updated_at = ? WHERE key = ?", (now, row[0]))
            db.execute(
                "INSERT INTO send_log (recipient_hash, sent_at) VALUES (?, ?)", (address_hash(row[1]), now)
            )

    def defer(self, outbox_id: int, next_try: dt.datetime, *, error: str = "", count_attempt: bool = True) -> None:
        """Leave the summary queued until `next_try` (transport down, or the hourly limit reached)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET next_try = ?, attempts = attempts + ?,"
                " last_error = CASE WHEN ? != '' THEN ? ELSE last_error END WHERE id = ?",
                (stamp(next_try), 1 if count_attempt else 0, error, error, outbox_id),
            )

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """A permanent refusal (5xx): keep the row for the record, never send it."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                (error, outbox_id),
            )

    # ------------------------------------------------------------ meta

    def get_meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    # ------------------------------------------------------------ status

    def counts(self) -> dict[str, int]:
        by_status = dict(self.db.execute("SELECT status, COUNT(*) FROM messages GROUP BY status").fetchall())
        by_outbox = dict(self.db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        return {
            "seen": sum(by_status.values()),
            "pending": by_status.get("seen", 0),
            "triaged": by_status.get("triaged", 0) + by_status.get("answered", 0),
            "answered": by_status.get("answered", 0),
            "skipped": by_status.get("skipped", 0),
            "quarantined": by_status.get("quarantined", 0),
            "sent": by_outbox.get("sent", 0),
            "queued": by_outbox.get("queued", 0),
            "send_failed": by_outbox.get("failed", 0),
        }

    def last_error(self) -> dict[str, str] | None:
        """The most recent error, from a message or from a send."""
        row = self.db.execute(
            "SELECT * FROM ("
            " SELECT updated_at AS at, 'message' AS kind, key, last_error AS error FROM messages WHERE last_error != ''"
            " UNION ALL"
            " SELECT COALESCE(sent_at, next_try) AS at, 'send' AS kind, message_key AS key, last_error AS error"
            "  FROM outbox WHERE last_error != ''"
            ") ORDER BY at DESC LIMIT 1"
        ).fetchone()
        return dict(row) if row else None

    def quarantined(self) -> list[QuarantinedItem]:
        rows = self.db.execute("SELECT * FROM quarantine ORDER BY updated_at")
        return [QuarantinedItem(**{k: row[k] for k in QuarantinedItem.model_fields}) for row in rows]

    def summaries_for(self, key: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outbox WHERE message_key = ?", (key,)).fetchone()[0]


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our statements)."""
    return [part.strip() for part in script.split(";") if part.strip()]
