"""The synthetic cycle goes through every step of the year via the engine and ends closed."""

import pytest
from django.core.management import call_command

from processes.models import Assessment, Cycle, MonthlyReport, Objection, Plan
from processes.simulation import Simulation
from workflow import audit

pytestmark = pytest.mark.django_db


def test_a_simulated_year_ends_ratified_and_closed_with_each_step_timed():
    result = Simulation(60, months=1, seed=3, prefix="SIMT").run()
    cycle = Cycle.objects.get(pk=result["cycle"])
    assert cycle.status == Cycle.Status.CLOSED
    plans = Plan.objects.filter(cycle=cycle)
    assert plans.count() == 59  # everyone but the regional secretary, who is outside the scope
    assert set(plans.values_list("status", flat=True)) == {"approved"}
    assert MonthlyReport.objects.filter(cycle=cycle, status="accepted").count() == 59
    assert set(Assessment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"ratified"}
    assert result["counts"]["objections"] == Objection.objects.filter(cycle=cycle).count()
    assert result["counts"]["plans returned"] > 0  # about one in five
    assert set(result["seconds"]) >= {"plans", "scoring", "forum review", "ratification"}
    assert not list(audit.verify())  # every step went through the engine's audited path


def test_the_command_prints_the_counts_and_the_time_per_step(capsys):
    call_command("simulate_cycle", employees=30, months=1, prefix="SIMC")
    out = capsys.readouterr().out
    assert "plans: 29" in out and "ratified: 29" in out and "closed" in out and "forum review:" in out
