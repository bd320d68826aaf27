"""The benchmark scripts run (small), so that they cannot rot; their figures are not asserted."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_database(tmp_path) -> tuple[str, bool]:
    """A database of the benchmark's own: on PostgreSQL when the suite runs there (CI), else SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base = url.rsplit("/", 1)[0]
        name = "kinerja_bench_test"
        subprocess.run(["psql", f"{base}/postgres", "-qtc", f"DROP DATABASE IF EXISTS {name}"], capture_output=True)
        subprocess.run(["psql", f"{base}/postgres", "-qtc", f"CREATE DATABASE {name}"], capture_output=True, check=True)
        return f"{base}/{name}", True
    return f"sqlite:///{tmp_path / 'bench.sqlite3'}", False


def test_the_transition_benchmark_runs_and_prints_its_figures(tmp_path):
    url, postgres = bench_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    env.pop("REDIS_URL", None)
    command = [sys.executable, "bench/transitions.py", "--pairs", "8", "--pgbench-seconds", "1"]
    result = subprocess.run(command + ([] if postgres else ["--max-processes", "1"]),
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^(\w+) ([0-9.]+)$", result.stdout, re.M))
    assert float(figures["engine_transitions_per_s_1_process"]) > 0
    assert float(figures["viewflow_approve_route_per_s"]) > 0
    if postgres:
        assert float(figures["engine_transitions_per_s_2_processes"]) > 0
        assert float(figures["pgbench_tpcb_tps_1_client"]) > 0
    else:
        assert "pgbench_tpcb_tps_1_client n/a" in result.stdout
