"""Bench 7 (the full stack under faults) runs small, on PostgreSQL and Redis servers of its own,
so that it cannot rot. Its times are printed, never asserted; what is asserted is the product's
promise: no lost update, nothing lost, no delivery twice, the audit chains intact."""

import os
import subprocess
import sys

import pytest

from .bench_support import ROOT, figures_of, missing_service_binaries

PHASES = ("baseline", "worker_kill", "redis_outage", "webhook_failing", "smtp_outage", "postgres_outage")


def _require(reason: str):
    if os.environ.get("KINERJA_REQUIRE_SERVICES"):
        pytest.fail(f"CI requires the faults benchmark: {reason}")
    pytest.skip(reason)


@pytest.fixture
def service_binaries():
    """It runs with the suite's services (DATABASE_URL, REDIS_URL), and starts its own from the
    same binaries: a missing one fails in CI rather than skipping."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        _require("runs with the suite's services (DATABASE_URL on PostgreSQL and REDIS_URL)")
    missing = missing_service_binaries()
    if missing:
        _require(f"needs the service binaries {', '.join(missing)}")


def test_the_faults_benchmark_loses_nothing_and_no_update_through_every_fault(tmp_path, service_binaries):
    command = [sys.executable, "bench/faults.py", "--plans", "12", "--race-requests", "40", "--notifications", "40",
               "--outage-seconds", "2", "--retry-seconds", "3", "--timeout", "90", "--workdir", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    figures = figures_of(result.stdout)
    print(result.stdout)
    assert figures["race_http_200"] == "1" and figures["race_http_409"] == "39", result.stdout
    assert figures["race_lost_updates"] == "0"
    for phase in PHASES:
        assert figures[f"{phase}_notifications"] == "40", phase
        assert figures[f"{phase}_email_lost"] == figures[f"{phase}_webhook_lost"] == "0", (phase, result.stdout)
        assert f"{phase}_seconds_to_deliver_after_recovery" in figures
    assert int(figures["notifications_written"]) >= 40 * len(PHASES)
    assert figures["notifications_in_app_missing"] == "0"
    for channel in ("email", "webhook"):
        assert figures[f"{channel}_received"] == figures[f"{channel}_deliveries"] == figures["notifications_written"], channel
        for figure in ("lost", "unexpected_ids", "duplicates"):
            assert figures[f"{channel}_{figure}"] == "0", (channel, figure, result.stdout)
    assert figures["deliveries_failed"] == "0"
    assert figures["audit_verify_ok"] == "1" and int(figures["audit_events_verified"]) > 0
