"""Colleague feedback (360): invitations, answers, and the anonymous aggregate."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from org.models import Employee
from org.services import is_hr_for
from workflow.engine import perform, start
from workflow.errors import InvalidTransition, NotPermitted

from ..flows.base import days_from_now
from ..models import Assessment, CycleMember, FeedbackRequest
from ..rules import CORE_VALUES, RATINGS
from .checks import Errors, require_role
from .periods import PERIOD_MONTHS

OPEN_FOR_FEEDBACK = (Assessment.Status.DRAFT, Assessment.Status.SUBMITTED)
MAX_INVITEES = 50  # in one request
COMMENT_MAX = 2000


def may_invite(assessment: Assessment, user) -> bool:
    """The employee's rater (or an acting official of the rater's position), or HR of the unit."""
    return assessment.flow_class(assessment).authorize(user, "rater") is not None or is_hr_for(user, [assessment.unit])


def feedback_candidates(assessment: Assessment):
    """Who may be invited to give feedback on the assessed employee: the colleagues of their unit
    and their subordinates in the cycle, each with a user account to answer; never the employee
    nor their rater. The page offers these; the service refuses anyone else."""
    return (
        CycleMember.objects.filter(Q(unit_id=assessment.unit_id) | Q(rater_id=assessment.employee_id),
                                   cycle_id=assessment.cycle_id, employee__user__isnull=False, employee__is_active=True)
        .exclude(plan__ended__in=["move", "leave"])  # colleagues now: a plan no change has ended
        .exclude(employee_id__in=[assessment.employee_id, assessment.member.rater_id])
        .select_related("employee").order_by("employee__name")
    )


def feedback_invite(*, assessment: Assessment, actor, invitee_ids: list[int], origin: dict | None = None) -> list[FeedbackRequest]:
    """Invite colleagues and subordinates to give feedback on the employee, once per period each
    (inviting someone again creates nothing)."""
    if not may_invite(assessment, actor):
        raise NotPermitted(_("Only the rater or HR may invite feedback on this employee."))
    if assessment.status not in OPEN_FOR_FEEDBACK:
        raise InvalidTransition(_("Feedback can be invited only before the results are issued."), status=assessment.status)
    invitees = _check_invitees(assessment, invitee_ids)
    due = days_from_now(assessment.cycle.rules["feedback_days"], assessment.cycle.rules)
    already = set(FeedbackRequest.objects.filter(assessment=assessment).values_list("invitee_id", flat=True))
    created = []
    with transaction.atomic():
        for invitee in invitees.values():
            if invitee.pk in already:
                continue
            request = FeedbackRequest(assessment=assessment, cycle_id=assessment.cycle_id, invitee=invitee,
                                      invited_by=actor, due_at=due)
            start(request, actor=actor, action="create", data={"assessment": assessment.pk, "invitee": invitee.pk}, origin=origin)
            created.append(request)
    return created


def _check_invitees(assessment: Assessment, invitee_ids: list[int]) -> dict[int, Employee]:
    if not invitee_ids:
        raise ValidationError({"invitees": [_("Choose at least one colleague.")]})
    if len(invitee_ids) > MAX_INVITEES:
        raise ValidationError({"invitees": [_("Invite at most %(max)s colleagues at once.") % {"max": MAX_INVITEES}]})
    invitees = {e.pk: e for e in Employee.objects.filter(pk__in=invitee_ids, is_active=True)}
    errors = []
    unknown = sorted(set(invitee_ids) - set(invitees))
    if unknown:
        errors.append(_("Unknown or inactive employees: %(ids)s") % {"ids": ", ".join(map(str, unknown))})
    if assessment.employee_id in invitees:
        errors.append(_("An employee cannot give feedback on themselves."))
    if any(e.user_id is None for e in invitees.values()):
        errors.append(_("Every invitee needs a user account to answer."))
    if not errors:
        allowed = set(feedback_candidates(assessment).filter(employee_id__in=invitees).values_list("employee_id", flat=True))
        others = sorted((e for pk, e in invitees.items() if pk not in allowed), key=lambda e: e.name)
        if others:
            errors.append(_("Only colleagues of the employee's unit and their subordinates may be invited, not %(names)s.")
                          % {"names": ", ".join(e.name for e in others)})
    if errors:
        raise ValidationError({"invitees": errors})
    return invitees


def feedback_answer(*, request: FeedbackRequest, actor, ratings: dict, comment: str = "", origin: dict | None = None) -> FeedbackRequest:
    """The invitee answers once, rating each of the seven BerAKHLAK values (checked by the flow)."""
    require_role(request, actor, "invitee", "answer")
    errors = Errors()
    comment = errors.text("comment", comment, max_length=COMMENT_MAX)
    errors.raise_any()
    return perform(request, "answer", actor=actor, data={"ratings": ratings, "comment": comment}, origin=origin).document


def may_see_aggregate(assessment: Assessment, user) -> bool:
    """The employee, the rater and the unit's calibration forum; not HR, who sees who answered."""
    flow = assessment.flow_class(assessment)
    return any(flow.authorize(user, role) is not None for role in ("employee", "rater", "forum"))


def aggregate(assessment: Assessment) -> dict:
    """Ratings counted per BerAKHLAK value, and the comments, without authors; nothing until
    the rule set's threshold of answers is reached."""
    threshold = assessment.cycle.rules.get("feedback_min_answers", 3)
    answers = list(
        FeedbackRequest.objects.filter(assessment=assessment, status=FeedbackRequest.Status.ANSWERED).values_list("ratings", "comment")
    )
    return {"invited": FeedbackRequest.objects.filter(assessment=assessment).count(), **aggregate_answers(answers, threshold)}


def aggregate_answers(answers: list[tuple[dict, str]], threshold: int) -> dict:
    result = {"answered": len(answers), "threshold": threshold, "shown": len(answers) >= threshold, "values": None, "comments": []}
    if not result["shown"]:
        return result
    result["values"] = {value: {rating: sum(1 for r, _c in answers if r.get(value) == rating) for rating in RATINGS}
                        for value in CORE_VALUES}
    # Sorted, so that the order says nothing about who answered when.
    result["comments"] = sorted(c for _r, c in answers if c)
    return result


def respondents(assessment: Assessment) -> list[dict]:
    """For HR: who was invited and who answered, never what they said."""
    return [
        {"employee": r.invitee_id, "name": r.invitee.name, "status": r.status,
         "answered_at": r.answered_at.isoformat() if r.answered_at else None}
        for r in FeedbackRequest.objects.filter(assessment=assessment).select_related("invitee").order_by("invitee__name")
    ]


def period_months(assessment: Assessment) -> list[str]:
    """The months (YYYY-MM) an assessment's period covers."""
    year = assessment.cycle.year
    first, last = PERIOD_MONTHS.get(assessment.period, (1, 12))
    return [datetime.date(year, m, 1).strftime("%Y-%m") for m in range(first, last + 1)]
