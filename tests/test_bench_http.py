"""Bench 4 (HTTP under load) runs, small, so that it cannot rot; its figures are not asserted."""

import os
import subprocess
import sys

from .bench_support import ROOT, bench_database, figures_of


def test_the_http_benchmark_runs_and_every_200_is_a_transition(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_b") as (url, postgres):
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
        env.pop("REDIS_URL", None)
        # SQLite takes one writer at a time: one sync worker there.
        command = [sys.executable, "bench/http.py", "--rates", "5,10", "--seconds", "2", "--workers", "2" if postgres else "1"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        figures = figures_of(result.stdout)
        for name in ("get_floor", "transition"):
            for rate in ("5", "10"):
                for figure in ("achieved_per_s", "p50_ms", "p99_ms", "worker_cpu_ms_per_req"):
                    assert f"{name}_rate_{rate}_{figure}" in figures, result.stdout
        assert float(figures["web_worker_peak_rss_mb"]) > 0
        # Every 200 was a real transition: the plans submitted are exactly the requests answered 200.
        assert int(figures["transition_ok_total"]) > 0
        assert figures["plans_submitted_total"] == figures["transition_ok_total"]
