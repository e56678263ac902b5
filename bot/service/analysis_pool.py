"""A few long-lived, warm analysis processes for a backlog: the guard's promises without a fork per message.

`guard.run_guarded` forks one child per message. On a 2-core machine with the model loaded
that fork and its copy-on-write page faults cost 20-90 ms per message (measured; the
triage itself is 70-90 ms), and only one core works. For a backlog the worker instead forks
`processes` children once, after the rules and the spaCy model are loaded and the
collector's generations frozen (so the children share those pages), and feeds them one
message at a time over pipes. The guard's promises hold per message:

- time budget: the parent kills a child still busy at the message's deadline, answers
  `OverBudget` for that message and starts a fresh child;
- memory ceiling: each child's address space is capped at its size when it started plus
  `memory_mb`; a `MemoryError` answers `OverBudget` and that child is replaced;
- a crash (a signal such as SIGSEGV) answers `ChildCrashed` for the message in hand;
- children die with the parent (`PR_SET_PDEATHSIG`), ignore SIGINT (the parent decides
  when to stop), never touch the state database, the mailbox or the log, and leave with
  `os._exit`.

Results come back in the order the messages went in, so the parent records them exactly
as the one-at-a-time path would.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.service.guard import ChildCrashed, OverBudget, _cap_memory, _die_with_parent

K = TypeVar("K")
T = TypeVar("T")
HEADER = struct.Struct("!Q")  # every frame on a pipe: its length, then a pickle


def usable_cores() -> int:
    """The CPUs this process may run on (a container's or taskset's share, not the host's)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


@dataclass
class _Child:
    pid: int
    to_child: int
    from_child: int
    task: int | None = None  # index of the message in hand
    deadline: float = 0.0


@dataclass
class AnalysisPool(Generic[T]):
    """`processes` forked children that each run `job(payload)` for one payload at a time."""

    job: Callable[[object], T]
    processes: int
    seconds: float = 0.0  # per-message budget; 0 = none
    memory_mb: int = 0  # per-child ceiling above its starting size; 0 = none
    children: list[_Child] = field(default_factory=list, init=False)

    # ------------------------------------------------------------ parent side

    def start(self) -> None:
        while len(self.children) < self.processes:
            self.children.append(self._spawn())

    def imap(self, items: Iterable[tuple[K, object]]) -> Iterator[tuple[K, T | BaseException]]:
        """(key, result or the exception the job raised) for each (key, payload), in input order.

        `items` is read lazily, one item each time a child is free: the caller may do the
        work that must come first (recording the message) in the iterator, and end it early
        (a stop request); what is already in the children is still answered.
        """
        source = iter(items)
        taken: list[tuple[K, object]] = []
        done: dict[int, T | BaseException] = {}
        next_out = 0
        exhausted = False
        self.start()
        while True:
            for child in self.children:
                if child.task is None and not exhausted:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    taken.append(item)
                    self._send(child, len(taken) - 1, taken)
            while next_out in done:
                yield taken[next_out][0], done.pop(next_out)
                taken[next_out] = (taken[next_out][0], None)  # let the payload go
                next_out += 1
            if next_out >= len(taken):
                if exhausted:
                    return
                continue
            self._collect(done)

    def close(self) -> None:
        """Stop every child now (they hold nothing that needs flushing)."""
        for child in self.children:
            self._stop(child)
        self.children.clear()

    def __enter__(self) -> AnalysisPool[T]:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _send(self, child: _Child, index: int, items: list) -> None:
        data = pickle.dumps(items[index][1], protocol=pickle.HIGHEST_PROTOCOL)
        for _ in range(2):
            try:
                _write_frame(child.to_child, data)
                break
            except OSError:  # the idle child died (e.g. killed from outside): replace it, try once more
                self._replace(child)
        child.task = index
        child.deadline = time.monotonic() + self.seconds if self.seconds > 0 else float("inf")

    def _collect(self, done: dict) -> None:
        """Wait for the first answer, crash or overrun among the busy children."""
        busy = [child for child in self.children if child.task is not None]
        timeout = max(min(child.deadline for child in busy) - time.monotonic(), 0.0)
        ready, _, _ = select.select([child.from_child for child in busy], [], [], None if timeout == float("inf") else timeout)
        for child in busy:
            if child.from_child in ready:
                index = child.task
                try:
                    frame = _read_frame(child.from_child)
                except OSError:
                    frame = None
                if frame is None:
                    done[index] = self._crash_of(child)
                    continue
                kind, value = pickle.loads(frame)
                done[index] = value  # the result, or the exception the job raised
                child.task = None
                if kind == "error" and isinstance(value, OverBudget):
                    self._replace(child)  # after a MemoryError its heap is not to be trusted
            elif time.monotonic() >= child.deadline:
                done[child.task] = OverBudget(f"took longer than the time budget of {self.seconds:g} s")
                self._replace(child)

    def _crash_of(self, child: _Child) -> ChildCrashed:
        _close_quietly(child.to_child, child.from_child)
        _, status = os.waitpid(child.pid, 0)
        self._respawn_into(child)
        if os.WIFSIGNALED(status):
            return ChildCrashed(f"the analysis died with signal {signal.Signals(os.WTERMSIG(status)).name}")
        return ChildCrashed(f"the analysis exited with status {os.waitstatus_to_exitcode(status)} and no answer")

    def _replace(self, child: _Child) -> None:
        self._stop(child)
        self._respawn_into(child)

    def _respawn_into(self, child: _Child) -> None:
        fresh = self._spawn()
        child.pid, child.to_child, child.from_child, child.task = fresh.pid, fresh.to_child, fresh.from_child, None

    @staticmethod
    def _stop(child: _Child) -> None:
        _close_quietly(child.to_child, child.from_child)
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:
            pass

    def _spawn(self) -> _Child:
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # ---------------------------------------------------------- child
            os.close(task_write)
            os.close(result_read)
            for sibling in self.children:  # the other children's pipes are not ours
                _close_quietly(sibling.to_child, sibling.from_child)
            _serve(self.job, task_read, result_write, self.memory_mb)  # never returns
        os.close(task_read)
        os.close(result_write)
        return _Child(pid, task_write, result_read)


# ---------------------------------------------------------------- child side


def _serve(job: Callable[[object], object], task_fd: int, result_fd: int, memory_mb: int) -> None:
    code = 0
    try:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent decides
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if memory_mb > 0:
            _cap_memory(memory_mb)
        while True:
            frame = _read_frame(task_fd)
            if frame is None:  # the parent closed the pipe: done
                break
            exhausted = False
            try:
                payload: tuple[str, object] = ("ok", job(pickle.loads(frame)))
            except MemoryError:
                payload, exhausted = ("error", OverBudget(f"needed more than {memory_mb} MB of memory")), True
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                payload = ("error", exc)
            _write_frame(result_fd, _pickled(payload))
            if exhausted:
                break
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _pickled(payload: tuple[str, object]) -> bytes:
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be pickled
        what = payload[1] if payload[0] == "error" else exc
        return pickle.dumps(("error", RuntimeError(f"{what.__class__.__name__}: {what}"[:500])))


# ---------------------------------------------------------------- frames


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_frame(fd: int) -> bytes | None:
    """One frame, or None at end of file (also when the writer died half-way)."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    return _read_exact(fd, HEADER.unpack(header)[0])


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _close_quietly(*fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
