"""Benchmark 8 (people who join, move and leave through the organisation import) runs small, so
that it cannot rot; its times are printed, never asserted."""

import os
import subprocess
import sys

from .bench_support import ROOT, bench_database, figures_of


def test_the_people_changes_benchmark_joins_moves_and_leaves_through_one_import_and_again_changes_nothing(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_p") as (url, _postgres):
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
        env.pop("REDIS_URL", None)
        command = [sys.executable, "bench/people_changes.py", "--employees", "200", "--joins", "6", "--moves", "5", "--leaves", "4"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        printed = figures_of(result.stdout)
        assert int(printed["people_changes_file_rows"]) == 200 + 1 + 6  # the regional secretary, and the joiners
        assert (printed["people_changes_joined"], printed["people_changes_moved"], printed["people_changes_left"]) == ("6", "5", "4")
        assert (printed["people_changes_plans_joined"], printed["people_changes_plans_moved"], printed["people_changes_plans_left"]) == (
            "6", "5", "4")
        assert int(printed["people_changes_queries"]) > 0 and float(printed["people_changes_seconds"]) > 0
        assert printed["people_changes_reimport_changed"] == "False"
