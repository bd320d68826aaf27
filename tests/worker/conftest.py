"""Real Celery workers for the delivery tests: worker processes on a Redis server of the test's
own (so that a test can stop and restart it) and the PostgreSQL test database.

They need PostgreSQL (a worker process cannot share SQLite's in-memory test database) and a
redis-server binary; CI sets KINERJA_REQUIRE_SERVICES, and there a missing piece fails the run
instead of skipping it.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from config.celery_app import app as celery_app
from notifications.services import ENDPOINTS_CACHE_KEY

ROOT = Path(__file__).resolve().parents[2]


def _require(reason: str):
    if os.environ.get("KINERJA_REQUIRE_SERVICES"):
        pytest.fail(f"CI requires the worker tests: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout: float = 60, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.dir = tmp
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: self._ping(), timeout=20, what="redis-server")

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Worker:
    """A `celery -A config worker` process, killed with SIGKILL when asked (a crash)."""

    def __init__(self, env: dict, log: Path, queues: list[str] | None = None):
        self.env, self.log, self.process, self.queues = env, log, None, queues

    def start(self):
        self.log.write_text("")
        # Without -Q a worker consumes every queue (CELERY_TASK_QUEUES); with it, only those.
        only = ["-Q", ",".join(self.queues)] if self.queues else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1", *only,
             "--without-mingle", "--without-gossip", "--loglevel=INFO", f"--logfile={self.log}"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log.read_text() or self.process.poll() is not None, timeout=60, what="worker ready")
        assert self.process.poll() is None, self.log.read_text()[-3000:]

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def services(transactional_db):
    if connection.vendor != "postgresql":
        _require("needs PostgreSQL (DATABASE_URL): a worker process cannot see SQLite's in-memory test database")
    if not shutil.which("redis-server"):
        _require("needs a redis-server binary")


@pytest.fixture
def redis_server(services, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


def sent_mails(mailbox: Path) -> list[str]:
    """Every message the file backend wrote: one file per connection, and the worker sends a
    batch of e-mails over one connection, each message followed by a line of dashes."""
    separator = "\n" + "-" * 79 + "\n"
    return [message for p in sorted(mailbox.glob("*.log")) for message in p.read_text().split(separator) if message.strip()]


@pytest.fixture
def worker_env(redis_server, mailbox, tmp_path) -> dict:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": redis_server.url,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_EMAIL_FILE_PATH": str(mailbox),
        # A killed worker's unacknowledged task comes back quickly.
        "KINERJA_BROKER_VISIBILITY_TIMEOUT": "5",
    }
    return env


@pytest.fixture
def publish_to(redis_server, settings):
    """This test process publishes tasks to the test's Redis instead of running them eagerly."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_server.url,
                           broker_transport_options={**saved["broker_transport_options"], "visibility_timeout": 5})
    _reset_pools()
    cache.delete(ENDPOINTS_CACHE_KEY)
    yield
    celery_app.conf.update(saved)
    _reset_pools()
    cache.delete(ENDPOINTS_CACHE_KEY)


def _reset_pools():
    """Forget the connections to the previous broker (the app's pool and kombu's registry)."""
    from kombu import pools

    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def start_worker(worker_env, publish_to, tmp_path):
    workers = []

    def start(queues: list[str] | None = None) -> Worker:
        worker = Worker(worker_env, tmp_path / f"worker-{len(workers)}.log", queues)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver that records requests, deduplicates by event id, and can hold the
    first request (to let the test kill the worker mid-delivery)."""

    def __init__(self, hold_first: float = 0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.processed: set[str] = set()
        self.hold_first = hold_first
        self.first_arrived = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: Receiver = self.server
        with server.lock:
            server.requests.append({"headers": dict(self.headers), "body": body})
            first = len(server.requests) == 1
        if first and server.hold_first:
            server.first_arrived.set()
            time.sleep(server.hold_first)  # the worker is killed meanwhile; the answer goes nowhere
            return
        with server.lock:
            server.processed.add(json.loads(body)["id"])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver_factory():
    servers = []

    def make(hold_first: float = 0) -> Receiver:
        server = Receiver(hold_first)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.shutdown()
