"""The loop: fetch -> record -> filter -> triage -> enqueue -> send -> mark.

The worker knows nothing of classification: it hands a parsed message to the `Triager`
and stores what comes back. Each arrow above is a transaction in `State`, so the loop can
be killed at any instant and resumes where it stopped (see `state.py`). A stop request
(SIGTERM/SIGINT sets `stop_event`) is honoured between messages: the message in hand is
finished first.

Logs are structlog events with a per-message `msg` reference (a hash of the message key);
at info level they carry no bodies, subjects or addresses (addresses only as hashes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.parser
import functools
import gc
import email.policy
import hashlib
import json
import os
import signal
import sqlite3
import threading
from dataclasses import dataclass
import time
from typing import Any, Protocol

import structlog

from bot.config import Settings
from bot.errors import UnreadableInput
from bot.model import LimitExceeded, ParsedMessage, Triage
from bot.service import guard
from bot.service.analysis_pool import AnalysisPool, usable_cores
from bot.service.authenticity import check_sender
from bot.service.casestore import CaseStore, DigestScheduler, MailIdentity, send_due_digests
from bot.service.filters import Decision, FilterPolicy, decide
from bot.service.mailbox import Incoming, Mailbox, MailboxUnavailable
from bot.service.maintenance import WorkerLock, apply_retention, erase_requester
from bot.service.observability import Observer
from bot.service.sender import SendError, Transport, compose_summary, message_id_of, summary_message_id_suffix
from bot.service.state import TERMINAL_STATUSES, State, address_hash, utcnow

#: test hook: `FOIBOT_FAULT_INJECT=after_record` makes the process SIGKILL itself there,
#: so the crash-recovery tests can kill the worker at an exact step
FAULT_ENV = "FOIBOT_FAULT_INJECT"
FAULT_POINTS = ("after_record", "after_enqueue", "after_send")
MAX_SEND_BACKOFF = dt.timedelta(hours=1)
#: failures of the machine, not of a message: the state database locked or the disk full.
#: They never count against a message; the worker logs them, waits and tries the pass again.
INFRA_ERRORS = (sqlite3.OperationalError, OSError)
MAX_INFRA_BACKOFF = 60.0
#: a batch or a resumed backlog at least this long is analysed on a few long-lived processes
#: (bot/service/analysis_pool.py: one per core, forked once) instead of one fork per message
POOL_MIN_BACKLOG = 4

log = structlog.get_logger("foibot.worker")


class TriagerLike(Protocol):
    def load_models(self) -> list[str]: ...
    def triage_message(self, message: ParsedMessage, **options: Any) -> Triage: ...
    def render_text(self, triage: Triage) -> str: ...
    def render_html(self, triage: Triage) -> str: ...
    def outcome_words(self, triage: Triage) -> str: ...


def message_key(raw: bytes) -> tuple[str, str]:
    """(dedupe key, Message-ID): the Message-ID when there is one, else sha256 of the bytes."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    message_id = message_id_of(str(headers.get("Message-ID", "") or ""))
    if message_id:
        return message_id, message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest(), ""


def message_ref(key: str) -> str:
    """The per-message id in the logs: short, stable, and not the Message-ID itself."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def with_message_context(method):
    """Every log line written while one message is processed carries its `msg` id, also the
    lines of the modules it calls (cases, digests), through structlog's context variables."""

    @functools.wraps(method)
    def wrapper(self, key: str, *args, **kwargs):
        with structlog.contextvars.bound_contextvars(msg=message_ref(key)):
            return method(self, key, *args, **kwargs)

    return wrapper


def filter_policy(settings: Settings) -> FilterPolicy:
    return FilterPolicy(
        mode=settings.mode,
        owner=settings.owner,
        allow=tuple(settings.allow),
        allow_everyone=settings.allow_everyone,
        own_addresses=(settings.smtp.from_address.strip().lower(),),
        own_message_id_suffixes=(summary_message_id_suffix(settings.smtp.from_address),),
        requester_map=settings.requester_map,
    )


