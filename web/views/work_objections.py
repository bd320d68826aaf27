"""The objection page (the rater and the employee explain once each, the rater's superior
decides) and a colleague's feedback form (only the invitee ever sees it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from processes.models import Assessment, FeedbackRequest, Objection
from processes.rules import CORE_VALUES
from processes.selectors import objections_visible_to
from processes.services.feedback import feedback_answer
from processes.services.objections import objection_decide, objection_explain
from workflow.engine import available_actions

from ..actions import attempt
from .work_common import RATING_CHOICES, core_values, show, split_errors


@login_required
@require_http_methods(["GET", "POST"])
def objection_detail(request, pk: int):
    objection = get_object_or_404(
        objections_visible_to(request.user).select_related("assessment__unit_review", "member__employee", "member__rater"), pk=pk)
    posted, errors, general = {}, {}, []
    if request.method == "POST":
        op = request.POST.get("op", "")
        posted = {key: request.POST.get(key, "") for key in ("explanation", "outcome", "results_rating", "behaviour_rating", "reasons")}
        if op == "explain":
            outcome = attempt(request, lambda: objection_explain(
                objection=objection, actor=request.user, explanation=posted["explanation"][:10000], origin=request_origin(request)),
                success=_("Your explanation was recorded."))
            rename = {"comment": "explanation"}
        elif op == "decide":
            outcome = attempt(request, lambda: objection_decide(
                objection=objection, actor=request.user, outcome=posted["outcome"], reasons=posted["reasons"][:10000],
                results_rating=posted["results_rating"], behaviour_rating=posted["behaviour_rating"],
                origin=request_origin(request)), success=_("The objection was decided."))
            rename = {"comment": "reasons"}
        else:
            messages.error(request, _("Unknown action “%(action)s”.") % {"action": op[:50]})
            outcome = {}
        if not outcome:
            return redirect(request.path)
        errors, general = split_errors(outcome, ("explanation", "outcome", "results_rating", "behaviour_rating", "reasons"), rename)
    objection.refresh_from_db()
    allowed = available_actions(objection, request.user)
    today = timezone.localdate()
    due = objection.explanations_due
    explain_as = (
        "rater" if "explain_as_rater" in allowed and not objection.rater_explanation
        else "employee" if "explain_as_employee" in allowed and not objection.employee_explanation else ""
    )
    context = {
        "objection": objection, "assessment": objection.assessment, "allowed": allowed, "explain_as": explain_as,
        "objected": {"predicate": str(dict(Assessment.Predicate.choices).get(objection.objected_predicate, objection.objected_predicate))},
        "can_decide": "decide" in allowed,
        "decide_ready": objection.status == Objection.Status.AWAITING_DECISION or (due is not None and today > due),
        "outcomes": Objection.Outcome.choices, "ratings": RATING_CHOICES,
        "posted": posted, "errors": errors, "general_errors": general,
    }
    return show(request, "web/work/objection_detail.html", objection, context, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def feedback_answer_page(request, pk: int):
    feedback = get_object_or_404(
        FeedbackRequest.objects.select_related("assessment__employee", "assessment__cycle", "cycle", "invitee"),
        pk=pk, invitee__user=request.user,
    )
    chosen = dict(feedback.ratings or {})
    comment = feedback.comment
    errors, general = {}, []
    if request.method == "POST":
        chosen = {code: request.POST.get(f"rating-{code}", "") for code in CORE_VALUES}
        comment = request.POST.get("comment", "").strip()[:2000]
        missing = [code for code, value in chosen.items() if value not in dict(RATING_CHOICES)]
        if missing:
            messages.error(request, _("Please correct the errors below."))
            outcome = {f"rating-{code}": [_("Choose one.")] for code in missing}
        else:
            outcome = attempt(request, lambda: feedback_answer(request=feedback, actor=request.user, ratings=chosen,
                                                               comment=comment, origin=request_origin(request)),
                              success=_("Thank you: your answer was recorded."))
        if not outcome:
            return redirect(request.path)
        errors, general = split_errors(outcome, tuple(f"rating-{code}" for code in CORE_VALUES))
    feedback.refresh_from_db()
    labels = dict(RATING_CHOICES)
    rows = [{"code": code, "label": label, "value": chosen.get(code, ""), "display": labels.get(chosen.get(code, ""), ""),
             "errors": errors.get(f"rating-{code}", [])} for code, label in core_values()]
    context = {"feedback": feedback, "assessment": feedback.assessment, "rows": rows, "comment": comment,
               "ratings": RATING_CHOICES, "can_answer": "answer" in available_actions(feedback, request.user),
               "general_errors": general}
    return show(request, "web/work/feedback_answer.html", feedback, context, status=400 if request.method == "POST" else 200)
