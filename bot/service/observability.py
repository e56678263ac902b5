"""Telling the outside world how the worker is doing: metrics, /healthz and systemd notifications.

- `Metrics`: Prometheus counters and a latency histogram in a registry of their own (two
  workers in one process, as in tests, do not collide). Without the optional
  `prometheus-client` package, or with `[observability] metrics = false`, every call is a no-op.
- `HealthServer`: `/healthz` (JSON; 503 when the loop has not come round for
  `stale_seconds`) and `/metrics` over HTTP on a local port, in a daemon thread. The worker
  hands it a snapshot after each pass, so the HTTP thread never touches the database.
- `sd_notify`: the systemd notify protocol (one datagram to `$NOTIFY_SOCKET`), so the unit
  can use `Type=notify`; no extra dependency.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

log = structlog.get_logger("foibot.observability")

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def sd_notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send `READY=1`, `STATUS=...`, `STOPPING=1`, `WATCHDOG=1` to systemd; False when not under systemd."""
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError as exc:
        log.warning("systemd.notify_failed", error=exc.__class__.__name__)
        return False


class Metrics:
    """The worker's counters; no-ops when disabled or when prometheus-client is missing."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = False
        self.registry = None
        if not enabled:
            return
        try:
            from prometheus_client import CollectorRegistry, Counter, Histogram
        except ImportError:
            log.warning("metrics.unavailable", hint="pip install prometheus-client, or set [observability] metrics = false")
            return
        self.registry = CollectorRegistry()
        r = self.registry
        self.seen = Counter("foibot_messages_seen", "Emails recorded for the first time", registry=r)
        self.triaged = Counter("foibot_messages_triaged", "Replies triaged, by outcome", ["outcome"], registry=r)
        self.skipped = Counter("foibot_messages_skipped", "Emails not answered (filters, allowlist)", registry=r)
        self.quarantined = Counter(
            "foibot_messages_quarantined", "Emails put in quarantine, by reason", ["reason"], registry=r
        )
        self.failures = Counter("foibot_message_failures", "Failed tries to process an email", registry=r)
        self.send_failures = Counter(
            "foibot_send_failures", "Summaries that could not be sent, by kind", ["kind"], registry=r
        )
        self.sent = Counter("foibot_summaries_sent", "Summaries sent", registry=r)
        self.latency = Histogram(
            "foibot_processing_seconds", "Time to triage one email and queue its summary", buckets=LATENCY_BUCKETS, registry=r
        )
        self.reconnects = Counter("foibot_imap_reconnects", "IMAP connections after the first one", registry=r)
        self.enabled = True

    def render(self) -> bytes:
        if not self.enabled:
            return b""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class Observer:
    """What the worker reports to: metrics, the health snapshot, systemd. Safe to call from the worker thread."""

    def __init__(self, *, metrics: bool = True, stale_seconds: float = 900.0, environ: dict[str, str] | None = None) -> None:
        self.metrics = Metrics(metrics)
        self.stale_seconds = stale_seconds
        self.environ = environ
        self.started_at = time.time()
        self._lock = threading.Lock()
        self._last_pass: float | None = None
        self._snapshot: dict[str, Any] = {}
        self._imap_connects = 0
        self.server: HealthServer | None = None

    @classmethod
    def from_settings(cls, settings) -> Observer:
        obs = settings.observability
        return cls(metrics=obs.metrics and bool(obs.port), stale_seconds=obs.stale_seconds)

    # ---------------------------------------------------------- events

    def message_seen(self) -> None:
        if self.metrics.enabled:
            self.metrics.seen.inc()

    def message_triaged(self, outcome: str, seconds: float) -> None:
        if self.metrics.enabled:
            self.metrics.triaged.labels(outcome=outcome).inc()
            self.metrics.latency.observe(seconds)

    def message_skipped(self) -> None:
        if self.metrics.enabled:
            self.metrics.skipped.inc()

    def message_quarantined(self, reason: str) -> None:
        if self.metrics.enabled:
            self.metrics.quarantined.labels(reason=reason).inc()

    def message_failed(self) -> None:
        if self.metrics.enabled:
            self.metrics.failures.inc()

    def summary_sent(self) -> None:
        if self.metrics.enabled:
            self.metrics.sent.inc()

    def send_failed(self, permanent: bool) -> None:
        if self.metrics.enabled:
            self.metrics.send_failures.labels(kind="permanent" if permanent else "transient").inc()

    def imap_connects(self, total: int) -> None:
        """The mailbox's connection count so far; every connection after the first is a reconnect."""
        if total > self._imap_connects:
            new = total - self._imap_connects
            if self.metrics.enabled:
                self.metrics.reconnects.inc(new - (1 if self._imap_connects == 0 else 0))
            self._imap_connects = total

    # ---------------------------------------------------------- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve /healthz and /metrics when a port is configured (/healthz says "starting" until the first pass)."""
        if port:
            self.server = HealthServer(self, host, port)
            self.server.start()
        sd_notify("STATUS=starting: loading the rules and the language model", self.environ)

    def ready(self) -> None:
        """The worker can take mail: `systemctl start` returns now (Type=notify)."""
        sd_notify("READY=1\nSTATUS=ready", self.environ)

    def pass_done(self, counts: dict[str, int], at: float | None = None) -> None:
        """The loop came round (at `at`, default now): refresh the health snapshot and systemd's status line."""
        with self._lock:
            self._last_pass = time.time() if at is None else at
            self._snapshot = dict(counts)
        sd_notify(
            f"STATUS=seen {counts.get('seen', 0)}, sent {counts.get('sent', 0)}, queued {counts.get('queued', 0)},"
            f" quarantined {counts.get('quarantined', 0)}\nWATCHDOG=1",
            self.environ,
        )

    def stop(self) -> None:
        sd_notify("STOPPING=1", self.environ)
        if self.server is not None:
            self.server.stop()
            self.server = None

    def health(self, now: float | None = None) -> tuple[bool, dict[str, Any]]:
        """(healthy?, the JSON body of /healthz)."""
        now = time.time() if now is None else now
        with self._lock:
            last, snapshot = self._last_pass, dict(self._snapshot)
        age = None if last is None else round(now - last, 1)
        # before the first pass completes the worker is starting (a slow IMAP connect), not dead
        starting = last is None and now - self.started_at < self.stale_seconds
        healthy = starting or (age is not None and age < self.stale_seconds)
        body = {
            "status": "ok" if healthy else "stale",
            "starting": starting,
            "last_pass_age_seconds": age,
            "uptime_seconds": round(now - self.started_at, 1),
            **snapshot,
        }
        return healthy, body


class HealthServer:
    """A tiny HTTP server in a daemon thread: GET /healthz and GET /metrics."""

    def __init__(self, observer: Observer, host: str, port: int) -> None:
        self.observer = observer
        handler = _handler_for(observer)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="foibot-health", daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self) -> None:
        self.thread.start()
        log.info("health.listening", port=self.port)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _handler_for(observer: Observer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "foibot"

        def do_GET(self) -> None:  # noqa: N802 - http.server hook name
            if self.path.split("?")[0] == "/healthz":
                healthy, body = observer.health()
                self._reply(200 if healthy else 503, "application/json", json.dumps(body).encode())
            elif self.path.split("?")[0] == "/metrics" and observer.metrics.enabled:
                self._reply(200, "text/plain; version=0.0.4; charset=utf-8", observer.metrics.render())
            else:
                self._reply(404, "text/plain", b"not found\n")

        def _reply(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: no access log
            return

    return Handler
