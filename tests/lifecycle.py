"""Steps of the year, for tests that need a cycle further along than plans.

Each step goes through the services and the engine exactly as the API would.
"""

from __future__ import annotations

from processes.models import Assessment, CycleMember, Plan, PlanResult, UnitReview
from processes.services.evaluations import evaluation_start
from processes.services.scoring import assessment_rate, unit_review_approve, unit_review_set_predicate
from workflow.engine import perform

from .factories import IndicatorFactory, PlanResultFactory


def approve_all_plans(cycle) -> None:
    """Every plan of the cycle filled and approved, top of the hierarchy first (the cascade)."""
    members = {m.employee_id: m for m in CycleMember.objects.filter(cycle=cycle).select_related("employee__user", "rater__user")}
    done: set[int] = set()
    while len(done) < len(members):
        progressed = False
        for employee_id, member in members.items():
            if employee_id in done or (member.rater_id in members and member.rater_id not in done):
                continue
            plan = Plan.objects.get(member=member)
            supports = PlanResult.objects.filter(plan__cycle=cycle, plan__employee_id=member.rater_id, approved=True).first()
            result = PlanResultFactory(plan=plan, supports=supports if member.rater_id in members else None)
            IndicatorFactory(result=result)
            perform(plan, "submit", actor=member.employee.user)
            perform(plan, "approve", actor=member.rater.user)
            done.add(employee_id)
            progressed = True
        assert progressed, "a plan could not be approved: a rater outside the scope without a user?"


def start_evaluation(cycle, hr, period: str = "annual"):
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
