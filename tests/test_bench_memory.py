"""Bench 6 (peak memory of the workers) runs small, so that it cannot rot; its figures are not
asserted. The Celery worker's peak comes from bench 5, whose own small run checks it."""

import os
import subprocess
import sys

from .bench_support import ROOT, bench_database, figures_of


def test_the_memory_benchmark_reports_the_web_workers_peak(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_m") as (url, postgres):
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
        env.pop("REDIS_URL", None)  # the fan-out half needs a broker of its own: bench 5's test runs it
        command = [sys.executable, "bench/memory.py", "--rates", "5", "--seconds", "2", "--workers", "2" if postgres else "1"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        printed = figures_of(result.stdout)
        assert float(printed["web_worker_peak_rss_mb"]) > 0
        assert "celery_worker_peak_rss_mb n/a" in result.stdout
        assert printed["target_peak_rss_mb"] == "250"
