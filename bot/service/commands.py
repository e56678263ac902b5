"""`foibot run` and `foibot status`: build the pieces from settings and start or inspect the worker."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path

import structlog

from bot.config import Settings, ensure_writable_dir, load_settings
from bot.errors import UserError

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr, one event per line (journald and `docker logs` friendly).

    Libraries' stdlib logging (mail-parser, imapclient...) goes through the same JSON
    renderer, at warning level and above unless `log_level = "debug"`, so stderr stays
    one JSON object per line.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if level == "debug" else max(LEVELS[level], logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None), getattr(args, "data_dir", None))


def prepare_dirs(settings: Settings) -> None:
    """Create what the worker writes to; a UserError names the directory that fails."""
    ensure_writable_dir(Path(settings.data_dir), "data directory")
    ensure_writable_dir(settings.state_file.parent, "state directory")
    if settings.mailbox.kind == "maildir":
        ensure_writable_dir(settings.inbox_path, "inbox Maildir")
    if settings.send.kind == "maildir":
        ensure_writable_dir(settings.outbox_path, "outbox Maildir")


def open_state(settings: Settings):
    from bot.service.state import State

    try:
        return State(settings.state_file)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"cannot open state database {settings.state_file}: {exc}") from None


def build_worker(settings: Settings, stop_event: threading.Event, *, once: bool = False, triager=None):
    """Wire state, mailbox, transport and the Triager into a Worker (the caller closes `worker.state`)."""
    from bot.service.mailbox import build_mailbox
    from bot.service.sender import build_transport
    from bot.service.worker import Worker
    from bot.rulebook import load_rulebook
    from bot.triage import Triager, parse_message

    prepare_dirs(settings)
    state = open_state(settings)
    return Worker(
        settings,
        state,
        build_mailbox(settings, state, stop_event, once=once),
        build_transport(settings),
        triager or Triager(rulebook=load_rulebook(settings.rules_dir or None), limits=settings.limits),
        parse_message,
        stop_event=stop_event,
    )


def refuse_second_worker(settings: Settings) -> None:
    """One worker per state database: a second `foibot run` (say, cron's `--once` while the
    service runs) could send a queued summary twice over SMTP. The lock itself is taken by
    `Worker.run` (`maintenance.WorkerLock`, `<state>.lock`); here we refuse early, clearly."""
    from bot.service.maintenance import worker_running

    if settings.state_file.exists() and worker_running(settings.state_file):
        raise UserError(f"another `foibot run` is already using {settings.state_file}")


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    configure_logging(settings.log_level)
    refuse_second_worker(settings)
    stop_event = threading.Event()
    install_signal_handlers(stop_event)
    once = bool(getattr(args, "once", False))
    worker = build_worker(settings, stop_event, once=once)
    try:
        return worker.run(once=once)
    finally:
        worker.state.close()


def install_signal_handlers(stop_event: threading.Event) -> None:
    """First SIGTERM/SIGINT: finish the message in hand, then exit 0. A second one: exit now.

    The handler itself only writes a byte to a pipe: Python runs handlers in the main thread
    between bytecodes, so a handler that logs or sets an Event could wait forever for a lock
    the interrupted main thread holds (we saw exactly that with the log writer's lock). A
    helper thread reads the pipe, logs and sets `stop_event`. A second signal leaves at once
    with `os._exit`; the state database is crash-safe by design.
    """
    log = structlog.get_logger("foibot.worker")
    read_fd, write_fd = os.pipe()
    received: list[int] = []

    def on_signal(signum, frame):  # noqa: ANN001
        if received:
            os._exit(128 + signum)
        received.append(signum)
        os.write(write_fd, bytes([signum]))

    def relay() -> None:
        signum = os.read(read_fd, 1)[0]
        log.info("worker.stopping", signal=signal.Signals(signum).name)
        stop_event.set()

    threading.Thread(target=relay, name="foibot-signals", daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def status_report(settings: Settings) -> dict:
    """What `foibot status --json` prints."""
    report: dict = {"state": str(settings.state_file)}
    if not settings.state_file.exists():
        report.update(
            {"seen": 0, "triaged": 0, "sent": 0, "queued": 0, "quarantined": 0, "skipped": 0, "last_error": None}
        )
        report["quarantine"] = []
        report["note"] = "no state yet: the worker has not run with this data directory"
        return report
    state = open_state(settings)
    try:
        report.update(state.counts())
        report["last_error"] = state.last_error()
        report["quarantine"] = [item.model_dump() for item in state.quarantined()]
    finally:
        state.close()
    return report


def cmd_status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    report = status_report(settings)
    if getattr(args, "json", False):
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(format_status(report))
    return 0


def format_status(report: dict) -> str:
    lines = [f"state: {report['state']}"]
    if report.get("note"):
        lines.append(report["note"])
    for name in ("seen", "pending", "triaged", "skipped", "quarantined", "sent", "queued", "send_failed"):
        if name in report:
            lines.append(f"{name:>12}: {report[name]}")
    error = report.get("last_error")
    lines.append(f"  last error: {error['error']} ({error['kind']}, {error['at']})" if error else "  last error: none")
    if report.get("quarantine"):
        lines.append("quarantine:")
        for item in report["quarantine"]:
            lines.append(f"  {item['received_at']}  {item['message_id'] or item['key']}  {item['reason']}")
    return "\n".join(lines)
