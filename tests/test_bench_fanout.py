"""Bench 5 (notification fan-out) runs small through a real Celery worker, Redis and SMTP, so that
it cannot rot; its figures are not asserted, only that everything was delivered once."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .bench_support import create_database, drop_database, run_database_name

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATABASE = "kinerja_bench_test_c"  # made this run's own (run_database_name)
BENCH_REDIS_DB = 6  # a database number of its own: the benchmark empties it


def _require(reason: str):
    if os.environ.get("KINERJA_REQUIRE_SERVICES"):
        pytest.fail(f"CI requires the fan-out benchmark: {reason}")
    pytest.skip(reason)


@pytest.fixture
def bench_services() -> Iterator[tuple[str, str]]:
    """A new PostgreSQL database of this run's own (dropped at the end) and the benchmark's Redis
    database, on the suite's servers."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres"):
        _require("needs PostgreSQL (DATABASE_URL): the worker process shares the benchmark's database")
    if not redis_url:
        _require("needs Redis (REDIS_URL): the benchmark's broker")
    base = database_url.rsplit("/", 1)[0]
    own = run_database_name(BENCH_DATABASE)
    create_database(base, own)
    try:
        yield f"{base}/{own}", urlparse(redis_url)._replace(path=f"/{BENCH_REDIS_DB}").geturl()
    finally:
        drop_database(base, own)


def test_the_fanout_benchmark_delivers_every_email_once_through_a_real_worker(tmp_path, bench_services):
    database_url, redis_url = bench_services
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    command = [sys.executable, "bench/fanout.py", "--notifications", "300", "--timeout", "240",
               "--log", str(tmp_path / "worker.log")]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    figures = dict(re.findall(r"^(\w+) ([0-9.]+)$", result.stdout, re.M))
    assert "progress t=" in result.stdout
    for name in ("fanout_notifications", "fanout_deliveries", "fanout_deliveries_sent", "fanout_delivery_attempts",
                 "fanout_smtp_messages"):
        assert int(figures[name]) == 300, name
    assert int(figures["fanout_deliveries_failed"]) == 0 and int(figures["fanout_smtp_duplicates"]) == 0
    assert {"fanout_seconds", "fanout_deliveries_per_s", "celery_worker_peak_rss_mb"} <= figures.keys()