def compose_reply_summary(settings: Settings, triager: TriagerLike, parsed: ParsedMessage, triage: Triage, decision: Decision):
    """The summary email for one reply, threaded under the message we received.

    A function rather than only a Worker method so `foibot reprocess --resend` composes
    exactly what the worker would.
    """
    outer = parsed.outer_headers
    received_id = message_id_of(outer.get("message-id", "")) or parsed.message_id
    references = tuple(outer.get("references", "").split()) + (
        outer.get("x-foibot-original-message-id", ""),  # the authority's reply, when forwarded
        parsed.message_id,
    )
    return compose_summary(
        outcome=str(triage.outcome),
        outcome_label=triager.outcome_words(triage),
        original_subject=triage.subject or parsed.subject,
        text=triager.render_text(triage),
        html=triager.render_html(triage),
        from_address=settings.smtp.from_address,
        from_name=settings.smtp.from_name,
        recipient=decision.recipient,
        recipient_name=decision.recipient_name,
        in_reply_to=received_id,
        references=references,
    )


class Worker:
    """One mailbox, one state database, one transport, one Triager."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        mailbox: Mailbox,
        transport: Transport,
        triager: TriagerLike,
        parse_message,
        *,
        stop_event: threading.Event | None = None,
        observer: Observer | None = None,
        dnsfunc=None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.mailbox = mailbox
        self.transport = transport
        self.triager = triager
        self.parse_message = parse_message
        self.policy = filter_policy(settings)
        self.stop_event = stop_event or threading.Event()
        self.fault = os.environ.get(FAULT_ENV, "")
        #: metrics, /healthz and systemd notifications (bot/service/observability.py)
        self.observer = observer or Observer.from_settings(settings)
        #: DKIM key lookups (tests hand in a function that returns the record; None = real DNS)
        self.dnsfunc = dnsfunc
        self._warmed = False
        self._pool: AnalysisPool | None = None
        self._infra_backoff = 0.0
        #: cases, reply commands and the daily digest (bot/service/casestore.py)
        self.cases = CaseStore(state, rulebook=getattr(triager, 'rulebook', None))
        self.digests = DigestScheduler.from_settings(self.cases, settings)
        self.identity = MailIdentity.from_settings(settings)

    # ------------------------------------------------------------ the loop

    def run(self, once: bool = False) -> int:
        """Process until stopped (or, with `once`, until nothing is waiting). Returns an exit code."""
        log.info("worker.started", once=once, mailbox=self.settings.mailbox.kind, send=self.settings.send.kind)
        if self.policy.mode == "forward" and not (self.policy.allow or self.policy.allow_everyone or self.policy.requester_map):
            log.warning("worker.allowlist_empty", hint="forward mode answers nobody until `allow` lists users")
        code = 0
        lock = WorkerLock(self.state.path)
        if not lock.acquire():
            # two workers on one database could send a queued summary twice over SMTP
            log.error("worker.lock_held", hint="another foibot worker uses this state database")
            return 1
        obs = self.settings.observability
        self.observer.start(obs.host, obs.port)
        if self.policy.mode == "forward" and self.settings.authenticity.mode == "off" and self.settings.mailbox.kind == "imap":
            log.warning("worker.authenticity_off", hint="a forged From of an allowed user is answered: set [authenticity] mode")
        if not self._warmed:
            self._warm_up()  # the model is loaded before the first mail, not while someone waits for its summary
        log.info("worker.ready")
        self.observer.ready()
        try:
            while not self.stop_event.is_set():
                try:
                    self.cycle()
                    self.after_pass()
                except INFRA_ERRORS as exc:
                    self._infra_trouble(exc)
                    if once:
                        code = 1
                        break
                    continue
                self._infra_backoff = 0.0
                if once:
                    break
                self.mailbox.wait(self._wait_seconds(), self.stop_event)
        except MailboxUnavailable as exc:
            if not self.stop_event.is_set():
                log.error("worker.mailbox_unavailable", error=str(exc))
                code = 1
        finally:
            self._close_pool()
            self.observer.stop()
            self.mailbox.close()
            lock.release()
        log.info("worker.stopped", **self.state.counts())
        return code

    def cycle(self) -> int:
        """One pass: resume unfinished work, take in everything new, send what is due."""
        self.process_pending()
        self.flush_outbox()
        offered: set[str] = set()
        taken = 0
        while not self.stop_event.is_set():
            batch = [incoming for incoming in self.mailbox.fetch_new() if incoming.id not in offered]
            if not batch:
                break
            if len(batch) >= POOL_MIN_BACKLOG:
                offered.update(incoming.id for incoming in batch)
                taken += self.handle_many(batch)
                continue
            for incoming in batch:
                if self.stop_event.is_set():
                    break
                offered.add(incoming.id)
                self.handle(incoming)
                taken += 1
        self._close_pool()
        return taken

    def after_pass(self) -> None:
        """Housekeeping between passes: digests due, case mail, the daily retention purge, metrics, health."""
        send_due_digests(self.cases, self.digests, self.identity, None, send_when_empty=self.settings.digest.send_when_empty)
        try:
            self.cases.flush_mail(self.transport, self.settings.smtp.from_address)
        except SendError as exc:
            log.warning("case_mail.deferred", error=str(exc))
        retention = self.settings.retention
        apply_retention(self.state, retention.raw_days, retention.text_days)
        self.observer.imap_connects(getattr(self.mailbox, "connects", 0))
        self.observer.pass_done(self.state.counts())

    def _wait_seconds(self) -> float:
        wait = self.settings.poll_interval
        wait = min(wait, max((self.digests.next_run() - utcnow()).total_seconds(), 0.05))
        due = self.state.next_outbox_time()
        if due is not None:
            wait = min(wait, max((due - utcnow()).total_seconds(), 0.05))
        return wait

    # ------------------------------------------------------------ one message

    def handle(self, incoming: Incoming) -> None:
        """Record, process, send, then mark it processed in the mailbox."""
        key, new = self.take_in(incoming)
        if new:
            if not incoming.oversized:
                self.process(key)
            self.flush_outbox()
        self.mark_if_done(incoming.id, key)

    def handle_many(self, batch: list[Incoming]) -> int:
        """A batch: the same arrows as `handle` (record -> triage -> enqueue -> send -> mark),
        with the analyses running on the pool while the parent records and sends.

        Each message is recorded just before it goes to the pool, so after a stop request
        only the messages already in the children are finished, and none is left half-done.
        """
        pool = self._backlog_pool(len(batch))
        if pool is None:
            handled = 0
            for incoming in batch:
                if self.stop_event.is_set():
                    break
                self.handle(incoming)
                handled += 1
            return handled
        taken: list[tuple[Incoming, str]] = []
        analysed: dict[str, str] = {}  # key -> mailbox id of the messages sent to the pool

        def recorded_jobs():
            for incoming in batch:
                if self.stop_event.is_set():
                    return
                key, new = self.take_in(incoming)
                taken.append((incoming, key))
                if new and not incoming.oversized:
                    analysed[key] = incoming.id
                    yield key, incoming.raw
                elif new:
                    self.flush_outbox()

        def finish(key: str) -> None:
            self.flush_outbox()
            self.mark_if_done(analysed[key], key)

        self._run_on_pool(pool, recorded_jobs(), finish)
        for incoming, key in taken:
            if analysed.get(key) != incoming.id:  # duplicates and quarantined ones
                self.mark_if_done(incoming.id, key)
        return len(taken)

    def take_in(self, incoming: Incoming) -> tuple[str, bool]:
        """Record the message (the first arrow); (its key, True if it was not known before)."""
        key, message_id = message_key(incoming.raw)
        too_big = f"over max_message_bytes ({self.settings.limits.max_message_bytes})" if incoming.oversized else ""
        new, status = self.state.record(
            key, incoming.raw, message_id=message_id, mailbox_id=incoming.id, quarantine_reason=too_big
        )
        bound = log.bind(msg=message_ref(key))
        if new:
            bound.info("message.recorded", bytes=len(incoming.raw), oversized=incoming.oversized)
            self.observer.message_seen()
            self._fault_point("after_record")
            if incoming.oversized:
                bound.warning("message.quarantined", reason="over max_message_bytes")
                self.observer.message_quarantined("oversized")
        elif status == "seen":
            # known and unfinished: process_pending retries it, counting attempts once per cycle
            bound.debug("message.pending_known")
        else:
            # seen before (a restart after a crash, a UIDVALIDITY change, or the same
            # Message-ID delivered twice): exactly one summary per distinct reply
            bound.info("message.duplicate", status=status)
        return key, new

    def mark_if_done(self, mailbox_id: str, key: str) -> None:
        """The last arrow: mark it in the mailbox once the state holds it in a final state."""
        status = self.state.message(key).status  # type: ignore[union-attr]
        if status in TERMINAL_STATUSES:
            self.mailbox.mark_processed(mailbox_id)

    def process_pending(self) -> None:
        self.process_many(self.state.pending_keys())

    def process_many(self, keys: list[str]) -> None:
        """`process` each key; a backlog is analysed on the pool, and each result recorded in order here."""
        pool = self._backlog_pool(len(keys))
        if pool is None:
            for key in keys:
                if self.stop_event.is_set():
                    return
                self.process(key)
            return

        def pending_jobs():
            for key in keys:
                if self.stop_event.is_set():
                    return
                row = self.state.message(key)
                if row is None or row.status != "seen":
                    continue
                if len(row.raw) > self.settings.limits.max_message_bytes:
                    self.process(key)  # quarantined without analysis
                    continue
                yield key, row.raw

        self._run_on_pool(pool, pending_jobs(), None)

    def _run_on_pool(self, pool: AnalysisPool, jobs, after_each) -> None:
        """Record each pool answer through `process`, in order; after a stop, finish what the children hold."""
        try:
            for key, analysed in pool.imap(jobs):
                self.process(key, analysed)
                if after_each is not None:
                    after_each(key)
        except BaseException:
            self._close_pool()  # its children may still hold abandoned messages
            raise

    def _backlog_pool(self, backlog: int) -> AnalysisPool | None:
        """The pool for a backlog this long, forked once per pass from the warm process; None: one at a time."""
        limits = self.settings.limits
        if backlog < POOL_MIN_BACKLOG or limits.message_seconds <= 0 or not guard.CAN_FORK:
            return None
        if self._pool is None:
            if not self._warmed:
                self._warm_up()
            pool = AnalysisPool(self._analyse_inline, usable_cores(), limits.message_seconds, limits.message_memory_mb)
            try:
                pool.start()
            except OSError as exc:  # cannot fork now (process or memory limits): one at a time still works
                pool.close()
                log.warning("worker.pool_unavailable", error=exc.__class__.__name__)
                return None
            self._pool = pool
        return self._pool

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @with_message_context
    def process(self, key: str, analysed: Analysis | BaseException | None = None) -> None:
        """filter -> triage -> compose -> enqueue (one transaction), with per-message error handling.

        `analysed` is the pool's answer for this message (an Analysis, or what it raised);
        without it the message is analysed here, in its own guarded child.
        """
        row = self.state.message(key)
        if row is None or row.status != "seen":
            return
        bound = log.bind(msg=message_ref(key))
        started = time.monotonic()
        try:
            if len(row.raw) > self.settings.limits.max_message_bytes:
                raise LimitExceeded("max_message_bytes")
            if isinstance(analysed, BaseException):
                raise analysed
            analysis = analysed if analysed is not None else self.analyse(row.raw)
            parsed, decision = analysis.parsed, analysis.decision
            if not analysis.unauthenticated and self._is_reply_command(parsed):  # a forged From commands nothing
                sender = parsed.from_address.strip().lower()
                result = self.cases.apply_command(key, parsed, sender, self.identity)
                if result.forgotten:  # also on a retry (duplicate): erasing is idempotent
                    erase_requester(self.state, sender)
                self.state.mark_skipped(key, "reply command")
                if result.forgotten:  # the command email itself, once it will not be retried
                    erase_requester(self.state, sender, [key])
                bound.info("message.command", applied=len(result.applied), problems=len(result.problems))
                return
            if not decision.answer:
                self.state.mark_skipped(key, decision.reason)
                sender = parsed.forwarded_by_address or parsed.from_address
                bound.info("message.skipped", reason=decision.reason, sender=address_hash(sender) if sender else "")
                bound.debug("message.skipped_detail", sender_address=sender)
                self.observer.message_skipped()
                return
            if analysis.unauthenticated:
                self.state.quarantine(key, f"sender not authenticated: {analysis.unauthenticated}"[:300], error="Unauthenticated")
                bound.warning("message.quarantined", reason="unauthenticated sender")
                self.observer.message_quarantined("unauthenticated")
                return
            triage = analysis.triage
            if not analysis.summary_rfc822:  # an Analysis made elsewhere, without its summary
                summary = self.compose(parsed, triage, decision)
                analysis = dataclasses.replace(
                    analysis,
                    summary_id=summary["Message-ID"],
                    summary_rfc822=summary.as_bytes(),
                    triage_json=json.dumps(triage.to_contract(), ensure_ascii=False, default=str),
                )
            # the reply filed in its case and its summary queued: one commit, so a crash leaves
            # both or neither
            with self.state.transaction():
                self.cases.record_reply(key, parsed, triage, decision.recipient)
                queued = self.state.enqueue_summary(
                    key,
                    triage_json=analysis.triage_json,
                    outcome=str(triage.outcome),
                    recipient=decision.recipient,
                    summary_id=analysis.summary_id,
                    rfc822=analysis.summary_rfc822,
                )
            bound.info(
                "message.triaged",
                outcome=str(triage.outcome),
                confidence=round(triage.confidence, 3),
                needs_review=triage.needs_review,
                to=address_hash(decision.recipient),
                queued=queued,
            )
            # from the pool, the analysis ran before `started`: its own time is added
            spent = time.monotonic() - started + (analysis.seconds if analysed is not None else 0.0)
            self.observer.message_triaged(str(triage.outcome), spent)
            self._fault_point("after_enqueue")
        except INFRA_ERRORS:
            raise  # the machine's fault, not the message's: run() backs off and the pass is retried
        except (LimitExceeded, UnreadableInput) as exc:
            reason = f"{'over a limit' if isinstance(exc, LimitExceeded) else 'unreadable'}: {exc}"
            self.state.quarantine(key, reason[:300], error=exc.__class__.__name__)
            bound.warning("message.quarantined", reason=exc.__class__.__name__)
            self.observer.message_quarantined("limit" if isinstance(exc, LimitExceeded) else "unreadable")
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the worker
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            status = self.state.record_failure(key, error, self.settings.max_attempts)
            bound.warning("message.failed", error=exc.__class__.__name__, status=status)
            self.observer.message_failed()
            if status == "quarantined":
                self.observer.message_quarantined("failed")
            bound.debug("message.failed_detail", error=error, exc_info=True)

    def _is_reply_command(self, parsed: ParsedMessage) -> bool:
        """A requester answering foibot's mail with commands (`status: refused`, `closed`, `forget me`)."""
        from bot.service.filters import is_allowed

        sender = parsed.from_address.strip().lower()
        return bool(sender) and is_allowed(sender, self.policy) and self.cases.is_command_email(parsed)

    def compose(self, parsed: ParsedMessage, triage: Triage, decision: Decision):
        """The summary email for this reply (threaded under the message we received)."""
        return compose_reply_summary(self.settings, self.triager, parsed, triage, decision)

    # ------------------------------------------------------------ sending

    def flush_outbox(self) -> None:
        """Send every due summary; on a transient failure keep it queued with a growing delay."""
        for row in self.state.due_outbox():
            bound = log.bind(msg=message_ref(row.message_key), to=address_hash(row.recipient))
            sent_by_all, oldest_of_all = self._sent_to_everyone_in_last_hour()
            if sent_by_all >= self.settings.global_hourly_send_limit:
                later = (oldest_of_all or utcnow()) + dt.timedelta(hours=1)
                self.state.defer(row.id, later, error="global hourly send limit reached", count_attempt=False)
                bound.warning("send.global_rate_limited", until=later.isoformat(timespec="seconds"))
                continue
            sent, oldest = self.state.sent_in_last_hour(row.recipient)
            if sent >= self.settings.hourly_send_limit:
                later = (oldest or utcnow()) + dt.timedelta(hours=1)
                self.state.defer(row.id, later, error="hourly send limit reached", count_attempt=False)
                bound.info("send.rate_limited", until=later.isoformat(timespec="seconds"))
                continue
            try:
                self.transport.send(row.rfc822, self.settings.smtp.from_address, row.recipient, row.summary_id)
            except SendError as exc:
                self.observer.send_failed(exc.permanent)
                if exc.permanent:
                    self.state.mark_failed(row.id, str(exc))
                    bound.error("send.failed_permanently", error=str(exc))
                    continue
                delay = min(dt.timedelta(seconds=self.settings.send_retry_seconds * 2**row.attempts), MAX_SEND_BACKOFF)
                self.state.defer(row.id, utcnow() + delay, error=str(exc))
                bound.warning("send.deferred", error=str(exc), retry_in=delay.total_seconds())
                break  # the transport is down: the other summaries wait too
            self._fault_point("after_send")
            self.state.mark_sent(row.id)
            self.observer.summary_sent()
            bound.info("send.sent")

    # ------------------------------------------------------------ test hook

    def _fault_point(self, point: str) -> None:
        if self.fault == point:
            log.warning("worker.fault_injected", point=point)
            os.kill(os.getpid(), signal.SIGKILL)

    # ------------------------------------------------------------ robustness (issue #7)

    def analyse(self, raw: bytes) -> Analysis:
        """parse -> filter -> authenticity -> triage, in a watched child process (see guard.py).

        Everything that reads the untrusted bytes runs here, under the per-message time
        budget and memory ceiling of `[limits]`; the parent only records what comes back.
        """
        limits = self.settings.limits
        if limits.message_seconds > 0 and not self._warmed:
            self._warm_up()
        return guard.run_guarded(
            lambda: self._analyse_inline(raw), seconds=limits.message_seconds, memory_mb=limits.message_memory_mb
        )

    def _analyse_inline(self, raw: bytes) -> Analysis:
        started = time.monotonic()
        parsed = self.parse_message(raw, self.settings.limits)
        decision = decide(parsed, self.policy)
        auth = self.settings.authenticity
        if auth.mode != "off" and self.policy.mode == "forward" and self._may_act_for_sender(parsed, decision):
            verdict = check_sender(
                raw,
                auth.mode,
                trusted_authserv_ids=auth.trusted_authserv_id,
                accept=auth.accept,
                dnsfunc=self.dnsfunc,
                dkim_min_key_bits=auth.dkim_min_key_bits,
            )
            if not verdict.authentic:
                return Analysis(slim(parsed), decision, unauthenticated=verdict.reason)
        if not decision.answer:
            return Analysis(slim(parsed), decision)
        triage = self.triager.triage_message(parsed)
        summary = self.compose(parsed, triage, decision)
        return Analysis(
            slim(parsed),
            decision,
            triage=triage,
            summary_id=summary["Message-ID"],
            summary_rfc822=summary.as_bytes(),
            triage_json=json.dumps(triage.to_contract(), ensure_ascii=False, default=str),
            seconds=time.monotonic() - started,
        )

    def _may_act_for_sender(self, parsed: ParsedMessage, decision: Decision) -> bool:
        """True when the sender's From decides something: the summary goes to them, or an allowed
        user's mail may carry reply commands (`analysis.unauthenticated` tells the caller)."""
        return decision.answers_sender or (not decision.answer and _sender_is_allowed(parsed, self.policy))

    def _warm_up(self) -> None:
        """Load the rules and the spaCy model in this process once, so every forked child starts warm."""
        from bot.model import ParsedMessage as Warm

        try:
            for problem in self.triager.load_models():
                log.warning("worker.model_unavailable", problem=problem)
            self.triager.triage_message(Warm(body_text="Dear requester, we acknowledge your request. Yours, FOI Team"))
        except Exception as exc:  # noqa: BLE001 - a broken model shows up per message, with its reason
            log.warning("worker.warm_up_failed", error=exc.__class__.__name__)
        # Move everything loaded so far out of the collector's reach: a forked child that runs
        # a full collection would otherwise write to every old object's header and copy each
        # page of the model and rules (measured: 90 ms of page copying per fork; 20 with this).
        gc.collect()
        gc.freeze()
        self._warmed = True

    def _sent_to_everyone_in_last_hour(self) -> tuple[int, dt.datetime | None]:
        """Summaries sent to anyone in the past hour (the global brake), from the send log."""
        from bot.service.state import stamp, unstamp

        since = stamp(utcnow() - dt.timedelta(hours=1))
        count, oldest = self.state.db.execute(
            "SELECT COUNT(*), MIN(sent_at) FROM send_log WHERE sent_at > ?", (since,)
        ).fetchone()
        return count, (unstamp(oldest) if oldest else None)

    def _infra_trouble(self, exc: BaseException) -> None:
        """Say clearly what failed (database locked, disk full...), then wait before the next pass."""
        self._infra_backoff = min(max(self._infra_backoff * 2, 1.0), MAX_INFRA_BACKOFF)
        log.error(
            "worker.infrastructure_error",
            error=exc.__class__.__name__,
            detail=describe_infra_error(exc),
            retry_in=self._infra_backoff,
        )
        self.stop_event.wait(self._infra_backoff)


