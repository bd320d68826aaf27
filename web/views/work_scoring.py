"""The assessment page: the rater scores (with the predicate the ratings give) beside the
colleagues' and the public's feedback; the employee sees the issued result, accepts it or
objects while the window is open; the evaluation document once ratified. For someone with
several plans in the year, the annual evaluation shows how its predicate is derived from them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from processes.models import Assessment, FeedbackRequest, Objection, Predicate
from processes.rules import RATINGS
from processes.selectors import assessments_visible_to, fixed_results_rating
from processes.selectors.annual import annual_result
from processes.selectors.privacy import RESULT_SHOWN, Access, access_to, shown
from processes.services.feedback import (
    OPEN_FOR_FEEDBACK,
    aggregate,
    feedback_candidates,
    feedback_invite,
    may_invite,
    may_see_aggregate,
    period_months,
    respondents,
)
from processes.services.objections import objection_file
from processes.services.public_feedback import summary as public_summary
from processes.services.result_outputs import ANNUAL_OPTION_LABELS, annual_rows
from processes.services.scoring import assessment_rate, preview_predicate
from workflow.engine import available_actions

from ..forms.base import run_service
from ..forms.scoring import InviteForm, ObjectionForm, RatingsForm
from .work_common import RATING_CHOICES, buttons, core_values, run_action, show, split_errors
from .work_plans import with_period

ASSESSMENT_ACTIONS = ("submit", "accept")
FIELDS = ("results_rating", "behaviour_rating", "behaviour_values", "note", "reasons", "invitees")


@login_required
@require_http_methods(["GET", "POST"])
def assessment_detail(request, pk: int):
    assessment = get_object_or_404(assessments_visible_to(request.user).select_related("member__employee", "member__plan"), pk=pk)
    posted, errors, general, status = None, {}, [], 200
    if request.method == "POST":
        op, user, origin = request.POST.get("op", ""), request.user, request_origin(request)
        if op in ("save", "save_submit"):
            form = RatingsForm(request.POST, is_unit_leader=assessment.is_unit_leader)
            form.is_valid()
            posted = form.ratings()
            outcome, status = run_service(request, lambda: assessment_rate(assessment=assessment, actor=user, ratings=posted,
                                                                           origin=origin),
                                          success=_("The ratings were saved."))
            if outcome is None and op == "save_submit":
                outcome, status = run_action(request, assessment, "submit", permitted=ASSESSMENT_ACTIONS), 400
        elif op == "object":
            form, filed = ObjectionForm(request.POST), []
            form.is_valid()
            outcome, status = run_service(request, lambda: filed.append(objection_file(
                assessment=assessment, actor=user, reasons=form.cleaned_data["reasons"], origin=origin)),
                success=_("Your objection was filed."))
            if filed:
                return redirect("objection-detail", filed[0].pk)
            posted = {"reasons": request.POST.get("reasons", "")}
        elif op == "invite":
            form = InviteForm(request.POST)
            form.is_valid()
            outcome, status = run_service(request, lambda: feedback_invite(
                assessment=assessment, actor=user, invitee_ids=form.cleaned_data["invitees"], origin=origin),
                success=_("The invitations were sent."))
        else:
            outcome, status = run_action(request, assessment, op, permitted=ASSESSMENT_ACTIONS,
                                         comment=request.POST.get("comment", "")), 400
        if not outcome:
            return redirect(request.path)
        errors, general = split_errors(outcome, FIELDS)
    assessment.refresh_from_db()
    return show(request, "web/work/assessment_detail.html", assessment,
                assessment_page(request, assessment, posted, errors, general),
                status=status)


def annual_derivation(a: Assessment, viewer) -> dict | None:
    """How the annual predicate of someone with several plans is derived (only from issued
    results, as the API's ``annual_result``); None for one plan or a quarter."""
    result = annual_result(a, viewer=viewer)
    if result is None:
        return None
    return {"rows": annual_rows(result), "option": ANNUAL_OPTION_LABELS.get(result.option, result.option),
            "predicate": dict(Predicate.choices).get(result.predicate, ""), "waiting": result.waiting,
            "hidden": result.hidden}


def assessment_page(request, a: Assessment, posted: dict | None, errors: dict, general: list) -> dict:
    user = request.user
    allowed = available_actions(a, user)
    annual = annual_derivation(a, request.user)
    # From here on the page reads the assessment as this user may see it: its employee sees no
    # result before the forum issues it (processes/selectors/privacy.py, as the API).
    access = access_to(a, user)
    a = shown(a, access)
    is_employee = a.member.employee.user_id == user.pk
    is_rater = not is_employee and a.flow_class(a).authorize(user, "rater") is not None
    rules = a.cycle.rules
    unit_predicate = a.unit_predicate
    fixed_results = fixed_results_rating(a)
    values = {"results_rating": a.results_rating, "behaviour_rating": a.behaviour_rating,
              "behaviour_values": a.behaviour_values or {}, "note": a.note, "reasons": ""}
    values.update(posted or {})
    ratings = dict(RATING_CHOICES)
    months = period_months(a)
    today = timezone.localdate()
    context = {
        "assessment": a, "allowed": allowed, "is_employee": is_employee, "is_rater": is_rater,
        "plan": with_period(a.member.plan), "annual": annual,
        "scoring": is_rater and a.status == Assessment.Status.DRAFT,
        "show_result": access is Access.FULL,
        "values": values, "errors": errors, "general_errors": general,
        "ratings": RATING_CHOICES, "rating_codes": RATINGS,
        "value_rows": [{"code": code, "label": label, "value": values["behaviour_values"].get(code, ""),
                        "display": ratings.get(values["behaviour_values"].get(code, ""), "")} for code, label in core_values()],
        "unit_predicate": a.get_unit_predicate_display() if unit_predicate else "",
        "fixed_results": ratings.get(fixed_results, ""),
        "preview": dict(Predicate.choices).get(preview_predicate(a), ""),
        "preview_data": {"matrix": rules["predicate_matrix"], "fixed": fixed_results,
                         "labels": {code: str(label) for code, label in Predicate.choices}},
        "employee_buttons": buttons(a, allowed, ("accept",)),
        "can_object": "object" in allowed and (a.objection_deadline is None or today <= a.objection_deadline),
        "objection": Objection.objects.filter(assessment=a).first(),
        "document_url": f"/api/v1/assessments/{a.pk}/document/" if a.status in RESULT_SHOWN else "",
        "public": {"unit": public_summary(unit_id=a.unit_id, months=months),
                   "employee": public_summary(employee_id=a.employee_id, months=months)},
        "months": f"{months[0]} – {months[-1]}",
    }
    if may_see_aggregate(a, user):
        context["colleagues"] = aggregate(a)
        context["colleague_rows"] = [
            {"label": label, "counts": [context["colleagues"]["values"][code][r] for r in RATINGS]}
            for code, label in core_values()
        ] if context["colleagues"]["shown"] else []
    if may_invite(a, user):
        if not context.get("colleagues"):
            context["respondents"] = respondents(a)
        if a.status in OPEN_FOR_FEEDBACK:
            invited = set(FeedbackRequest.objects.filter(assessment=a).values_list("invitee_id", flat=True))
            context["candidates"] = [{"employee": m.employee, "invited": m.employee_id in invited} for m in feedback_candidates(a)]
    return context
