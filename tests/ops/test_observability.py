"""Metrics, /healthz, systemd notifications and per-message log ids, from a real worker."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
import structlog

from bot.config import load_settings
from bot.service.observability import Observer, sd_notify
from tests.ops.conftest import deliver, letter, run_once, write_config
from tests.service.conftest import free_port, wait_until
from tests.service.helpers import running_worker


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def prometheus():
    """Metrics need the optional prometheus-client package (pyproject: to be added by the owner)."""
    pytest.importorskip("prometheus_client", reason="prometheus-client is not installed: metrics are off")


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; returns a reader of what arrived."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    received: list[str] = []

    def read() -> list[str]:
        while True:
            try:
                received.append(sock.recv(4096).decode())
            except BlockingIOError:
                return list(received)

    yield read
    sock.close()


def test_a_running_worker_serves_health_and_metrics_and_notifies_systemd(tmp_path, triager, notify_socket, prometheus):
    port = free_port()
    config = write_config(tmp_path / "foibot.toml", tmp_path / "data", f"[observability]\nport = {port}")
    settings = load_settings(str(config), None)
    with running_worker(settings, triager):
        wait_until(lambda: any("READY=1" in m for m in notify_socket()), what="READY=1")
        wait_until(lambda: get(port, "/healthz")[0] == 200, what="/healthz")
        deliver(settings, "1.reply", letter("harbourfield_declines.eml"))
        wait_until(lambda: json.loads(get(port, "/healthz")[1]).get("sent") == 1, timeout=30, what="the summary")
        code, body = get(port, "/healthz")
        health = json.loads(body)
        assert code == 200 and health["status"] == "ok" and health["quarantined"] == 0
        metrics = get(port, "/metrics")[1].decode()
        assert 'foibot_messages_triaged_total{outcome="other"} 1.0' in metrics
        assert "foibot_messages_seen_total 1.0" in metrics
        assert "foibot_summaries_sent_total 1.0" in metrics
        assert "foibot_processing_seconds_count 1.0" in metrics
        assert "foibot_imap_reconnects_total 0.0" in metrics
        assert get(port, "/nothing")[0] == 404
    messages = notify_socket()
    assert any(m.startswith("STATUS=seen 1, sent 1") for m in messages)
    assert messages[-1] == "STOPPING=1"
    with pytest.raises(OSError):  # the HTTP server stopped with the worker
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_healthz_without_metrics(tmp_path, triager, notify_socket):
    port = free_port()
    config = write_config(tmp_path / "foibot.toml", tmp_path / "data", f"[observability]\nport = {port}\nmetrics = false")
    settings = load_settings(str(config), None)
    with running_worker(settings, triager):
        wait_until(lambda: any("READY=1" in m for m in notify_socket()), what="READY=1")
        deliver(settings, "1.reply", letter("harbourfield_declines.eml"))
        wait_until(lambda: json.loads(get(port, "/healthz")[1]).get("sent") == 1, timeout=30, what="the summary")
        assert get(port, "/metrics")[0] == 404


def test_healthz_is_503_when_the_loop_stops_coming_round():
    observer = Observer(metrics=False, stale_seconds=60, environ={})
    assert observer.health()[0] is True  # starting
    now = time.time()
    observer.pass_done({"seen": 3}, at=now - 30)
    healthy, body = observer.health(now)
    assert healthy and body["seen"] == 3 and body["last_pass_age_seconds"] == 30.0
    healthy, body = observer.health(now + 31)
    assert not healthy and body["status"] == "stale"


def test_imap_reconnects_count_every_connection_after_the_first(prometheus):
    observer = Observer(metrics=True, environ={})
    observer.imap_connects(1)
    observer.imap_connects(1)
    observer.imap_connects(3)
    assert "foibot_imap_reconnects_total 2.0" in observer.metrics.render().decode()


def test_metrics_are_off_without_a_port_and_notify_is_quiet_outside_systemd(tmp_path):
    settings = load_settings(str(write_config(tmp_path / "c.toml", tmp_path / "d")), None)
    assert Observer.from_settings(settings).metrics.enabled is False
    assert sd_notify("READY=1", {}) is False


def test_every_message_log_line_carries_the_per_message_id(tmp_path, triager):
    config = write_config(tmp_path / "foibot.toml", tmp_path / "data")
    settings = load_settings(str(config), None)
    deliver(settings, "1.reply", letter("harbourfield_declines.eml"))
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        assert run_once(settings, triager) == 0
    per_message = [entry for entry in logs if entry["event"].split(".")[0] in ("message", "send", "case")]
    assert {entry["event"] for entry in per_message} >= {"message.recorded", "message.triaged", "send.sent", "case.reply_recorded"}
    ids = {entry["msg"] for entry in per_message}
    assert len(ids) == 1 and len(ids.pop()) == 12


def test_send_failures_and_quarantines_are_counted(tmp_path, triager, prometheus):
    from bot.service.commands import build_worker

    closed = free_port()
    config = write_config(
        tmp_path / "foibot.toml", tmp_path / "data",
        f'[send]\nkind = "smtp"\n[limits]\nmax_message_bytes = 4000',
    )
    config.write_text(config.read_text().replace("[smtp]\n", f'[smtp]\nhost = "127.0.0.1"\nport = {closed}\ntls = "none"\ntimeout = 2.0\n'))
    settings = load_settings(str(config), None)
    deliver(settings, "1.reply", letter("harbourfield_declines.eml"))
    huge = letter("harbourfield_declines.eml", **{"hbc-5521": "hbc-9999", "Yours sincerely": "x" * 5000})
    deliver(settings, "2.huge", huge)
    worker = build_worker(settings, threading.Event(), once=True, triager=triager)
    worker.observer = Observer(metrics=True, environ={})
    try:
        assert worker.run(once=True) == 0
    finally:
        worker.state.close()
    metrics = worker.observer.metrics.render().decode()
    assert "foibot_messages_seen_total 2.0" in metrics
    assert 'foibot_messages_triaged_total{outcome="other"} 1.0' in metrics
    assert 'foibot_messages_quarantined_total{reason="oversized"} 1.0' in metrics
    assert 'foibot_send_failures_total{kind="transient"} 1.0' in metrics
    assert "foibot_summaries_sent_total 0.0" in metrics
