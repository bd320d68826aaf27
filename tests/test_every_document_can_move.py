"""Every document that is not final has someone who can act on it.

Random sequences of the actions people are asked for (the open tasks' actions that their
assignees may take), over the demo organisation, through the whole year: after each step every
plan not approved, report not accepted, assessment not final, objection not decided and unit
review not ratified has an open task whose assignee may act on it. The year then finishes:
every result ratified and the cycle closed."""

from __future__ import annotations

import datetime
import random
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from processes.demo import seed_demo
from processes.models import Assessment, CycleMember, MonthlyReport, Objection, Plan, UnitReview
from processes.services.evaluations import evaluation_start
from processes.services.objections import objection_decide, objection_explain, objection_file
from processes.services.reports import report_update_realisations, reports_open_month
from processes.services.scoring import assessment_rate, unit_review_approve, unit_review_ratify, unit_review_set_predicate
from workflow.engine import available_actions, perform
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import OpenTask

from .factories import IndicatorFactory, PlanResultFactory

pytestmark = pytest.mark.django_db
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
YEAR = 2026
RATINGS = ("above", "as_expected", "below")
STEPS = 300  # per phase; a phase ends sooner when nothing is left to do


def at(month: int, day: int, year: int = YEAR):
    return time_machine.travel(datetime.datetime(year, month, day, 10, 0, tzinfo=JAKARTA), tick=False)


# What each asked-for action takes, done through the services as the API would.
def _rate_and_submit(a, user, rng):
    assessment_rate(assessment=a, actor=user, ratings={"results_rating": rng.choice(RATINGS), "behaviour_rating": rng.choice(RATINGS)})
    perform(Assessment.objects.get(pk=a.pk), "submit", actor=user)


def _decide(objection, user, rng):
    if rng.random() < 0.5:
        objection_decide(objection=objection, actor=user, outcome="upheld", reasons="Penilaian sudah tepat")
    else:
        objection_decide(objection=objection, actor=user, outcome="changed", reasons="Bukti baru",
                         behaviour_rating=rng.choice(RATINGS))


def _object(a, user, rng):
    objection_file(assessment=a, actor=user, reasons="Capaian saya melebihi target")


def _explain(objection, user, rng):
    objection_explain(objection=objection, actor=user, explanation="Penjelasan")


DO = {
    ("plan", "submit"): lambda d, u, rng: perform(d, "submit", actor=u),
    ("plan", "approve"): lambda d, u, rng: perform(d, "approve", actor=u, comment="Disetujui"),
    ("plan", "return_"): lambda d, u, rng: perform(d, "return_", actor=u, comment="Perbaiki target"),
    ("report", "submit"): lambda d, u, rng: perform(d, "submit", actor=u),
    ("report", "accept"): lambda d, u, rng: perform(d, "accept", actor=u, comment="Baik"),
    ("report", "return_"): lambda d, u, rng: perform(d, "return_", actor=u, comment="Lengkapi bukti"),
    ("assessment", "submit"): _rate_and_submit,
    ("assessment", "accept"): lambda d, u, rng: perform(d, "accept", actor=u),
    ("assessment", "object"): _object,
    ("objection", "explain_as_rater"): _explain,
    ("objection", "explain_as_employee"): _explain,
    ("objection", "decide"): _decide,
    ("unit_review", "set_unit_predicate"): lambda d, u, rng: unit_review_set_predicate(
        review=d, actor=u, unit_predicate=rng.choice(("very_good", "good", "needs_improvement"))),
    ("unit_review", "approve"): lambda d, u, rng: unit_review_approve(review=d, actor=u, justification="Hasil rapat forum"),
    ("unit_review", "ratify"): lambda d, u, rng: unit_review_ratify(review=d, actor=u),
}
MODELS = {"plan": Plan, "report": MonthlyReport, "assessment": Assessment, "objection": Objection, "unit_review": UnitReview}


def open_tasks(document):
    return OpenTask.objects.filter(document_type=document.document_type, document_id=document.pk, closed_at__isnull=True,
                                   assignee__isnull=False).select_related("assignee")


def may_be_moved(document) -> bool:
    return any(available_actions(document, task.assignee) for task in open_tasks(document))


