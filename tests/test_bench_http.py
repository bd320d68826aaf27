"""Bench 4 (HTTP under load) runs, small, so that it cannot rot; its figures are not asserted."""

import os
import subprocess
import sys

from .bench_support import ROOT, bench_database, figures_of


def test_the_http_benchmark_runs_both_worker_models_and_every_200_is_a_transition(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_b") as (url, postgres):
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
        env.pop("REDIS_URL", None)
        # SQLite takes one writer at a time: one single-threaded worker per model there.
        models = ["sync2", "conf"] if postgres else ["cli", "conf"]
        if not postgres:
            env.update(WEB_CONCURRENCY="1", GUNICORN_THREADS="1")
        command = [sys.executable, "bench/http.py", "--rates", "5,10", "--seconds", "2", "--workers", "1",
                   "--models", ",".join(models)]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        figures = figures_of(result.stdout)
        for model in models:
            for name in ("get_floor", "transition"):
                for rate in ("5", "10"):
                    for figure in ("achieved_per_s", "goodput_per_s", "shed", "p50_ms", "p99_ms", "worker_cpu_ms_per_req"):
                        assert f"{model}_{name}_rate_{rate}_{figure}" in figures, result.stdout
            assert float(figures[f"{model}_web_worker_peak_rss_mb"]) > 0
        # Every 200 was a real transition: the plans submitted are the requests answered 200, and
        # those whose client gave up first (none expected at these rates, but counted apart).
        assert int(figures["transition_ok_total"]) > 0
        unanswered = sum(int(figures[f"{model}_committed_unanswered"]) for model in models)
        assert int(figures["plans_submitted_total"]) == int(figures["transition_ok_total"]) + unanswered
