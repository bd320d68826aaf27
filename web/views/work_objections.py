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

from ..forms.base import run_service
from ..forms.objections import DecisionForm, ExplanationForm, FeedbackAnswerForm
from .work_common import RATING_CHOICES, core_values, show, split_errors


@login_required
@require_http_methods(["GET", "POST"])
def objection_detail(request, pk: int):
    objection = get_object_or_404(
        objections_visible_to(request.user).select_related("assessment__unit_review", "member__employee", "member__rater"), pk=pk)
    posted, errors, general, status = {}, {}, [], 200
    if request.method == "POST":
        op, user, origin = request.POST.get("op", ""), request.user, request_origin(request)
        posted = {key: request.POST.get(key, "") for key in ("explanation", "outcome", "results_rating", "behaviour_rating", "reasons")}
        if op == "explain":
            form = ExplanationForm(request.POST)
            form.is_valid()
            outcome, status = run_service(request, lambda: objection_explain(
                objection=objection, actor=user, explanation=form.cleaned_data["explanation"], origin=origin),
                success=_("Your explanation was recorded."))
            rename = {"comment": "explanation"}
        elif op == "decide":
            form = DecisionForm(request.POST)
            form.is_valid()
            outcome, status = run_service(request, lambda: objection_decide(
                objection=objection, actor=user, origin=origin, **form.cleaned_data), success=_("The objection was decided."))
            rename = {"comment": "reasons"}
        else:
            messages.error(request, _("Unknown action “%(action)s”.") % {"action": op[:50]})
            outcome, status, rename = {}, 400, {}
        if outcome is None:
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
    return show(request, "web/work/objection_detail.html", objection, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def feedback_answer_page(request, pk: int):
    feedback = get_object_or_404(
        FeedbackRequest.objects.select_related("assessment__employee", "assessment__cycle", "cycle", "invitee"),
        pk=pk, invitee__user=request.user,
    )
    chosen = dict(feedback.ratings or {})
    comment = feedback.comment
    errors, general, status = {}, [], 200
    if request.method == "POST":
        form = FeedbackAnswerForm(request.POST)
        form.is_valid()
        chosen, comment = form.chosen(), form.cleaned_data["comment"]
        outcome, status = run_service(request, lambda: feedback_answer(
            request=feedback, actor=request.user, ratings=form.ratings(), comment=comment, origin=request_origin(request)),
            success=_("Thank you: your answer was recorded."))
        if outcome is None:
            return redirect(request.path)
        if "ratings" in outcome:  # the flow's reason above the values, and each value not chosen marked
            outcome.update({f"rating-{code}": [_("Choose one.")] for code, value in chosen.items() if value not in dict(RATING_CHOICES)})
        errors, general = split_errors(outcome, tuple(f"rating-{code}" for code in CORE_VALUES))
    feedback.refresh_from_db()
    labels = dict(RATING_CHOICES)
    rows = [{"code": code, "label": label, "value": chosen.get(code, ""), "display": labels.get(chosen.get(code, ""), ""),
             "errors": errors.get(f"rating-{code}", [])} for code, label in core_values()]
    context = {"feedback": feedback, "assessment": feedback.assessment, "rows": rows, "comment": comment,
               "ratings": RATING_CHOICES, "can_answer": "answer" in available_actions(feedback, request.user),
               "general_errors": general}
    return show(request, "web/work/feedback_answer.html", feedback, context, status=status)