@dataclass(frozen=True)
class Analysis:
    """What the guarded child hands back: enough to skip, quarantine, or enqueue a summary."""

    parsed: ParsedMessage
    decision: Decision
    triage: Triage | None = None
    unauthenticated: str = ""  # why the sender's From could not be trusted
    #: the summary email and the triage JSON, made in the child too: composing is CPU work
    #: (the email package's header handling) that would otherwise queue up in the one parent
    summary_id: str = ""
    summary_rfc822: bytes = b""
    triage_json: str = ""
    seconds: float = 0.0  # how long the analysis took in the child


def slim(parsed: ParsedMessage) -> ParsedMessage:
    """The parsed message without attachment bytes: the parent composes the summary from headers only."""
    if not parsed.attachments:
        return parsed
    return parsed.model_copy(update={"attachments": tuple(a.model_copy(update={"data": b""}) for a in parsed.attachments)})


def _sender_is_allowed(parsed: ParsedMessage, policy: FilterPolicy) -> bool:
    from bot.service.filters import is_allowed

    return is_allowed(parsed.forwarded_by_address or parsed.from_address, policy)


def describe_infra_error(exc: BaseException) -> str:
    """A one-line reason an operator can act on, without paths or personal data."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "the state database is locked by another process"
    if "disk is full" in text or "no space" in text or getattr(exc, "errno", None) == 28:
        return "the disk is full: free space; the worker resumes by itself"
    if getattr(exc, "errno", None) == 13 or "readonly" in text or "read-only" in text:
        return "no permission to write (read-only file system or database?)"
    return (getattr(exc, "strerror", None) or str(exc))[:200]
