#!/usr/bin/env python
"""Bench 6: peak resident memory of a web worker and of a Celery worker while they work.

Runs bench 4 (transitions over HTTP through gunicorn) and bench 5 (notification fan-out through
a real Celery worker and Redis), each of which samples its workers' RSS from /proc for the whole
run (bench/rss.py), and prints the two peaks beside the target:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/memory.py

Without REDIS_URL only the web worker is measured (the fan-out needs a broker).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 250


def run(script: str, *args: str) -> dict[str, str]:
    """Run a benchmark script; its `name value` lines as a dict (its output passes through)."""
    result = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(result.stderr[-2000:] if result.returncode else "")
    if result.returncode:
        raise SystemExit(f"bench/{script} failed with exit code {result.returncode}")
    return dict(re.findall(r"^(\w+) (\S+)$", result.stdout, re.M))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,200", help="bench 4's rates (requests per second)")
    parser.add_argument("--seconds", default="20", help="bench 4's length of each rate")
    parser.add_argument("--workers", default="3", help="gunicorn workers (1 on SQLite)")
    parser.add_argument("--notifications", default="50000", help="bench 5's notifications")
    args = parser.parse_args()

    web = run("http.py", "--models", "cli", "--rates", args.rates, "--seconds", args.seconds, "--workers", args.workers)
    print(f"web_worker_peak_rss_mb {web['cli_web_worker_peak_rss_mb']}")
    if os.environ.get("REDIS_URL"):
        worker = run("fanout.py", "--notifications", args.notifications)
        print(f"celery_worker_peak_rss_mb {worker['celery_worker_peak_rss_mb']}")
    else:
        print("celery_worker_peak_rss_mb n/a (set REDIS_URL for the fan-out)")
    print(f"target_peak_rss_mb {TARGET_MB}")


if __name__ == "__main__":
    main()
