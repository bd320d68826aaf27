"""The forum's pages: the unit reviews a user may see, and one unit's board (/reviews/<id>/),
where the leader above sets the unit predicate, the forum calibrates and approves, and the
ratifying official ratifies. Each form is shown only to whom it belongs; the services and the
engine refuse the rest (403 for the wrong person, 409 for the wrong moment)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from processes.labels import CORE_VALUE_LABELS
from processes.models import Assessment, UnitReview
from processes.roles import FORUM_ROLE, PREDICATE_SETTER_ROLE, RATIFYING_OFFICIAL_ROLE, Viewer
from processes.rules import CORE_VALUES, RATINGS
from processes.selectors import unit_reviews_visible_to
from processes.selectors.privacy import board_access, board_summary_shown, shown
from processes.services.scoring import (
    board,
    unit_review_adjust,
    unit_review_approve,
    unit_review_ratify,
    unit_review_set_predicate,
)
from workflow.engine import available_actions

from ..document_history import document_context
from ..forms.base import run_service
from ..forms.review import FORMS
from ..links import page_for


@login_required
def reviews(request):
    """The unit reviews the user may see; those that wait on the user marked, by the same role
    definitions the engine authorises with (processes/roles.py)."""
    viewer = Viewer.of(request.user)
    Status = UnitReview.Status
    awaits_me = (PREDICATE_SETTER_ROLE.condition(viewer, UnitReview) & Q(status=Status.OPEN)) | (
        FORUM_ROLE.condition(viewer, UnitReview) & Q(status=Status.SCORING)
    )
    may_ratify = RATIFYING_OFFICIAL_ROLE.condition(viewer, UnitReview) & Q(status=Status.ISSUED)
    queryset = (
        unit_reviews_visible_to(request.user)
        .annotate(assessment_count=Count("assessments"),
                  not_final=Count("assessments", filter=~Q(assessments__status=Assessment.Status.FINAL)),
                  awaits_me=Case(When(awaits_me, then=Value(True)), default=Value(False), output_field=BooleanField()),
                  may_ratify=Case(When(may_ratify, then=Value(True)), default=Value(False), output_field=BooleanField()))
        .order_by("-cycle__year", "cycle__name", "cycle_id", "period", "unit__path")
    )
    page = Paginator(queryset, 100).get_page(request.GET.get("page"))
    for review in page:
        review.ready_to_ratify = review.may_ratify and review.not_final == 0
    return render(request, "web/review/list.html", {"page": page})


def _review(request, pk: int) -> UnitReview:
    return get_object_or_404(unit_reviews_visible_to(request.user), pk=pk)


def _call(form, review: UnitReview, action: str, user, origin):
    """The one service of ``action``, with the form's parsed input."""
    data = form.cleaned_data
    if action == "set_unit_predicate":
        return lambda: unit_review_set_predicate(review=review, actor=user, unit_predicate=data["unit_predicate"],
                                                 comment=data["comment"], origin=origin)
    if action == "adjust":
        return lambda: unit_review_adjust(review=review, actor=user, assessment_id=data["assessment"], reason=data["reason"],
                                          results_rating=data["results_rating"], behaviour_rating=data["behaviour_rating"],
                                          origin=origin)
    if action == "approve":
        return lambda: unit_review_approve(review=review, actor=user, justification=data["justification"], origin=origin)
    return lambda: unit_review_ratify(review=review, actor=user, comment=data["comment"], origin=origin)


SUCCESS = {
    "set_unit_predicate": gettext_lazy("The unit predicate is set."),
    "adjust": gettext_lazy("The ratings are changed and the reason recorded; the predicate follows from them."),
    "approve": gettext_lazy("The unit's results are approved and issued to the employees."),
    "ratify": gettext_lazy("The unit's results are ratified."),
}


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk: int):
    review = _review(request, pk)
    form_state, status = {}, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in FORMS:
            messages.error(request, _("Unknown action."))
            status = 400
        else:
            # The forms only parse; the services refuse the wrong person (403) before the input.
            form = FORMS[action](request.POST)
            form.is_valid()
            errors, status = run_service(request, _call(form, review, action, request.user, request_origin(request)),
                                         success=str(SUCCESS[action]))
            if errors is None:
                return redirect("review-detail", pk=review.pk)
            form_state = {"action": action, "errors": errors, "values": request.POST}
            review = _review(request, pk)
    return render(request, "web/review/detail.html", board_context(request, review, form_state), status=status)


