"""HR's cycle page (/hr/cycles/<id>/): open it (with the opening's progress, polled by htmx),
start evaluation periods, close it, and the dashboard of progress per stage and unit with what
is late or overdue and who holds it (the progress counts from the cycle's snapshot, with a
"refresh now" for HR), and this month's joiners, movers and leavers; the members page corrects
raters."""

from __future__ import annotations

import datetime
import heapq

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.request_origin import request_origin
from processes import roles
from processes.models import PERIODS, Assessment, BulkRun, Cycle, MonthlyReport, Objection, Plan, UnitReview
from processes.selectors import LIST_LIMIT, cycles_visible_to, forget_counts, late_reports, overdue_tasks
from processes.selectors.hr_dashboard import people_changes
from processes.services.bulk_runs import cycle_resume
from processes.services.cycles import cycle_open
from processes.services.evaluations import evaluation_start
from processes.services.periods import periods_of
from processes.services.progress import max_age, progress_of, queue_refresh
from workflow.engine import available_actions, perform

from ..actions import attempt
from ..document_history import action_label, document_context
from ..links import page_for
from .hr import hr_required

STAGES = [
    ("plan", gettext_lazy("Plans"), Plan.Status.choices),
    ("report", gettext_lazy("Monthly reports"), MonthlyReport.Status.choices),
    ("assessment", gettext_lazy("Assessments"), Assessment.Status.choices),
    ("unit_review", gettext_lazy("Unit reviews"), UnitReview.Status.choices),
    ("objection", gettext_lazy("Objections"), Objection.Status.choices),
]
CHANGE_KINDS = {"joiners": gettext_lazy("Joiners"), "movers": gettext_lazy("Movers"), "leavers": gettext_lazy("Leavers")}
# Where a stage's documents rest once done: with more units than fit on the page, the units with
# the most documents short of it are the ones shown.
DONE = {"plan": {"approved"}, "report": {"accepted"}, "assessment": {"final", "ratified"}, "unit_review": {"ratified"}}


def hr_cycle(request, pk: int) -> Cycle:
    """The cycle, for HR of its units: 404 if out of the user's view, 403 if only seen."""
    cycle = get_object_or_404(cycles_visible_to(request.user).prefetch_related("units"), pk=pk)
    if roles.HR_ROLE.holds(request.user, cycle) is None:
        raise PermissionDenied(_("Only HR of the cycle's units may see this."))
    return cycle


def opening(cycle: Cycle) -> dict:
    total, done = cycle.opening_total, cycle.opening_done
    return {"total": total, "done": done, "pct": round(100 * done / total) if total else 0}


@hr_required
@require_GET
def cycle_opening(request, pk: int):
    """The opening's progress bar; it polls itself while the cycle is opening, then reloads the page."""
    cycle = hr_cycle(request, pk)
    response = render(request, "web/hr/_opening.html", {"cycle": cycle, "opening": opening(cycle)})
    if request.headers.get("HX-Request") and cycle.status != Cycle.Status.OPENING:
        response["HX-Refresh"] = "true"
    return response


def _start(request, cycle, started: dict):
    def call():
        _evaluation, reviews, assessments = evaluation_start(cycle=cycle, period=request.POST.get("period", ""),
                                                             actor=request.user, origin=request_origin(request))
        started.update(reviews=reviews, assessments=assessments)
    return call


@hr_required
@require_http_methods(["GET", "POST"])
def cycle_detail(request, pk: int):
    cycle = hr_cycle(request, pk)
    state, status = {}, 200
    if request.method == "POST":
        action, origin, started = request.POST.get("action", ""), request_origin(request), {}
        calls = {
            "open": (lambda: cycle_open(cycle=cycle, actor=request.user, origin=origin),
                     _("Opening started: the plans are being created.")),
            "start_evaluation": (_start(request, cycle, started), _("The evaluation period has started.")),
            "close": (lambda: perform(cycle, "close", actor=request.user, origin=origin), _("The cycle is closed.")),
            "resume": (lambda: cycle_resume(cycle=cycle, actor=request.user, origin=origin),
                       _("The unfinished work is resumed.")),
        }
        if action not in calls:
            messages.error(request, _("Unknown action."))
            status = 400
        else:
            call, success = calls[action]
            errors = attempt(request, call, success=success)
            if errors is None:
                if started:
                    messages.info(request, _("%(reviews)s unit review(s) and %(assessments)s assessment(s) created.") % started)
                return redirect("cycle-detail", pk=cycle.pk)
            state, status = {"action": action, "errors": errors, "values": request.POST}, 400 if errors else 409
            cycle = hr_cycle(request, pk)
    return render(request, "web/hr/cycle_detail.html", {**dashboard(cycle, request.user), **state, **_forms(request, cycle)}, status=status)


