"""The benchmark scripts run (small), so that they cannot rot; their figures are not asserted."""

import os
import subprocess
import sys

from .bench_support import ROOT, bench_database, figures_of


def test_the_transition_benchmark_runs_and_prints_its_figures(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test") as (url, postgres):
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
        env.pop("REDIS_URL", None)
        command = [sys.executable, "bench/transitions.py", "--pairs", "8", "--pgbench-seconds", "1"]
        result = subprocess.run(command + ([] if postgres else ["--max-processes", "1"]),
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        figures = figures_of(result.stdout)
        assert float(figures["engine_transitions_per_s_1_process"]) > 0
        assert float(figures["viewflow_approve_route_per_s"]) > 0
        assert float(figures["ratio_engine_1_process_to_viewflow"]) > 0
        if postgres:
            assert float(figures["engine_transitions_per_s_2_processes"]) > 0
            assert float(figures["pgbench_tpcb_tps_1_client"]) > 0
        else:
            assert "pgbench_tpcb_tps_1_client n/a" in result.stdout
