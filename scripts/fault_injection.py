#!/usr/bin/env python3
"""Fault injection: SIGKILL the worker at random moments while it works through a backlog.

    .venv/bin/python scripts/fault_injection.py [--messages 300] [--kills 20] [--seed 7] [--imap] [--keep DIR]

Maildir mode (the default, no config at all): N invented FOI replies are dropped into
`DATA/inbox`, then `foibot run --data-dir DATA` is started and killed with SIGKILL at a
random moment, again and again (most kills land while messages are being processed, some
during start-up), and finally left to finish. With `--imap` the same backlog sits in a
throwaway Dovecot folder (tests/service/conftest.py) and Dovecot itself is SIGKILLed and
restarted between some of the worker's kills.

The claim checked at the end: every reply has exactly one summary in the outbox Maildir
(matched by In-Reply-To), none lost, none doubled, nothing left pending or quarantined.
Exit status 0 when it holds; the report is one JSON object on stdout.

The replies are the repo's own invented fixtures (tests/fixtures/service/reply_*.eml)
with a fresh Message-ID and reference each; nothing from ../shared is used.
"""

from __future__ import annotations

import argparse
import collections
import email
import email.policy
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "service"
REPLY_FIXTURES = ("reply_full_disclosure.eml", "reply_not_held.eml", "reply_acknowledgement.eml",
                  "reply_extension.eml", "reply_partial.eml")  # fmt: skip
OWNER = "requester.owner@mail.example"


@dataclass
class Report:
    mode: str
    messages: int
    kills: int = 0
    kills_while_processing: int = 0
    imap_restarts: int = 0
    seconds: float = 0.0
    summaries: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            not self.missing
            and not self.duplicated
            and not self.unexpected
            and self.summaries == self.messages
            and self.counts.get("pending", 1) == 0
            and self.counts.get("quarantined", 1) == 0
        )


# ---------------------------------------------------------------- the backlog


