"""CPU per request of a server under load: its workers' and their PostgreSQL backends' CPU
time over a phase (from /proc), and the load generator's own (this thread).

On a shared 2-core machine latency is noisy and CPU per request much less so: 2 cores divided
by (worker + database ms per request) bounds the rate the machine could serve if it were idle.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from bench.rss import children, cmdline

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` so far (None once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def database_name() -> str | None:
    """The PostgreSQL database the benchmark uses (None on SQLite, which runs in the workers)."""
    from django.db import connection

    return connection.settings_dict["NAME"] if connection.vendor == "postgresql" else None


def backends(database: str) -> list[int]:
    """PostgreSQL backends connected to ``database``, by their process title
    ("postgres: 15/main: user database host(port) state")."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            title = cmdline(int(entry.name)).split()
            if len(title) > 3 and title[0] == "postgres:" and title[3] == database:
                found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds spent during a ``with`` block by the server's workers (``workers``), the
    database backends serving them (``database_cpu``) and the calling thread, which runs the load
    generator (``load_tool``).

    Sampled every ``interval`` in a thread, so that a process that comes or goes during the block
    (a worker's connection recycled after CONN_MAX_AGE) still counts up to its last sample."""

    def __init__(self, server_pid: int, database: str | None, interval: float = 0.25):
        self.server_pid, self.database, self.interval = server_pid, database, interval
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self, initial: bool = False) -> None:
        groups = [("workers", children(self.server_pid))]
        if self.database:
            groups.append(("database", backends(self.database)))
        for group, pids in groups:
            for pid in pids:
                seconds = cpu_seconds(pid)
                if seconds is None:
                    continue
                # A process first seen after the start did all its work within the block.
                self.first.setdefault((group, pid), seconds if initial else 0.0)
                self.last[(group, pid)] = seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def spent(self, group: str) -> float:
        return sum(self.last[key] - self.first[key] for key in self.last if key[0] == group)

    def __enter__(self) -> CpuMeter:
        self.sample(initial=True)
        self.started = time.thread_time()  # the load generator's thread, not the samplers
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.load_tool = time.thread_time() - self.started
        self.sample()
        self.workers, self.database_cpu = self.spent("workers"), self.spent("database")
