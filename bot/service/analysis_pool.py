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
#: messages a child holds at most: the one in hand and the next, waiting in the pipe
PREFETCH = 2
#: pipe capacity asked for (Linux F_SETPIPE_SZ; 1 MiB is the default ceiling for a user);
#: a waiting message must fit in it, so that writing it never blocks the parent
PIPE_BYTES = 1 << 20


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
    tasks: deque = field(default_factory=deque)  # indexes of the messages it holds; the first is in hand
    queued_bytes: int = 0  # bytes of the tasks sent after the one in hand (still in the pipe)
    deadline: float = 0.0  # for the message in hand


@dataclass
class AnalysisPool(Generic[T]):
    """`processes` forked children that each run `job(payload)` for one payload at a time.

    Each child holds its message in hand plus, when it is small enough to sit in the pipe,
    the next one: the child starts on it as soon as it answers, while the parent is still
    recording the answer (the parent's own work per message is mostly disk writes).
    """

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

        `items` is read lazily, as children have room: the caller may do the work that must
        come first (recording the message) in the iterator, and end it early (a stop
        request); what is already in the children is still answered.
        """
        source = iter(items)
        taken: list[tuple[K, object]] = []
        frames: dict[int, bytes] = {}  # pickled payloads not yet answered (re-sent after a crash)
        again: deque[int] = deque()  # sent to a child that died before reaching them
        done: dict[int, T | BaseException] = {}
        next_out = 0
        exhausted = False
        self.start()
        while True:
            for depth in (1, PREFETCH):
                for child in self.children:
                    if len(child.tasks) >= depth:
                        continue
                    if again:
                        index = again[0]
                    elif not exhausted:
                        item = next(source, None)
                        if item is None:
                            exhausted = True
                            continue
                        taken.append(item)
                        index = len(taken) - 1
                        frames[index] = pickle.dumps(item[1], protocol=pickle.HIGHEST_PROTOCOL)
                        again.append(index)
                    else:
                        continue
                    if child.tasks and child.queued_bytes + len(frames[index]) + HEADER.size > self._prefetch_bytes:
                        continue  # too big to wait in the pipe: it goes to a child with nothing in hand
                    if self._send(child, index, frames[index]):
                        again.popleft()
            while next_out in done:
                yield taken[next_out][0], done.pop(next_out)
                frames.pop(next_out, None)
                taken[next_out] = (taken[next_out][0], None)  # let the payload go
                next_out += 1
            if next_out >= len(taken):
                if exhausted:
                    return
                continue
            self._collect(done, again)

    def close(self) -> None:
        """Stop every child now (they hold nothing that needs flushing)."""
        for child in self.children:
            self._stop(child)
        self.children.clear()

    def __enter__(self) -> AnalysisPool[T]:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def _prefetch_bytes(self) -> int:
        return PIPE_BYTES // 2

    def _send(self, child: _Child, index: int, frame: bytes) -> bool:
        """Hand `frame` to the child; False if it died meanwhile (its crash is answered by `_collect`)."""
        for attempt in range(2):
            try:
                _write_frame(child.to_child, frame)
                break
            except OSError:  # the child died (e.g. killed from outside)
                if child.tasks:
                    return False  # it still owes an answer: _collect sees the crash and re-queues
                if attempt:
                    raise
                self._replace(child, None)  # an idle child: replace it and try once more
        if child.tasks:
            child.queued_bytes += len(frame) + HEADER.size
        else:
            child.deadline = self._deadline()
        child.tasks.append(index)
        return True

    def _deadline(self) -> float:
        return time.monotonic() + self.seconds if self.seconds > 0 else float("inf")

    def _collect(self, done: dict, again: deque) -> None:
        """Wait for the first answer, crash or overrun among the busy children."""
        busy = [child for child in self.children if child.tasks]
        timeout = max(min(child.deadline for child in busy) - time.monotonic(), 0.0)
        ready, _, _ = select.select([child.from_child for child in busy], [], [], None if timeout == float("inf") else timeout)
        for child in busy:
            if child.from_child in ready:
                try:
                    frame = _read_frame(child.from_child)
                except OSError:
                    frame = None
                if frame is None:
                    index = child.tasks.popleft()
                    done[index] = self._crash_of(child, again)
                    continue
                kind, value = pickle.loads(frame)
                done[child.tasks.popleft()] = value  # the result, or the exception the job raised
                if kind == "error" and isinstance(value, OverBudget):
                    self._replace(child, again)  # after a MemoryError it has left
                elif child.tasks:  # it has started on the next one
                    child.deadline = self._deadline()
                    child.queued_bytes = 0 if len(child.tasks) == 1 else child.queued_bytes
            elif time.monotonic() >= child.deadline:
                done[child.tasks.popleft()] = OverBudget(f"took longer than the time budget of {self.seconds:g} s")
                self._replace(child, again)

    def _crash_of(self, child: _Child, again: deque) -> ChildCrashed:
        _close_quietly(child.to_child, child.from_child)
        _, status = os.waitpid(child.pid, 0)
        self._respawn_into(child, again)
        if os.WIFSIGNALED(status):
            return ChildCrashed(f"the analysis died with signal {signal.Signals(os.WTERMSIG(status)).name}")
        return ChildCrashed(f"the analysis exited with status {os.waitstatus_to_exitcode(status)} and no answer")

    def _replace(self, child: _Child, again: deque | None) -> None:
        self._stop(child)
        self._respawn_into(child, again)

    def _respawn_into(self, child: _Child, again: deque | None) -> None:
        """A fresh child in this slot; what the old one held but never reached goes back to the front of the line."""
        if again is not None:
            again.extendleft(reversed(child.tasks))
        fresh = self._spawn()
        child.pid, child.to_child, child.from_child = fresh.pid, fresh.to_child, fresh.from_child
        child.tasks, child.queued_bytes = deque(), 0

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
        _widen(task_write)
        _widen(result_write)
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


def _widen(fd: int) -> None:
    """Ask for a PIPE_BYTES pipe; without it (not Linux, or a lower limit) assume the usual 64 KiB."""
    global PIPE_BYTES
    try:
        import fcntl

        PIPE_BYTES = min(PIPE_BYTES, fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES))
    except (ImportError, AttributeError, OSError):
        PIPE_BYTES = min(PIPE_BYTES, 1 << 16)


def _close_quietly(*fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
