"""What the benchmarks' small runs share: a database of each run's own, and its figures."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_database_name(name: str) -> str:
    """``name`` made this run's own (process id and a random token): two runs of the suite on one
    server, at the same time, never create, use or drop each other's databases."""
    return f"{name}_{os.getpid()}_{secrets.token_hex(4)}"


def create_database(base: str, name: str) -> None:
    """Create database ``name`` on the server of ``base`` (a URL without its database name)."""
    subprocess.run(["psql", f"{base}/postgres", "-qtc", f"CREATE DATABASE {name}"], capture_output=True, check=True)


def drop_database(base: str, name: str) -> None:
    """Drop database ``name`` (a run's own), even if a process it started still holds a connection."""
    subprocess.run(["psql", f"{base}/postgres", "-qtc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


@contextmanager
def bench_database(tmp_path, name: str) -> Iterator[tuple[str, bool]]:
    """A new database of this run's own: on PostgreSQL when the suite runs there (CI), named
    ``name`` plus a per-run suffix and dropped at the end; else an SQLite file under ``tmp_path``.
    Gives its URL and whether it is PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'bench.sqlite3'}", False
        return
    base = url.rsplit("/", 1)[0]
    own = run_database_name(name)
    create_database(base, own)
    try:
        yield f"{base}/{own}", True
    finally:
        drop_database(base, own)


def figures_of(output: str) -> dict[str, str]:
    """A benchmark's `name value` lines."""
    return dict(re.findall(r"^(\w+) (\S+)$", output, re.M))


def missing_service_binaries() -> list[str]:
    """The server binaries a benchmark that runs services of its own (bench/stack.py) needs and
    this machine lacks."""
    import shutil

    from bench.stack import postgres_binary

    missing = [name for name in ("initdb", "pg_ctl") if not postgres_binary(name)]
    return missing + [name for name in ("redis-server", "psql") if not shutil.which(name)]
