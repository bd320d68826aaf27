"""The assessment page: the rater scores (with the predicate the ratings give) beside the
colleagues' and the public's feedback; the employee sees the issued result, accepts it or
objects while the window is open; the evaluation document once ratified."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from processes.models import Assessment, CycleMember, FeedbackRequest, Objection, Predicate
from processes.rules import CORE_VALUES, RATINGS
from processes.selectors import assessments_visible_to, fixed_results_rating
from processes.services.feedback import (
    OPEN_FOR_FEEDBACK,
    aggregate,
    feedback_invite,
    may_invite,
    may_see_aggregate,
    period_months,
    respondents,
)
from processes.services.objections import objection_file
from processes.services.public_feedback import summary as public_summary
from processes.services.scoring import assessment_rate, preview_predicate
from workflow.engine import available_actions

from ..actions import attempt
from .work_common import RATING_CHOICES, buttons, core_values, run_action, show, split_errors

ASSESSMENT_ACTIONS = ("submit", "accept")
RESULT_SHOWN = (Assessment.Status.ISSUED, Assessment.Status.OBJECTED, Assessment.Status.FINAL, Assessment.Status.RATIFIED)
FIELDS = ("results_rating", "behaviour_rating", "behaviour_values", "note", "reasons", "invitees")


def ratings_from_post(post, assessment: Assessment) -> dict:
    """The rater's form as the service takes it: a unit leader's results rating follows the
    unit's predicate, so it is not sent; core values left blank are not rated."""
    ratings = {
        "behaviour_rating": post.get("behaviour_rating", ""),
        "behaviour_values": {code: post.get(f"value-{code}") for code in CORE_VALUES if post.get(f"value-{code}")},
        "note": post.get("note", "").strip()[:5000],
    }
    if not assessment.is_unit_leader:
        ratings["results_rating"] = post.get("results_rating", "")
    return ratings


def _invite(request, assessment: Assessment) -> dict | None:
    ids = [int(v) for v in request.POST.getlist("invitees") if v.isdigit() and len(v) < 12]
    if not ids:
        messages.error(request, _("Please correct the errors below."))
        return {"invitees": [_("Choose at least one colleague.")]}
    return attempt(request, lambda: feedback_invite(assessment=assessment, actor=request.user, invitee_ids=ids,
                                                    origin=request_origin(request)),
                   success=_("The invitations were sent."))


@login_required
@require_http_methods(["GET", "POST"])
def assessment_detail(request, pk: int):
    assessment = get_object_or_404(assessments_visible_to(request.user).select_related("member__employee"), pk=pk)
    posted, errors, general = None, {}, []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op in ("save", "save_submit"):
            posted = ratings_from_post(request.POST, assessment)
            outcome = attempt(request, lambda: assessment_rate(assessment=assessment, actor=request.user, ratings=posted,
                                                               origin=request_origin(request)),
                              success=_("The ratings were saved."))
            if outcome is None and op == "save_submit":
                run_action(request, assessment, "submit", permitted=ASSESSMENT_ACTIONS)
        elif op == "object":
            filed: list[Objection] = []
            outcome = attempt(request, lambda: filed.append(objection_file(
                assessment=assessment, actor=request.user, reasons=request.POST.get("reasons", "")[:10000],
                origin=request_origin(request))), success=_("Your objection was filed."))
            if filed:
                return redirect("objection-detail", filed[0].pk)
            posted = {"reasons": request.POST.get("reasons", "")}
        elif op == "invite":
            outcome = _invite(request, assessment)
        else:
            outcome = run_action(request, assessment, op, permitted=ASSESSMENT_ACTIONS, comment=request.POST.get("comment", ""))
        if not outcome:
            return redirect(request.path)
        errors, general = split_errors(outcome, FIELDS)
    assessment.refresh_from_db()
    return show(request, "web/work/assessment_detail.html", assessment,
                assessment_page(request, assessment, posted, errors, general),
                status=400 if request.method == "POST" else 200)


def assessment_page(request, a: Assessment, posted: dict | None, errors: dict, general: list) -> dict:
    user = request.user
    allowed = available_actions(a, user)
    is_employee = a.member.employee.user_id == user.pk
    is_rater = not is_employee and a.flow_class(a).authorize(user, "rater") is not None
    rules = a.cycle.rules
    unit_predicate = a.unit_review.unit_predicate
    fixed_results = fixed_results_rating(a)
    values = {"results_rating": a.results_rating, "behaviour_rating": a.behaviour_rating,
              "behaviour_values": a.behaviour_values or {}, "note": a.note, "reasons": ""}
    values.update(posted or {})
    ratings = dict(RATING_CHOICES)
    months = period_months(a)
    today = timezone.localdate()
    context = {
        "assessment": a, "allowed": allowed, "is_employee": is_employee, "is_rater": is_rater,
        "scoring": is_rater and a.status == Assessment.Status.DRAFT,
        "show_result": not is_employee or a.status in RESULT_SHOWN,
        "values": values, "errors": errors, "general_errors": general,
        "ratings": RATING_CHOICES, "rating_codes": RATINGS,
        "value_rows": [{"code": code, "label": label, "value": values["behaviour_values"].get(code, ""),
                        "display": ratings.get(values["behaviour_values"].get(code, ""), "")} for code, label in core_values()],
        "unit_predicate": a.unit_review.get_unit_predicate_display() if unit_predicate else "",
        "fixed_results": ratings.get(fixed_results, ""),
        "preview": dict(Predicate.choices).get(preview_predicate(a), ""),
        "preview_data": {"matrix": rules["predicate_matrix"], "fixed": fixed_results,
                         "labels": {code: str(label) for code, label in Predicate.choices}},
        "employee_buttons": buttons(a, allowed, ("accept",)),
        "can_object": "object" in allowed and (a.objection_deadline is None or today <= a.objection_deadline),
        "objection": Objection.objects.filter(assessment=a).first(),
        "document_url": f"/api/v1/assessments/{a.pk}/document/" if a.status == Assessment.Status.RATIFIED else "",
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
            context["candidates"] = [
                {"employee": m.employee, "invited": m.employee_id in invited}
                for m in CycleMember.objects.filter(Q(unit_id=a.unit_id) | Q(rater_id=a.employee_id), cycle_id=a.cycle_id,
                                                    employee__user__isnull=False)
                .exclude(employee_id__in=[a.employee_id, a.member.rater_id]).select_related("employee").order_by("employee__name")
            ]
    return context
