"""The pieces of a full stack that the benchmarks run on their own (bench/fanout.py, bench/faults.py).

Every piece listens on 127.0.0.1 and a free port, and can be stopped and started again on the
same port, which is how bench/faults.py makes its outages:

- ``PostgresCluster``: a PostgreSQL cluster of its own in a temporary directory (initdb, pg_ctl),
  so that stopping it stops nobody else's database;
- ``RedisServer``: a redis-server of its own, without persistence (a restart loses the queue,
  as a Redis that lost its data does);
- ``SmtpSink``: a minimal SMTP server in a forked process that accepts every message and counts
  them by Message-ID, and can refuse service (an SMTP outage);
- ``WebhookReceiver``: an HTTP server in a thread that records each event id it accepts, and can
  answer 500 (a failing receiver);
- ``start_worker``, ``start_beat``, ``start_gunicorn`` and ``stop_group``: the product's processes.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
    return value


def listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


# PostgreSQL ------------------------------------------------------------------------------------


def postgres_binary(name: str) -> str | None:
    """A PostgreSQL server binary (initdb, pg_ctl): on PATH, else Debian's newest version."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return str(candidates[-1]) if candidates else None


class PostgresCluster:
    """A cluster of its own in a temporary directory, with trust authentication on loopback.

    PostgreSQL refuses to run as root: run as root, the cluster belongs to the ``postgres`` user
    and its commands run through ``runuser``."""

    def __init__(self):
        self.initdb, self.pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise SystemExit("needs PostgreSQL's server binaries (initdb, pg_ctl)")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kinerja-bench-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.user = "postgres" if self.as_user else os.environ.get("USER", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@{HOST}:{self.port}/kinerja"

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self.as_user, *command], capture_output=True, text=True)
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{log}")

    def create(self) -> PostgresCluster:
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8", "--no-instructions")
        self.start()
        subprocess.run(["psql", f"postgres://{self.user}@{HOST}:{self.port}/postgres", "-qtc", "CREATE DATABASE kinerja"],
                       capture_output=True, check=True)
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c max_connections=200"
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back and every connection is dropped."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        subprocess.run([*self.as_user, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


# Redis --------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of its own without persistence: a restart starts empty."""

    def __init__(self):
        if not shutil.which("redis-server"):
            raise SystemExit("needs a redis-server binary")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kinerja-bench-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{database}"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: listening(self.port), timeout=20, what="redis-server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# A local SMTP sink ------------------------------------------------------------------------------


def _smtp_serve(port: int, received, duplicates, down, ready, record: str | None) -> None:
    """A minimal SMTP server (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that accepts every
    message and counts them, and the messages seen twice (by Message-ID); while ``down`` it
    greets with 421 and hangs up, as a mail server out of service does."""
    seen: set[bytes] = set()
    log = open(record, "ab", buffering=0) if record else None  # noqa: SIM115 - open for the process's life

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if down.value:
            writer.write(b"421 sink out of service\r\n")
            await writer.drain()
            writer.close()
            return
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                message_id = None
                while (data := await reader.readline()) not in (b".\r\n", b""):
                    if message_id is None and data[:11].lower() == b"message-id:":
                        message_id = data[11:].strip()
                if message_id in seen:
                    duplicates.value += 1
                seen.add(message_id)
                received.value += 1
                if log:
                    log.write((message_id or b"-") + b"\n")
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(session, HOST, port, backlog=256)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


class SmtpSink:
    """The SMTP sink in a forked process (start it before Django: it needs none of it), with its
    counts in shared memory and, with ``record``, each message's Message-ID appended to a file."""

    def __init__(self, record: Path | None = None):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.port = free_port()
        self.record = record
        self.received, self.duplicates, self.down = context.Value("q", 0), context.Value("q", 0), context.Value("b", 0)
        ready = context.Event()
        self.process = context.Process(target=_smtp_serve, daemon=True,
                                       args=(self.port, self.received, self.duplicates, self.down, ready,
                                             str(record) if record else None))
        self.process.start()
        ready.wait(10)

    @property
    def pid(self) -> int:
        return self.process.pid

    def message_ids(self) -> Counter:
        """How often each Message-ID arrived (needs ``record``)."""
        if not self.record or not self.record.exists():
            return Counter()
        return Counter(line.strip("<>") for line in self.record.read_text().split())

    def stop(self) -> None:
        self.process.terminate()


# A webhook receiver --------------------------------------------------------------------------------


class WebhookReceiver(http.server.ThreadingHTTPServer):
    """Accepts webhook POSTs and counts each event id it answered 200 to; while ``failing`` it
    answers 500 (and records nothing: the sender must try again)."""

    daemon_threads = True

    def __init__(self):
        super().__init__((HOST, 0), _WebhookHandler)
        self.accepted: Counter = Counter()
        self.refused = 0
        self.failing = False
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/hook"


class _WebhookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: WebhookReceiver = self.server
        with server.lock:
            if server.failing:
                server.refused += 1
                status = 500
            else:
                server.accepted[json.loads(body)["id"]] += 1
                status = 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


# The product's processes ---------------------------------------------------------------------------


def celery_queues() -> list[str]:
    """Every queue the settings route tasks to, besides the default one (a worker started
    without -Q would consume only the default queue); call after django.setup()."""
    from config.celery_app import app

    conf = app.conf
    queues = {conf.task_default_queue}
    routes = conf.task_routes or {}
    for route in (routes.values() if isinstance(routes, dict) else []):
        if isinstance(route, dict) and route.get("queue"):
            queues.add(route["queue"])
    for queue in conf.task_queues or []:
        queues.add(getattr(queue, "name", queue))
    return sorted(queues)


def _wait_ready(process: subprocess.Popen, log: Path, marker: str, what: str) -> None:
    deadline = time.monotonic() + 60
    while marker not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the {what} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def start_worker(env: dict, concurrency: int, log: Path, name: str = "bench", queues: list[str] | None = None) -> subprocess.Popen:
    """A prefork Celery worker in a process group of its own (so that it can be killed whole)."""
    log.write_text("")
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=prefork",
               f"--concurrency={concurrency}", "--without-mingle", "--without-gossip", "--loglevel=INFO",
               f"--logfile={log}", "-n", f"{name}-{os.getpid()}@%h"]
    if queues:
        command += ["-Q", ",".join(queues)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               start_new_session=True)
    _wait_ready(process, log, "ready.", "worker")
    return process


def start_beat(env: dict, log: Path, schedule: Path) -> subprocess.Popen:
    log.write_text("")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config.celery_app", "beat", "--loglevel=INFO", f"--logfile={log}",
         f"--schedule={schedule}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )
    _wait_ready(process, log, "beat: Starting", "beat")
    return process


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{port}", "--workers", str(workers),
         "--timeout", "120", "--no-control-socket", "--error-logfile", str(log)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    wait_for(lambda: listening(port) or process.poll() is not None, timeout=60, what="gunicorn")
    if process.poll() is not None:
        raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
    return process


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and its children at once (a crash: nothing is acknowledged or cleaned)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def stop_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            kill_group(process)
