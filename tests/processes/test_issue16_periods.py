"""Evaluation periods with dates: a cycle evaluates monthly, quarterly or per semester besides the
year; HR starts the periods in order; each covers only the plans active in it."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import Assessment, CycleMember, Evaluation
from processes.services.cycles import cycle_create, cycle_open
from processes.services.evaluations import evaluation_start
from processes.services.membership import member_move
from processes.services.periods import evaluation_dates, periods_of

from ..api.helpers import at
from ..conftest import client_for
from ..factories import PositionFactory
from ..lifecycle import approve_all_plans

pytestmark = pytest.mark.django_db

D = datetime.date


def opened(org, period_type: str, django_capture_on_commit_callbacks):
    cycle = cycle_create(actor=org.hr, name=f"Kinerja 2026 {period_type}", year=2026, units=[org.agency],
                         plan_deadline=D(2026, 1, 31), period_type=period_type)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=cycle, actor=org.hr)
    cycle.refresh_from_db()
    return cycle


def test_each_period_type_has_its_periods_in_order_then_the_year():
    assert periods_of("monthly") == [f"M{m:02d}" for m in range(1, 13)] + ["annual"]
    assert periods_of("semester") == ["S1", "S2", "annual"]
    assert periods_of("annual") == ["annual"]
    assert evaluation_dates(2028, "M02") == (D(2028, 2, 1), D(2028, 2, 29))  # a leap year
    assert evaluation_dates(2026, "S2") == (D(2026, 7, 1), D(2026, 12, 31))


def test_a_period_is_refused_before_an_earlier_one_and_outside_the_cycles_type(org, django_capture_on_commit_callbacks, in_english):
    cycle = opened(org, "semester", django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as early:
        evaluation_start(cycle=cycle, period="S2", actor=org.hr)
    assert "Start S1 first" in " ".join(early.value.message_dict["period"])
    with pytest.raises(ValidationError):
        evaluation_start(cycle=cycle, period="Q1", actor=org.hr)
    evaluation, _reviews, _assessments = evaluation_start(cycle=cycle, period="S1", actor=org.hr)
    assert (evaluation.start, evaluation.end) == (D(2026, 1, 1), D(2026, 6, 30))
    assert evaluation_start(cycle=cycle, period="S2", actor=org.hr)[0].period == "S2"


def test_a_monthly_cycle_through_three_months_with_a_mover_in_the_second(org, django_capture_on_commit_callbacks):
    cycle = opened(org, "monthly", django_capture_on_commit_callbacks)
    with at(1, 5):
        approve_all_plans(cycle)
    member = CycleMember.objects.select_related("cycle", "employee", "unit").get(cycle=cycle, employee=org.employee)
    with at(2, 15):
        change = member_move(member=member, position=PositionFactory(unit=org.division, superior=org.kabid.position),
                             on=D(2026, 2, 15), actor=org.hr)
        plan = change.started
        plan.results.create(title="Layanan baru", kind="main", supports=org.kabid.plans.get().results.first())
        plan.results.first().indicators.create(description="Permohonan selesai", target="20")
        from workflow.engine import perform

        perform(plan, "submit", actor=org.employee.user)
        perform(plan, "approve", actor=org.kabid.user)

    def plans_assessed(period):
        evaluation = Evaluation.objects.get(cycle=cycle, period=period)
        return sorted(a.member.plan.start for a in Assessment.objects.filter(evaluation=evaluation, employee=org.employee))

    for period in ("M01", "M02", "M03"):
        evaluation_start(cycle=cycle, period=period, actor=org.hr)
    assert plans_assessed("M01") == [D(2026, 1, 1)]
    assert plans_assessed("M02") == [D(2026, 1, 1), D(2026, 2, 15)]  # both halves of February
    assert plans_assessed("M03") == [D(2026, 2, 15)]


def test_the_api_answers_the_periods_dates_and_refuses_one_out_of_order(org, django_capture_on_commit_callbacks):
    cycle = opened(org, "quarterly", django_capture_on_commit_callbacks)
    hr = client_for(org.hr)
    url = f"/api/v1/cycles/{cycle.pk}/evaluations/"
    assert hr.post(url, {"period": "Q2"}, format="json").status_code == 400
    started = hr.post(url, {"period": "Q1"}, format="json").json()
    assert (started["period"], started["start"], started["end"]) == ("Q1", "2026-01-01", "2026-03-31")


def test_a_monthly_assessment_reads_the_public_feedback_of_its_month_and_prints_its_month(org, django_capture_on_commit_callbacks):
    from processes.services.feedback import period_months
    from processes.services.result_outputs import period_label

    cycle = opened(org, "monthly", django_capture_on_commit_callbacks)
    with at(1, 5):
        approve_all_plans(cycle)
    for period in ("M01", "M02", "M03"):
        evaluation = evaluation_start(cycle=cycle, period=period, actor=org.hr)[0]
    assessment = Assessment.objects.filter(evaluation=evaluation).select_related("cycle").first()
    assert period_months(assessment) == ["2026-03"]
    assert period_label(assessment) == "Maret / March 2026"