@hr_required
@require_POST
def cycle_progress_refresh(request, pk: int):
    """HR asks for the progress to be counted again now rather than at the next scheduled refresh."""
    cycle = hr_cycle(request, pk)
    forget_counts(cycle.pk)
    if queue_refresh(cycle.pk):
        messages.success(request, _("The progress is being counted again: reload the page in a moment."))
    else:
        messages.info(request, _("The progress is already being counted again."))
    return redirect("cycle-detail", pk=cycle.pk)


def _forms(request, cycle: Cycle) -> dict:
    actions = available_actions(cycle, request.user)
    labels = dict(PERIODS)
    periods = [(code, labels[code]) for code in periods_of(cycle.period_type)]
    unfinished = list(BulkRun.objects.filter(cycle=cycle).exclude(status=BulkRun.Status.FINISHED).order_by("pk"))
    return {"actions": actions, "periods": periods, "may_start": cycle.status == Cycle.Status.OPEN,
            "unfinished_runs": unfinished, "may_resume": bool(unfinished) or cycle.status == Cycle.Status.OPENING,
            "exports": {"xlsx": reverse("cycle-results-xlsx", args=[cycle.pk]), "csv": reverse("cycle-results-csv", args=[cycle.pk])}}


def dashboard(cycle: Cycle, user) -> dict:
    progress = progress_of(cycle)
    stages = []
    for key, title, choices in STAGES:
        counts = progress["documents"][key]
        stages.append({
            "key": key, "title": title, "total": counts["total"], "late": counts.get("late"),
            "statuses": [{"status": s, "label": label, "count": counts["statuses"].get(s, 0)} for s, label in choices],
            "bar": _segments(counts["statuses"], counts["total"], choices),
            "units": [{"name": u["unit_name"], "total": sum(u["statuses"].values()), "late": u.get("late"),
                       "bar": _segments(u["statuses"], sum(u["statuses"].values()), choices)}
                      for u in _units_shown(key, counts.get("units", []))],
            "unit_count": len(counts.get("units", [])),
        })
    reviews = list(UnitReview.objects.filter(cycle=cycle).select_related("unit").order_by("period", "unit__path")[:200])
    for review in reviews:
        review.url = reverse("review-detail", args=[review.pk])
    return {"cycle": cycle, "opening": opening(cycle), "stages": stages, "reviews": reviews,
            "late_reports": _late_reports(cycle), "overdue": _overdue_tasks(cycle), "changes": _people_changes(cycle, user),
            "public_feedback": progress["public_feedback"], "progress_as_of": datetime.datetime.fromisoformat(progress["as_of"]),
            "progress_stale": progress["stale"], "progress_live": max_age() <= 0, **document_context(cycle)}


def _units_shown(key: str, units: list[dict]) -> list[dict]:
    """Every unit, or (past LIST_LIMIT units: a cycle of 100,000 people has thousands, which
    took seconds to render into megabytes) those with the most documents not done, by name."""
    if len(units) <= LIST_LIMIT:
        return units
    done = DONE.get(key, set())

    def not_done(unit: dict) -> int:  # C-level sums: this runs for each of thousands of units
        statuses = unit["statuses"]
        return sum(statuses.values()) - sum(statuses.get(s, 0) for s in done)

    behind = {id(u) for u in heapq.nlargest(LIST_LIMIT, units, key=not_done)}  # ties: the first in name order
    return [u for u in units if id(u) in behind]


def _segments(statuses: dict, total: int, choices) -> list[dict]:
    return [{"status": s, "label": label, "count": statuses.get(s, 0), "pct": round(100 * statuses.get(s, 0) / total, 1)}
            for s, label in choices if total and statuses.get(s)]


def _late_reports(cycle: Cycle) -> dict:
    """The first late reports (the selector's), each with its page."""
    listed = late_reports(cycle).head(LIST_LIMIT)
    for report in listed["rows"]:
        report.url = page_for("report", report.pk)
    return listed


def _people_changes(cycle: Cycle, user) -> dict:
    """This month's joiners, movers and leavers in HR's units (the selector's), each with its plan's page."""
    if cycle.status == Cycle.Status.DRAFT:
        return None
    changes = people_changes(cycle, user)
    for kind in CHANGE_KINDS:
        for plan in changes[kind]["rows"]:
            plan.url = page_for("plan", plan.pk)
    changes["lists"] = [(kind, title, changes[kind]) for kind, title in CHANGE_KINDS.items()]
    return changes


def _overdue_tasks(cycle: Cycle) -> dict:
    """The first overdue tasks (the selector's), each with its document's page and its actions' labels."""
    listed = overdue_tasks(cycle).head(LIST_LIMIT)
    for task in listed["rows"]:
        task.url = page_for(task.document_type, task.document_id)
        task.labels = [action_label(task.document_type, a) for a in task.actions]
    return listed
