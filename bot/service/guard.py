"""Run one message's analysis in a forked child with a time budget and a memory ceiling.

Limits in the stages (sizes, depth, pages, zip ratio) stop the attacks we thought of; the
guard stops the ones we did not: a regular expression that backtracks for minutes, a PDF
whose content stream inflates to gigabytes inside pdfium, a C library that crashes. A
thread cannot be stopped from outside and a crash in C takes the whole process with it,
so the work runs in a child process:

- `fork()` after the rules and the spaCy model are loaded, so the child starts warm
  (measured: forking costs less than a message's triage; nothing is loaded twice);
- the child's address space is capped (`RLIMIT_AS`) at what the parent uses plus
  `memory_mb`, so a memory bomb ends in `MemoryError` in the child, not in the OOM killer;
- the parent waits at most `seconds`; then it kills the child and reports `OverBudget`;
- the child dies with the parent (`PR_SET_PDEATHSIG`), so a SIGKILLed worker leaves no
  orphan burning CPU.

The child only computes and writes its pickled result to a pipe: it never touches the
state database, the mailbox or the log, and leaves with `os._exit`, so nothing of the
parent's (SQLite handles, sockets, buffered logs) is flushed or closed twice.
Where `fork` does not exist the job runs inline, with no budget.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from bot.model import LimitExceeded

T = TypeVar("T")
PR_SET_PDEATHSIG = 1
CAN_FORK = hasattr(os, "fork")


class OverBudget(LimitExceeded):
    """The message took longer than its time budget or more memory than allowed."""


class ChildCrashed(Exception):
    """The child died without an answer (a signal such as SIGSEGV): counted as a failed try."""


def run_guarded(job: Callable[[], T], *, seconds: float, memory_mb: int = 0) -> T:
    """`job()`, computed in a child process under the budget; its exception is re-raised here.

    `seconds <= 0` (or no `fork`) runs the job inline: the switch for platforms without
    fork and for profiling.
    """
    if seconds <= 0 or not CAN_FORK:
        return job()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # ---------------------------------------------------------- child
        os.close(read_fd)
        _child(job, write_fd, memory_mb)  # never returns
    os.close(write_fd)
    try:
        data = _read_until(read_fd, time.monotonic() + seconds)
    except TimeoutError:
        _kill(pid)
        raise OverBudget(f"took longer than the time budget of {seconds:g} s") from None
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not data:
        if os.WIFSIGNALED(status):
            raise ChildCrashed(f"the analysis died with signal {signal.Signals(os.WTERMSIG(status)).name}")
        raise ChildCrashed(f"the analysis exited with status {os.waitstatus_to_exitcode(status)} and no answer")
    kind, value = pickle.loads(data)
    if kind == "error":
        raise value
    return value


# ---------------------------------------------------------------- child side


def _child(job: Callable[[], object], write_fd: int, memory_mb: int) -> None:
    code = 0
    try:
        _die_with_parent()
        if memory_mb > 0:
            _cap_memory(memory_mb)
        try:
            payload = ("ok", job())
        except MemoryError:
            payload = ("error", OverBudget(f"needed more than {memory_mb} MB of memory"))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            payload = ("error", exc)
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be pickled
            error = RuntimeError(f"{payload[1].__class__.__name__}: {payload[1]}"[:500]) if payload[0] == "error" else exc
            data = pickle.dumps(("error", RuntimeError(str(error)[:500])))
        view = memoryview(data)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's budget still bounds the child
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(71)


def _cap_memory(memory_mb: int) -> None:
    """Address space = what we have now (rules and spaCy, inherited) + memory_mb."""
    try:
        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return
    ceiling = current + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


# ---------------------------------------------------------------- parent side


def _read_until(fd: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
