"""What the benchmarks' small runs share: a database of each benchmark's own, and its figures."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_database(tmp_path, name: str) -> tuple[str, bool]:
    """A database of the benchmark's own, made afresh: on PostgreSQL when the suite runs there
    (CI), else an SQLite file under ``tmp_path``. Returns its URL and whether it is PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base = url.rsplit("/", 1)[0]
        subprocess.run(["psql", f"{base}/postgres", "-qtc", f"DROP DATABASE IF EXISTS {name}"], capture_output=True)
        subprocess.run(["psql", f"{base}/postgres", "-qtc", f"CREATE DATABASE {name}"], capture_output=True, check=True)
        return f"{base}/{name}", True
    return f"sqlite:///{tmp_path / 'bench.sqlite3'}", False


def figures_of(output: str) -> dict[str, str]:
    """A benchmark's `name value` lines."""
    return dict(re.findall(r"^(\w+) (\S+)$", output, re.M))
