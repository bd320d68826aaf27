"""Steps of the year, for tests that need a cycle further along than plans.

Each step goes through the services and the engine exactly as the API would.
"""

from __future__ import annotations

from processes.flows.plan import rater_plans
from processes.models import Assessment, Plan, PlanResult, UnitReview
from processes.services.evaluations import evaluation_start
from processes.services.periods import periods_of
from processes.services.scoring import assessment_rate, unit_review_approve, unit_review_set_predicate
from workflow.engine import perform

from .factories import IndicatorFactory, PlanResultFactory


def approve_all_plans(cycle) -> None:
    """Every running plan of the cycle not approved yet filled and approved, top of the hierarchy
    first (the cascade). An employee may have several plans (a join, a move: one per period);
    each waits for the rater's plan it supports (the rater's latest plan begun before it ends:
    ``rater_plans``), and an ended plan takes no more steps."""
    pending = {
        plan.pk: plan for plan in Plan.objects.filter(cycle=cycle, ended="").exclude(status=Plan.Status.APPROVED)
        .select_related("member__employee__user", "member__rater__user").order_by("start", "pk")
    }
    while pending:
        progressed = False
        for plan in list(pending.values()):
            member = plan.member
            rater_plan = rater_plans(cycle.pk, member.rater_id, plan.end).first() if member.rater_id else None
            if rater_plan is not None and rater_plan.revision == 0:
                assert rater_plan.pk in pending, f"the rater's plan {rater_plan.pk} can no longer be approved"
                continue
            if plan.status in (Plan.Status.DRAFT, Plan.Status.RETURNED):
                supports = PlanResult.objects.filter(plan=rater_plan, approved=True).first() if rater_plan else None
                result = PlanResultFactory(plan=plan, supports=supports)
                IndicatorFactory(result=result)
                perform(plan, "submit", actor=member.employee.user)
            assert member.rater_id is not None, f"{member.employee.name}'s plan has no rater to approve it"
            perform(plan, "approve", actor=member.rater.user)
            del pending[plan.pk]
            progressed = True
        assert progressed, "a plan could not be approved: a rater outside the scope without a user?"


def start_evaluation(cycle, hr, period: str = "annual"):
    """The period started, after the cycle's earlier periodic ones (HR starts them in order)."""
    periods = periods_of(cycle.period_type)
    for earlier in periods[:periods.index(period)] if period != "annual" else []:
        evaluation_start(cycle=cycle, period=earlier, actor=hr)
    evaluation, _reviews, _assessments = evaluation_start(cycle=cycle, period=period, actor=hr)
    return evaluation


def set_unit_predicates(evaluation, predicate: str = "good") -> None:
    for review in UnitReview.objects.filter(evaluation=evaluation).select_related("predicate_setter__user"):
        unit_review_set_predicate(review=review, actor=review.predicate_setter.user, unit_predicate=predicate)


def rate_and_submit(assessment: Assessment, results: str = "as_expected", behaviour: str = "as_expected") -> Assessment:
    rater = assessment.member.rater.user
    assessment_rate(assessment=assessment, actor=rater, ratings={"results_rating": results, "behaviour_rating": behaviour})
    return perform(assessment, "submit", actor=rater).document


def rate_all(evaluation, ratings: dict[int, tuple[str, str]] | None = None) -> None:
    """Submit every assessment; ``ratings`` maps an employee id to (results, behaviour)."""
    ratings = ratings or {}
    for assessment in Assessment.objects.filter(evaluation=evaluation).select_related("member__rater__user"):
        rate_and_submit(assessment, *ratings.get(assessment.employee_id, ("as_expected", "as_expected")))


def issue_unit(review, forum_user, justification: str = "Sesuai hasil rapat forum kalibrasi kinerja") -> UnitReview:
    return unit_review_approve(review=review, actor=forum_user, justification=justification)
