"""Peak resident memory of processes during a benchmark run, read from /proc (Linux).

A ``PeakRss`` samples, in a background thread, the RSS of every process whose command line
matches a pattern (a gunicorn worker, a Celery worker) and keeps the largest value seen per
process, so a benchmark can print "the peak RSS of a web worker" after its load has run:

    with PeakRss(match=lambda cmdline: "gunicorn" in cmdline, parent=server.pid) as peak:
        ... run the load ...
    print(f"web_worker_peak_rss_mb {peak.max_mb():.0f}")
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def rss_kb(pid: int) -> int:
    """The resident set of ``pid`` in kB (0 once it has gone)."""
    try:
        resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0
    return resident_pages * PAGE_KB


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (workers forked by a server or a Celery pool)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


class PeakRss:
    """Samples the RSS of ``parent`` and its descendants (those ``match`` accepts) until stopped."""

    def __init__(self, parent: int, match: Callable[[str], bool] = lambda _: True, interval: float = 0.1,
                 include_parent: bool = False):
        self.parent = parent
        self.match = match
        self.interval = interval
        self.include_parent = include_parent
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        pids = children(self.parent) + ([self.parent] if self.include_parent else [])
        for pid in pids:
            if self.match(cmdline(pid)):
                self.peaks[pid] = max(self.peaks.get(pid, 0), rss_kb(pid))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakRss:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def max_mb(self) -> float:
        """The largest peak of any one matching process, in MB (0 if none was seen)."""
        return max(self.peaks.values(), default=0) / 1024
