"""Where replies come from: one small interface, a Maildir and an IMAP implementation.

The worker sees only `Mailbox`: `fetch_new()` gives the messages not yet marked processed,
`mark_processed(id)` marks one (Maildir: moved to `cur/` with the Seen flag; IMAP: the
`$FoibotProcessed` keyword, optionally a move), `wait()` blocks until something may have
arrived (inotify / IMAP IDLE) or the timeout passes. Nothing is ever deleted.

Marking happens only after the state database holds the message in a final state, so a
crash between the two makes the message come back once more; the state's Message-ID
dedupe then recognises it. That is also why a changed UIDVALIDITY is harmless here.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from tenacity import Retrying, retry_if_exception_type, wait_exponential

from bot.config import ImapSettings

PROCESSED_KEYWORD = "$FoibotProcessed"
HEADER_SNIPPET_BYTES = 64 * 1024
#: a file copied straight into Maildir new/ is read once it has been unchanged this long
SETTLE_SECONDS = 0.5
#: the errors after which the IMAP connection is dropped and made again
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, IMAPClientError, EOFError)

log = structlog.get_logger("foibot.mailbox")


@dataclass(frozen=True)
class Incoming:
    """A message as the mailbox holds it: its id there and its raw bytes.

    `oversized` means the message is larger than the configured limit and `raw` holds only
    its header, enough to record and quarantine it.
    """

    id: str
    raw: bytes
    oversized: bool = False


class Mailbox(Protocol):
    def fetch_new(self) -> Iterable[Incoming]: ...
    def mark_processed(self, id: str) -> None: ...
    def wait(self, timeout: float, stop_event: threading.Event) -> None: ...
    def close(self) -> None: ...


class MailboxUnavailable(Exception):
    """The mailbox could not be reached (after retries, or because we are stopping)."""


# ==================================================================== Maildir


class MaildirMailbox:
    """A Maildir on disk: new mail in `new/`, processed mail moved to `cur/` with flag S."""

    def __init__(self, path: Path | str, *, max_message_bytes: int, batch_size: int = 50) -> None:
        self.path = Path(path)
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        self.max_message_bytes = max_message_bytes
        self.batch_size = batch_size
        self._offered: set[str] = set()
        self._arrived = threading.Event()
        self._observer = None
        #: names the watch saw complete in new/ (renamed in from tmp/, or closed after writing):
        #: read at once instead of after the settling pause
        self._complete: set[str] = set()
        self._complete_lock = threading.Lock()

    def _new_files(self) -> list[tuple[str, float]]:
        """(name, mtime) of the files in `new/`, oldest first."""
        found = []
        try:
            with os.scandir(self.path / "new") as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if entry.is_file():
                            found.append((entry.name, entry.stat().st_mtime))
                    except FileNotFoundError:  # moved away meanwhile
                        continue
        except FileNotFoundError:
            return []
        return sorted(found, key=lambda item: (item[1], item[0]))

    def _new_names(self) -> list[str]:
        return [name for name, _ in self._new_files()]

    def _let_writers_finish(self, files: list[tuple[str, float]]) -> None:
        """Wait until the newest file is `SETTLE_SECONDS` old.

        Proper delivery writes in `tmp/` and renames into `new/`, but people also `cp` replies
        straight into `new/`; reading such a file while it is being written would record half
        a message, so a file is read only once it has not changed for a moment. A file that the
        watch saw renamed into `new/` (complete before it arrived) or closed after being written
        there is read at once.
        """
        with self._complete_lock:
            files = [(name, mtime) for name, mtime in files if name not in self._complete]
        give_up = time.monotonic() + 20 * SETTLE_SECONDS  # a writer that never stops is read anyway
        while files and time.monotonic() < give_up:
            mtimes = []
            for name, _ in files:
                try:
                    mtimes.append((self.path / "new" / name).stat().st_mtime)
                except FileNotFoundError:
                    continue
            age = time.time() - max(mtimes, default=0.0)
            if age >= SETTLE_SECONDS:
                return
            time.sleep(min(SETTLE_SECONDS - age, SETTLE_SECONDS))

    def fetch_new(self) -> list[Incoming]:
        files = self._new_files()[: self.batch_size]
        self._let_writers_finish(files)
        found = []
        for name, _ in files:
            file = self.path / "new" / name
            try:
                size = file.stat().st_size
                if size > self.max_message_bytes:
                    found.append(Incoming(name, _read_header(file), oversized=True))
                else:
                    found.append(Incoming(name, file.read_bytes()))
            except FileNotFoundError:  # taken by another reader meanwhile
                continue
        self._offered = {incoming.id for incoming in found} | self._offered & set(self._new_names())
        with self._complete_lock:
            self._complete -= {incoming.id for incoming in found}
        return found

    def mark_processed(self, id: str) -> None:
        base = id.split(":", 1)[0]
        try:
            os.replace(self.path / "new" / id, self.path / "cur" / f"{base}:2,S")
        except FileNotFoundError:
            pass  # already moved (a restart after a crash between the move and the state update)
        self._offered.discard(id)

    def wait(self, timeout: float, stop_event: threading.Event) -> None:
        """Return when a new file lands in `new/` (inotify via watchdog, else a 1 s poll)."""
        self._start_watching()
        deadline = time.monotonic() + timeout
        while not stop_event.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._arrived.wait(min(0.25, remaining)):
                self._arrived.clear()
                return
            if set(self._new_names()) - self._offered:
                return

    def _start_watching(self) -> None:
        if self._observer is not None:
            return
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer

            arrived = self._arrived
            new_dir = str(self.path / "new")
            complete, complete_lock = self._complete, self._complete_lock

            def in_new(path) -> str | None:  # noqa: ANN001
                path = os.fsdecode(path)
                return os.path.basename(path) if os.path.dirname(path) == new_dir else None

            def completed(name: str) -> None:
                with complete_lock:
                    if len(complete) < 100_000:
                        complete.add(name)
                arrived.set()

            # The whole Maildir is watched, so that a rename from tmp/ to new/ arrives as one
            # move (a watch on new/ alone sees it as a creation, like a `cp` just starting).
            class _OnArrival(FileSystemEventHandler):
                def on_created(self, event):  # noqa: ANN001
                    if not event.is_directory and in_new(event.src_path):
                        arrived.set()

                def on_moved(self, event):  # noqa: ANN001
                    if not event.is_directory and (name := in_new(event.dest_path)):
                        completed(name)

                def on_closed(self, event):  # noqa: ANN001 - closed after writing
                    if not event.is_directory and (name := in_new(event.src_path)):
                        completed(name)

            observer = Observer()
            observer.schedule(_OnArrival(), str(self.path), recursive=True)
            observer.daemon = True
            observer.start()
            self._observer = observer
        except Exception as exc:  # inotify limits, unsupported filesystem: polling still works
            log.warning("maildir.watch_unavailable", error=exc.__class__.__name__)
            self._observer = False

    def close(self) -> None:
        if self._observer:
            self._observer.stop()
            self._observer.join(timeout=5)
        self._observer = None


def _read_header(file: Path) -> bytes:
    with open(file, "rb") as handle:
        head = handle.read(HEADER_SNIPPET_BYTES)
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in head:
            return head.split(separator, 1)[0] + separator
    return head


# ==================================================================== IMAP


class MetaStore(Protocol):
    def get_meta(self, name: str) -> str | None: ...
    def set_meta(self, name: str, value: str) -> None: ...


class ImapMailbox:
    """An IMAP folder via imapclient: TLS verified, IDLE (renewed) or polling, reconnects with backoff."""

    def __init__(
        self,
        settings: ImapSettings,
        meta: MetaStore,
        *,
        max_message_bytes: int,
        stop_event: threading.Event | None = None,
        poll_interval: float = 30.0,
        max_connect_attempts: int | None = None,
        batch_size: int = 25,
        client_factory: Callable[..., IMAPClient] = IMAPClient,
    ) -> None:
        self.settings = settings
        self.meta = meta
        self.max_message_bytes = max_message_bytes
        self.stop_event = stop_event or threading.Event()
        self.poll_interval = poll_interval
        self.max_connect_attempts = max_connect_attempts
        self.batch_size = batch_size
        self.client_factory = client_factory
        self.client: IMAPClient | None = None
        self._in_idle = False
        self.uidvalidity: int | None = None
        self.can_idle = False
        self.can_move = False
        #: set while an IDLE command is active (tests and status use it)
        self.idling = threading.Event()
        self.connects = 0

    # ---------------------------------------------------------- connection

    @property
    def _meta_key(self) -> str:
        s = self.settings
        return f"imap.uidvalidity:{s.username}@{s.host}:{s.port}/{s.folder}"

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _connect(self) -> IMAPClient:
        s = self.settings
        client = self.client_factory(
            s.host,
            port=s.port,
            ssl=s.tls == "ssl",
            ssl_context=self._tls_context() if s.tls == "ssl" else None,
            timeout=s.timeout,
        )
        try:
            if s.tls == "starttls":
                client.starttls(self._tls_context())
            token = s.oauth2_token.get_secret_value()
            if token:
                client.oauth2_login(s.username, token)
            else:
                client.login(s.username, s.password.get_secret_value())
            if s.processed_folder and not client.folder_exists(s.processed_folder):
                client.create_folder(s.processed_folder)
            selected = client.select_folder(s.folder)
            capabilities = set(client.capabilities())
        except BaseException:
            _quietly_close(client)
            raise
        self.can_idle = b"IDLE" in capabilities
        self.can_move = b"MOVE" in capabilities
        self._note_uidvalidity(int(selected[b"UIDVALIDITY"]))
        if b"\\*" not in tuple(selected.get(b"PERMANENTFLAGS", (b"\\*",))) and not s.processed_folder:
            # without custom keywords the $FoibotProcessed flag is not kept: every message
            # would be fetched (and recognised as a duplicate) on every pass
            log.warning("imap.keywords_not_kept", hint="set imap.processed_folder so processed mail is moved")
        self.connects += 1
        log.info("imap.connected", idle=self.can_idle, connects=self.connects)
        return client

    def _note_uidvalidity(self, uidvalidity: int) -> None:
        known = self.meta.get_meta(self._meta_key)
        if known is not None and int(known) != uidvalidity:
            # UIDs and maybe keywords are gone; every unflagged message is offered again and
            # the state's Message-ID dedupe keeps each one from being answered twice
            log.warning("imap.uidvalidity_changed", old=int(known), new=uidvalidity)
        if known is None or int(known) != uidvalidity:
            self.meta.set_meta(self._meta_key, str(uidvalidity))
        self.uidvalidity = uidvalidity

    def _drop(self) -> None:
        if self.client is not None:
            _quietly_close(self.client)
        self.client = None
        self._in_idle = False
        self.idling.clear()

    def _retrying(self) -> Retrying:
        s = self.settings

        def stop(retry_state) -> bool:  # noqa: ANN001
            if self.stop_event.is_set():
                return True
            return self.max_connect_attempts is not None and retry_state.attempt_number >= self.max_connect_attempts

        def before_sleep(retry_state) -> None:  # noqa: ANN001
            error = retry_state.outcome.exception() if retry_state.outcome else None
            log.warning(
                "imap.retry",
                attempt=retry_state.attempt_number,
                error=error.__class__.__name__ if error else "",
                wait=round(retry_state.next_action.sleep, 2) if retry_state.next_action else None,
            )

        return Retrying(
            retry=retry_if_exception_type(CONNECTION_ERRORS),
            wait=wait_exponential(multiplier=s.reconnect_min_seconds, min=s.reconnect_min_seconds, max=s.reconnect_max_seconds),
            stop=stop,
            sleep=lambda seconds: self.stop_event.wait(seconds),
            before_sleep=before_sleep,
            reraise=True,
        )

    def _call(self, operation: Callable[[IMAPClient], object]):
        """Run `operation` on a live connection, reconnecting with exponential backoff after drops."""
        try:
            for attempt in self._retrying():
                with attempt:
                    if self.client is None:
                        self.client = self._connect()
                    try:
                        return operation(self.client)
                    except CONNECTION_ERRORS:
                        self._drop()
                        raise
        except CONNECTION_ERRORS as exc:
            raise MailboxUnavailable(f"IMAP server unavailable: {exc.__class__.__name__}") from exc
        raise MailboxUnavailable("stopped")  # pragma: no cover - Retrying always returns or raises

    # ---------------------------------------------------------- Mailbox

    def fetch_new(self) -> list[Incoming]:
        return self._call(self._fetch_new)  # type: ignore[return-value]

    def _fetch_new(self, client: IMAPClient) -> list[Incoming]:
        client.noop()  # let the server sync the folder: SEARCH alone may not see just-arrived mail
        uids = sorted(client.search(["NOT", "KEYWORD", PROCESSED_KEYWORD, "NOT", "DELETED"]))[: self.batch_size]
        if not uids:
            return []
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        small = [uid for uid in uids if sizes.get(uid, {}).get(b"RFC822.SIZE", 0) <= self.max_message_bytes]
        large = [uid for uid in uids if uid not in small and uid in sizes]
        found: dict[int, Incoming] = {}
        if small:
            for uid, data in client.fetch(small, ["BODY.PEEK[]"]).items():
                if b"BODY[]" in data:
                    found[uid] = Incoming(f"{self.uidvalidity}:{uid}", bytes(data[b"BODY[]"]))
        if large:
            for uid, data in client.fetch(large, ["BODY.PEEK[HEADER]"]).items():
                header = data.get(b"BODY[HEADER]", b"")
                found[uid] = Incoming(f"{self.uidvalidity}:{uid}", bytes(header), oversized=True)
        return [found[uid] for uid in uids if uid in found]

    def mark_processed(self, id: str) -> None:
        uidvalidity, _, uid_text = id.partition(":")
        self._call(lambda client: self._mark(client, int(uidvalidity), int(uid_text)))

    def _mark(self, client: IMAPClient, uidvalidity: int, uid: int) -> None:
        if uidvalidity != self.uidvalidity:
            return  # the UID means nothing now; the message will be offered again and deduped
        client.add_flags([uid], [PROCESSED_KEYWORD])
        folder = self.settings.processed_folder
        if folder:
            if self.can_move:
                client.move([uid], folder)
            else:
                client.copy([uid], folder)
                client.delete_messages([uid])
                client.expunge([uid])

    def wait(self, timeout: float, stop_event: threading.Event) -> None:
        """IDLE until the server announces new mail (renewed before `idle_renew_seconds`), or poll."""
        deadline = time.monotonic() + timeout
        try:
            self._call(lambda client: None)  # (re)connect first, with backoff
        except MailboxUnavailable:
            return
        client = self.client
        assert client is not None
        if not self.can_idle:
            stop_event.wait(min(timeout, self.poll_interval))
            return
        try:
            client.idle()
            self._in_idle = True
            self.idling.set()
            started = time.monotonic()
            woken = self._announced_with_continuation(client)
            while not woken and not stop_event.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if time.monotonic() - started >= self.settings.idle_renew_seconds:
                    started = time.monotonic()
                    log.debug("imap.idle_renewed")
                    if self._restart_idle(client):
                        break
                slice_seconds = min(1.0, remaining)
                checked_at = time.monotonic()
                if _announces_mail(client.idle_check(timeout=slice_seconds)):
                    break
                if time.monotonic() - checked_at < slice_seconds / 2:
                    # imapclient's idle_check swallows EOF and returns [] at once: probe the
                    # connection by ending and restarting IDLE (raises if the server is gone)
                    if self._restart_idle(client):
                        break
            self.idling.clear()
            if self._in_idle:
                client.idle_done()
                self._in_idle = False
        except CONNECTION_ERRORS as exc:
            log.warning("imap.connection_lost", error=exc.__class__.__name__)
            self._drop()
            try:
                self._call(lambda client: None)
            except MailboxUnavailable:
                return
        finally:
            self.idling.clear()

    def _restart_idle(self, client: IMAPClient) -> bool:
        """End IDLE and start it again; True (and IDLE left ended) if new mail was announced meanwhile."""
        _, responses = client.idle_done()
        self._in_idle = False
        if _announces_mail(responses):
            return True
        client.idle()
        self._in_idle = True
        return self._announced_with_continuation(client)

    def _announced_with_continuation(self, client: IMAPClient) -> bool:
        """True when the server said something in the same packet as IDLE's "+ idling".

        Mail that arrives between our last SEARCH and the IDLE command is announced
        (`* n EXISTS`) right with the continuation line; imaplib's buffered reader swallows
        it together with that line, and imapclient's `idle_check` only polls the socket,
        so it would never see it. We peek at the buffer without blocking and treat any
        waiting response as a wake-up (a spurious one costs one SEARCH).
        """
        reader = getattr(getattr(client, "_imap", None), "file", None)
        peek = getattr(reader, "peek", None)
        if peek is None:
            return False
        sock = client.socket()
        sock.setblocking(False)
        try:
            return bool(peek(1))
        except (OSError, ValueError):  # nothing buffered and nothing on the wire
            return False
        finally:
            sock.settimeout(self.settings.timeout)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        self._drop()


def _announces_mail(responses) -> bool:  # noqa: ANN001 - imapclient's parsed untagged responses
    return any(len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") for r in responses or ())


def _quietly_close(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:  # noqa: BLE001 - the socket may be gone already
        pass


def build_mailbox(settings, state, stop_event: threading.Event, *, once: bool = False) -> Mailbox:
    """The mailbox named by `[mailbox] kind`."""
    if settings.mailbox.kind == "imap":
        return ImapMailbox(
            settings.imap,
            state,
            max_message_bytes=settings.limits.max_message_bytes,
            stop_event=stop_event,
            poll_interval=settings.poll_interval,
            max_connect_attempts=3 if once else None,
        )
    return MaildirMailbox(settings.inbox_path, max_message_bytes=settings.limits.max_message_bytes)


__all__ = [
    "CONNECTION_ERRORS",
    "ImapMailbox",
    "Incoming",
    "Mailbox",
    "MailboxUnavailable",
    "MaildirMailbox",
    "PROCESSED_KEYWORD",
    "build_mailbox",
]
