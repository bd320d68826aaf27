"""Benchmarks 2 (opening a cycle) and 3 (HR dashboards) run small, so that they cannot rot; their
figures are printed, never asserted."""

import os
import re
import subprocess
import sys

from .bench_support import ROOT, bench_database, figures_of


def run(script: str, args: list[str], url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_open_cycle_benchmark_creates_a_plan_per_employee_and_prints_progress(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_a") as (url, _postgres):
        result = run("bench/open_cycle.py", ["--employees", "300", "--progress-interval", "0.05"], url)
        printed = figures_of(result.stdout)
        assert int(printed["open_cycle_employees"]) == 300
        assert int(printed["open_cycle_members"]) == 300
        assert int(printed["open_cycle_plans"]) == 300
        assert int(printed["open_cycle_open_tasks"]) == 300
        assert printed["open_cycle_status"] == "open"
        assert float(printed["open_cycle_seconds"]) > 0
        assert float(printed["open_cycle_plans_per_s"]) > 0
        assert re.search(r"^progress 300/300 [0-9.]+s$", result.stdout, re.M)


def test_the_dashboard_benchmark_fills_once_then_reuses_and_prints_each_latency(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_a") as (url, postgres):
        args = ["--employees", "300", "--repetitions", "3"]
        first = figures_of(run("bench/dashboard.py", args, url).stdout)
        assert int(first["fill_documents"]) == int(first["dashboard_documents_in_database"]) > 4000
        assert int(first["fill_report_rows"]) > 12 * 250  # 12 months of last year's, 3 of this year's
        for name in ("progress_of", "cycle_progress", "api_cycle_progress", "hr_dashboard"):
            assert float(first[f"{name}_p50_ms"]) > 0 and float(first[f"{name}_p95_ms"]) > 0
            assert int(first[f"{name}_queries"]) > 0
        assert int(first["progress_of_queries"]) <= 2  # the snapshot, not a recount
        assert float(first["progress_refresh_ms"]) > 0 and float(first["progress_of_first_read_ms"]) > 0

        again = run("bench/dashboard.py", [*args, "--reuse"], url).stdout
        assert "reusing data set DB300" in again and "fill_documents" not in again
        assert figures_of(again)["dashboard_documents_in_database"] == first["dashboard_documents_in_database"]