def make_replies(count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` distinct replies: (Message-ID, raw bytes), cycling through the fixtures."""
    rng = random.Random(seed)
    templates = [(FIXTURES / name).read_bytes() for name in REPLY_FIXTURES]
    replies = []
    for number in range(count):
        message = email.message_from_bytes(templates[number % len(templates)], policy=email.policy.compat32)
        message_id = f"<fi-{seed}-{number:04d}-{rng.randrange(10**8):08d}@authority.example>"
        del message["Message-ID"]
        message["Message-ID"] = message_id
        subject = str(message.get("Subject", ""))
        del message["Subject"]
        message["Subject"] = f"{subject} [case {number:04d}]"
        replies.append((message_id, message.as_bytes()))
    return replies


def drop_into_maildir(maildir: Path, replies: list[tuple[str, bytes]]) -> None:
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for number, (_, raw) in enumerate(replies):
        name = f"{number:04d}.fault-injection"
        (maildir / "tmp" / name).write_bytes(raw)
        os.replace(maildir / "tmp" / name, maildir / "new" / name)


# ---------------------------------------------------------------- the worker process


class WorkerProcess:
    """`foibot run` as a child process; notices the first per-message log event on stderr."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.processing = threading.Event()
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            text = line.decode("utf-8", "replace")
            self.tail.append(text)
            if '"message.' in text or '"send.' in text:
                self.processing.set()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)

    def stop(self, timeout: float = 120) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.kill()


def outbox_replies(outbox: Path) -> collections.Counter:
    """In-Reply-To of every summary in the outbox Maildir."""
    found: collections.Counter = collections.Counter()
    for sub in ("new", "cur"):
        directory = outbox / sub
        if directory.is_dir():
            for path in directory.iterdir():
                headers = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
                found[str(headers.get("In-Reply-To", "")).strip()] += 1
    return found


def state_counts(data_dir: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from bot.service.state import State

    state = State(data_dir / "state.sqlite3")
    try:
        return state.counts()
    finally:
        state.close()


# ---------------------------------------------------------------- the campaign


def run_campaign(
    work: Path,
    *,
    messages: int = 300,
    kills: int = 20,
    seed: int = 7,
    imap=None,  # noqa: ANN001 - a tests.service.conftest.Dovecot, already started
    imap_folder: str = "INBOX",
    finish_timeout: float = 300.0,
    say=lambda text: print(text, file=sys.stderr),
) -> Report:
    """Drop the backlog, kill the worker `kills` times at random moments, let it finish, count summaries."""
    rng = random.Random(seed)
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    replies = make_replies(messages, seed)
    expected = {message_id for message_id, _ in replies}
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "FOIBOT_LOG_LEVEL": "info",
        # this run measures crash safety, not the send brakes: 300 summaries in minutes are expected
        "FOIBOT_HOURLY_SEND_LIMIT": str(10 * messages),
        "FOIBOT_GLOBAL_HOURLY_SEND_LIMIT": str(10 * messages),
    }
    env.pop("FOIBOT_FAULT_INJECT", None)
    report = Report(mode="imap" if imap else "maildir", messages=messages)
    if imap is None:
        drop_into_maildir(data / "inbox", replies)
        args = ["--data-dir", str(data)]
    else:
        for _, raw in replies:
            imap.append(imap_folder, raw)
        args = ["--config", str(imap_config(work / "foibot.toml", data, imap, imap_folder))]
    started = time.monotonic()
    for number in range(kills):
        worker = WorkerProcess(args, env)
        during_startup = number % 5 == 4  # every fifth kill lands in start-up, migration or warm-up
        if during_startup:
            time.sleep(rng.uniform(0.0, 1.5))
        else:
            worker.processing.wait(timeout=60)
            time.sleep(rng.uniform(0.0, 1.5))
        if worker.process.poll() is not None:
            raise RuntimeError("the worker exited by itself:\n" + "".join(worker.tail))
        report.kills_while_processing += worker.processing.is_set()
        worker.kill()
        report.kills += 1
        if imap is not None and number % 4 == 1:
            imap.stop()  # SIGKILL of Dovecot's process group
            time.sleep(rng.uniform(0.0, 0.5))
            imap.start()
            report.imap_restarts += 1
        say(f"kill {report.kills}/{kills}: {sum(outbox_replies(data / 'outbox').values())} summaries so far")
    # the last run: left alone until every reply has its summary, then stopped with SIGTERM
    worker = WorkerProcess(args, env)
    deadline = time.monotonic() + finish_timeout
    try:
        while time.monotonic() < deadline:
            if sum(outbox_replies(data / "outbox").values()) >= messages and _all_done(data):
                break
            if worker.process.poll() is not None:
                raise RuntimeError("the worker exited by itself:\n" + "".join(worker.tail))
            time.sleep(0.5)
        time.sleep(1.0)  # a duplicate, if there were one, would show up now
    finally:
        worker.stop()
    report.seconds = round(time.monotonic() - started, 1)
    found = outbox_replies(data / "outbox")
    report.summaries = sum(found.values())
    report.missing = sorted(expected - set(found))
    report.duplicated = sorted(mid for mid, n in found.items() if n > 1)
    report.unexpected = sorted(set(found) - expected)
    report.counts = state_counts(data)
    return report


def _all_done(data: Path) -> bool:
    counts = state_counts(data)
    return counts.get("pending", 1) == 0 and counts.get("queued", 1) == 0


def imap_config(path: Path, data: Path, dovecot, folder: str) -> Path:  # noqa: ANN001
    """Inbox mode: every reply in the folder is summarised for the owner, into the outbox Maildir."""
    from tests.service.conftest import IMAP_PASSWORD, IMAP_USER

    path.write_text(
        "\n".join(
            [
                f'data_dir = "{data}"',
                'mode = "inbox"',
                f'owner = "{OWNER}"',
                "poll_interval = 2.0",
                "[mailbox]",
                'kind = "imap"',
                "[imap]",
                'host = "127.0.0.1"',
                f"port = {dovecot.port}",
                'tls = "none"',
                f'username = "{IMAP_USER}"',
                f'password = "{IMAP_PASSWORD}"',
                f'folder = "{folder}"',
                "timeout = 10.0",
                "reconnect_min_seconds = 0.1",
                "reconnect_max_seconds = 0.5",
                "[smtp]",
                'from_address = "foibot@bot.example"',
                "",
            ]
        )
    )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--imap", action="store_true", help="IMAP (a throwaway Dovecot, restarted too) instead of Maildir")
    parser.add_argument("--keep", help="work in this directory and keep it (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="foibot-fault-"))
    dovecot = None
    try:
        if args.imap:
            sys.path.insert(0, str(REPO))
            from tests.service.conftest import DOVECOT, Dovecot

            if DOVECOT is None:
                print("dovecot is not installed (Debian package dovecot-imapd)", file=sys.stderr)
                return 2
            dovecot = Dovecot(work / "dovecot")
            (work / "dovecot").mkdir(parents=True, exist_ok=True)
            dovecot.start()
        report = run_campaign(work, messages=args.messages, kills=args.kills, seed=args.seed, imap=dovecot)
    finally:
        if dovecot is not None:
            dovecot.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({**asdict(report), "ok": report.ok}, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