def _share(value) -> str:
    return f"{round(value * 100)}%"


def board_context(request, review: UnitReview, form_state: dict) -> dict:
    data = board(review, viewer=request.user)
    # Each row, and the summary, as this reader may see them (processes/selectors/privacy.py, as the API's board).
    levels = board_access(review, data["assessments"], request.user)
    data = board_summary_shown(review, data, levels)
    actions = available_actions(review, request.user)
    total = data["total"]
    labels = dict(Assessment.Predicate.choices)
    distribution = [{"predicate": p, "label": labels[p], "count": n, "pct": round(100 * n / total) if total else 0}
                    for p, n in data["distribution"].items()]
    pattern = [{"description": c["description"], "passes": c["passes"],
                "actual": c["actual"] if c["rule"]["op"].endswith("count") else _share(c["actual"])}
               for c in data["pattern"]]
    feedback = data["feedback"]
    colleagues = feedback.get("colleagues") or {}
    public = feedback.get("public") or {}
    public_employees = public.get("employees") or {}
    errors = form_state.get("errors") or {}
    values = form_state.get("values") or {}
    adjusting = form_state.get("action") == "adjust"
    may_adjust = "approve" in actions  # the forum, while the unit is being scored
    rows = []
    for a in data["assessments"]:
        a = shown(a, levels[a.pk])
        own = adjusting and values.get("assessment") == str(a.pk)
        rows.append({
            "a": a, "url": page_for("assessment", a.pk), "colleagues": _colleagues(colleagues.get(a.pk)),
            "public": public_employees.get(a.employee_id),
            "may_adjust": may_adjust and a.status == Assessment.Status.SUBMITTED,
            "errors": errors if own else {}, "values": values if own else {},
        })
    matched = any(row["errors"] for row in rows)
    statuses = [a.status for a in data["assessments"]]
    pending_final = sum(1 for s in statuses if s != Assessment.Status.FINAL)
    public_unit = public.get("unit")
    return {
        "review": review, "rows": rows, "total": total, "distribution": distribution, "pattern": pattern,
        "departures": data["departures"], "most_reading": data["most_reading"], "public_unit": public_unit,
        "public_unit_bars": _public_bars(public_unit),
        "actions": actions, "may_adjust": may_adjust, "may_ratify": "ratify" in actions and not pending_final,
        "pending_final": pending_final, "ratings": Assessment.Rating.choices,
        "unit_predicates": UnitReview._meta.get_field("unit_predicate").choices,
        "form": form_state.get("action", ""), "errors": errors, "values": values,
        "adjust_errors": errors if adjusting and not matched else {},  # an assessment not on this board
        **document_context(review, request.user),
    }


def _colleagues(aggregate: dict | None) -> dict | None:
    """The colleagues' answers per core value, as rows the template can print."""
    if not aggregate:
        return None
    rows = []
    if aggregate.get("shown") and aggregate.get("values"):
        rows = [{"label": CORE_VALUE_LABELS[value], "counts": [aggregate["values"][value].get(r, 0) for r in RATINGS]}
                for value in CORE_VALUES if value in aggregate["values"]]
    return {**aggregate, "rows": rows}


def _public_bars(summary: dict | None) -> list[dict]:
    if not summary or not summary.get("count"):
        return []
    count = summary["count"]
    return [{"label": f"{stars}★", "count": n, "pct": round(100 * n / count)}
            for stars, n in sorted(summary["distribution"].items(), reverse=True)]
