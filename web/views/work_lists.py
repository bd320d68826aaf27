"""The employee's own work (/me/work/) and the rater's team (/team/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from processes.flows.base import today
from processes.models import Assessment, Cycle, CycleMember, FeedbackRequest, MonthlyReport, Objection, Plan
from processes.selectors import rated_by_condition, superior_condition

from .work_common import employee_of
from .work_months import report_row
from .work_plans import plan_months, with_period
from .work_scoring import RESULT_SHOWN


@login_required
def my_work(request):
    employee = employee_of(request)
    plans = list(
        Plan.objects.filter(employee=employee, cycle__status=Cycle.Status.OPEN)
        .select_related("cycle", "member__rater", "unit").prefetch_related("reports")
        .order_by("-cycle__year", "cycle__name", "-start")  # every plan of the year, the current one first
    )
    for plan in plans:
        with_period(plan)
        plan.months = plan_months(plan, owner=True, reports=list(plan.reports.all())) if plan.revision > 0 else []
    assessments = (
        Assessment.objects.filter(employee=employee, status__in=RESULT_SHOWN)
        .select_related("cycle", "unit_review", "objection").order_by("-cycle__year", "-issued_at", "id")
    )
    feedback = (
        FeedbackRequest.objects.filter(invitee=employee, status=FeedbackRequest.Status.PENDING)
        .select_related("assessment__employee", "cycle").order_by("due_at", "id")
    )
    return render(request, "web/work/my_work.html", {
        "employee": employee, "plans": plans, "assessments": assessments, "feedback": feedback, "today": today(),
    })


@login_required
def team(request):
    employee = employee_of(request)
    members = list(
        CycleMember.objects.filter(rated_by_condition(employee.pk), cycle__status=Cycle.Status.OPEN)
        .exclude(employee_id=employee.pk)
        .select_related("employee", "unit", "cycle", "plan", "rater")
        .prefetch_related(
            Prefetch("reports", queryset=MonthlyReport.objects.order_by("month")),
            Prefetch("assessments", queryset=Assessment.objects.order_by("id")),
        )
        .order_by("-cycle__year", "employee__name", "plan__start")
    )
    now = timezone.now()
    waiting = []
    for member in members:
        plan = getattr(member, "plan", None)
        if plan is not None:
            with_period(plan)
        for report in member.reports.all():
            report.cycle = member.cycle
        member.report_rows = [report_row(r, now) for r in member.reports.all()]
        member.late_count = sum(1 for r in member.report_rows if r["report"].late or r["overdue"])
        if plan is not None and plan.status == Plan.Status.SUBMITTED and not plan.ended:  # an ended plan takes no more steps
            waiting.append({"kind": "plan", "member": member, "document": plan, "since": plan.submitted_at})
        for report in member.reports.all():
            if report.status == MonthlyReport.Status.SUBMITTED:
                waiting.append({"kind": "report", "member": member, "document": report, "since": report.submitted_at})
        for assessment in member.assessments.all():
            if assessment.status == Assessment.Status.DRAFT:
                waiting.append({"kind": "assessment", "member": member, "document": assessment, "since": assessment.created_at})
    objections = Objection.objects.exclude(employee_id=employee.pk).select_related("employee", "assessment")
    for objection in objections.filter(rated_by_condition(employee.pk, "member__"),
                                       status=Objection.Status.AWAITING_EXPLANATIONS, rater_explanation=""):
        waiting.append({"kind": "explain", "member": None, "document": objection, "since": objection.created_at})
    for objection in objections.filter(superior_condition(employee.pk, "member__")).exclude(status=Objection.Status.DECIDED):
        waiting.append({"kind": "decide", "member": None, "document": objection, "since": objection.created_at})
    waiting.sort(key=lambda item: (item["since"] is None, item["since"] or now))
    return render(request, "web/work/team.html", {"members": members, "waiting": waiting})