def stuck(cycle) -> list[str]:
    """The documents not final on which no open task's assignee may act."""
    found = []
    pending = [
        *Plan.objects.filter(cycle=cycle).exclude(status=Plan.Status.APPROVED),
        *MonthlyReport.objects.filter(cycle=cycle).exclude(status=MonthlyReport.Status.ACCEPTED),
        *Objection.objects.filter(cycle=cycle).exclude(status=Objection.Status.DECIDED),
        *UnitReview.objects.filter(cycle=cycle).exclude(status=UnitReview.Status.RATIFIED),
    ]
    for document in pending:
        if not may_be_moved(document):
            found.append(f"{document.document_type} {document.pk} ({document.status})")
    for a in Assessment.objects.filter(cycle=cycle).exclude(status__in=[Assessment.Status.FINAL, Assessment.Status.RATIFIED]):
        # Submitted: the forum moves it, on the unit's review; under objection: the objection does.
        mover = {Assessment.Status.SUBMITTED: a.unit_review, Assessment.Status.OBJECTED: getattr(a, "objection", None)}.get(a.status, a)
        if mover is None or not may_be_moved(mover):
            found.append(f"assessment {a.pk} of {a.employee.name} ({a.status})")
    return found


def candidates(cycle):
    """(document, user, action) of every open task of the cycle, as its assignee may take it."""
    found = []
    tasks = OpenTask.objects.filter(closed_at__isnull=True, assignee__isnull=False, document_type__in=MODELS)
    for task in tasks.select_related("assignee"):
        document = MODELS[task.document_type].objects.filter(pk=task.document_id, cycle=cycle).first()
        if document is None:
            continue
        allowed = set(available_actions(document, task.assignee))
        found += [(document, task.assignee, action) for action in task.actions if action in allowed and (task.document_type, action) in DO]
    return found


def walk(cycle, rng: random.Random, steps: int = STEPS) -> int:
    """Random allowed actions until none succeeds; the invariant checked after each. Returns the
    steps taken."""
    for taken in range(steps):
        options = candidates(cycle)
        rng.shuffle(options)
        for document, user, action in options:
            try:
                DO[(document.document_type, action)](document, user, rng)
            except (InvalidTransition, ValidationError, NotPermitted):
                continue  # a guard (the rater's plan not approved yet, not every result in): another one
            break
        else:
            return taken
        assert stuck(cycle) == [], f"after {user.username} did {action} on {document.document_type} {document.pk}"
    return steps


def fill_plans(cycle) -> None:
    """Each plan's content, top of the hierarchy first: a result supporting the rater's."""
    members = list(CycleMember.objects.filter(cycle=cycle).select_related("plan"))
    in_scope = {m.employee_id for m in members}
    result_of: dict[int, object] = {}
    while len(result_of) < len(members):
        for member in members:
            if member.employee_id in result_of or (member.rater_id in in_scope and member.rater_id not in result_of):
                continue
            result = PlanResultFactory(plan=member.plan, supports=result_of.get(member.rater_id))
            IndicatorFactory(result=result)
            result_of[member.employee_id] = result


@pytest.mark.parametrize("seed", [1, 4, 9])  # 4 and 9: the agency head objects
def test_random_allowed_actions_never_leave_a_document_nobody_can_move(seed, django_capture_on_commit_callbacks):
    rng = random.Random(seed)
    with at(1, 5), django_capture_on_commit_callbacks(execute=True):
        cycle = seed_demo()
    fill_plans(cycle)
    assert stuck(cycle) == []

    with at(1, 10):
        walk(cycle, rng)
    assert set(Plan.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"approved"}

    with at(2, 1):
        reports_open_month(year=YEAR, month=1)
        for report in MonthlyReport.objects.filter(cycle=cycle).select_related("employee__user", "plan"):
            indicator = report.plan.results.get().indicators.get()
            report_update_realisations(report=report, actor=report.employee.user,
                                       items=[{"indicator": indicator.pk, "value": "1 dokumen", "note": ""}])
        assert stuck(cycle) == []
        walk(cycle, rng)
    assert set(MonthlyReport.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"accepted"}

    with at(1, 5, YEAR + 1):
        evaluation_start(cycle=cycle, period="annual", actor=cycle.created_by)
        assert stuck(cycle) == []
        walk(cycle, rng)
    assert set(Assessment.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"ratified"}
    assert set(UnitReview.objects.filter(cycle=cycle).values_list("status", flat=True)) == {"ratified"}
    assert not Objection.objects.filter(cycle=cycle).exclude(status=Objection.Status.DECIDED).exists()
    # Every objection had its decider; the agency head's (rated by sekda) was the mayor's.
    deciders = dict(Objection.objects.filter(cycle=cycle).values_list("employee__user__username", "decider__user__username"))
    assert None not in deciders.values() and deciders.get("kepala", "walikota") == "walikota"
    with at(1, 25, YEAR + 1):
        assert perform(cycle, "close", actor=cycle.created_by).document.status == "closed"
