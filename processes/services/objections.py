"""Objections (keberatan) and the finality of results: accept, object, explain, decide, lapse."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.engine import perform, record, start
from workflow.errors import InvalidTransition, NotPermitted
from workflow.locking import lock_documents

from ..models import Assessment, CycleMember, Objection
from ..rules import RATINGS
from .checks import Errors, require_role
from .cycles import deciding_official_of, raters_superior_for
from .scoring import check_rating_change

# The longest texts an objection takes (the API and the pages refuse longer ones alike).
TEXT_MAX = 10000


def objection_file(*, assessment: Assessment, actor, reasons: str, origin: dict | None = None) -> Objection:
    """The employee objects to an issued result, within the window, with reasons."""
    require_role(assessment, actor, "employee", "object")
    errors = Errors()
    reasons = errors.text("reasons", reasons, max_length=TEXT_MAX, required=_("Give the reasons for the objection."))
    errors.raise_any()
    with transaction.atomic():
        seat = _decider_seat(assessment.member)  # refused before anything moves
        # The assessment, then its member (the order of every transition): the seat is taken after.
        assessment = perform(assessment, "object", actor=actor, comment=reasons, origin=origin).document
        member = assessment.member
        if seat is not None:
            _take_seat(member, seat, actor=actor, origin=origin)
            member.refresh_from_db()
        objection = Objection(
            assessment=assessment, cycle_id=assessment.cycle_id, member=member, employee_id=assessment.employee_id,
            decider=member.raters_superior, decider_position_id=member.raters_superior_position_id, reasons=reasons,
            objected_predicate=assessment.predicate, objected_results_rating=assessment.results_rating,
            objected_behaviour_rating=assessment.behaviour_rating,
            explanations_due=timezone.localdate() + datetime.timedelta(days=assessment.cycle.rules["objection_explanation_days"]),
        )
        objection.cycle = assessment.cycle
        start(objection, actor=actor, role="employee", action="create", comment=reasons, data={"assessment": assessment.pk}, origin=origin)
    return objection


def _decider_seat(member: CycleMember) -> tuple[int, int | None] | None:
    """Somebody must be able to decide the objection: the rater's superior kept on the member (None
    returned) or, where the rater has none in scope, the cycle's deciding official (named, or its
    ratifying official), whose seat is returned to be taken. Nobody: the objection is refused."""
    if member.raters_superior_id is not None:
        return None
    deciding = deciding_official_of(member.cycle)
    seat = raters_superior_for(employee_id=member.employee_id, rater_id=member.rater_id, raters_superior_id=None,
                               deciding=deciding)
    if seat is None:
        raise ValidationError(_("Nobody can decide an objection to this result: the rater has no superior and the cycle "
                                "names no deciding official. Ask HR to name one."))
    return seat


def _take_seat(member: CycleMember, seat: tuple[int, int | None], *, actor, origin: dict | None) -> None:
    """The deciding official takes the rater's superior's seat on the member (audited)."""

    def change(locked: CycleMember) -> dict:
        locked.raters_superior_id, locked.raters_superior_position_id = seat
        locked.save(update_fields=["raters_superior", "raters_superior_position"])
        return {"raters_superior": seat[0], "reason": "deciding_official"}

    record(member, "assign_deciding_official", actor=actor, change=change, origin=origin)


def objection_explain(*, objection: Objection, actor, explanation: str, origin: dict | None = None) -> Objection:
    """The rater or the employee gives their explanation (whichever the actor is)."""
    flow = objection.flow_class(objection)
    if flow.authorize(actor, "employee") is not None:
        action = "explain_as_employee"
    elif flow.authorize(actor, "rater") is not None:
        action = "explain_as_rater"
    else:
        raise NotPermitted(_("Only the rater and the employee may explain an objection."))
    errors = Errors()
    explanation = errors.text("explanation", explanation, max_length=TEXT_MAX, required=_("Write your explanation."))
    errors.raise_any()
    return perform(objection, action, actor=actor, comment=explanation, origin=origin).document


def objection_decide(*, objection: Objection, actor, outcome: str, reasons: str, results_rating: str = "",
                     behaviour_rating: str = "", origin: dict | None = None) -> Objection:
    """The rater's superior upholds or changes the result; the decision is final."""
    require_role(objection, actor, "raters_superior", "decide")
    errors = Errors()
    outcome = errors.choice("outcome", outcome, Objection.Outcome.values, _("Choose upheld or changed."))
    results_rating = errors.choice("results_rating", results_rating, RATINGS, _("Choose above, as_expected or below."), blank=True)
    behaviour_rating = errors.choice("behaviour_rating", behaviour_rating, RATINGS, _("Choose above, as_expected or below."), blank=True)
    if outcome == Objection.Outcome.CHANGED and not (results_rating or behaviour_rating or "results_rating" in errors.by_field):
        errors.add("results_rating", _("A changed result needs a new results or behaviour rating."))
    reasons = errors.text("reasons", reasons, max_length=TEXT_MAX, required=_("Give the reasons for the decision."))
    errors.raise_any()
    data = {"outcome": outcome, "results_rating": results_rating, "behaviour_rating": behaviour_rating}
    with transaction.atomic():
        # The assessment, then the objection (the one order of workflow.locking), before either
        # is checked: a ratification of the unit at the same moment sees the result decided or
        # not at all, never half.
        lock_documents(Assessment(pk=objection.assessment_id), objection)
        if outcome == Objection.Outcome.CHANGED:
            check_rating_change(Assessment.objects.get(pk=objection.assessment_id), results_rating, behaviour_rating,
                                _("A unit leader's results rating follows the predicate of the unit they lead; "
                                  "an objection decision can change only the behaviour rating."))
        decided = perform(objection, "decide", actor=actor, comment=reasons, data=data, origin=origin).document
        perform(decided.assessment, "resolve", actor=actor, comment=reasons, data={**data, "objection": decided.pk}, origin=origin)
    return decided


def assessments_lapse(*, on: datetime.date | None = None) -> int:
    """The scheduled sweep: issued results whose window has passed become final, through the
    engine as the system. Idempotent: a result already moved (by another worker, or by the
    employee at the same moment) is skipped."""
    on = on or timezone.localdate()
    lapsed = 0
    ids = Assessment.objects.filter(status=Assessment.Status.ISSUED, objection_deadline__lt=on).values_list("pk", flat=True)
    for pk in list(ids):
        try:
            perform(Assessment(pk=pk, status=Assessment.Status.ISSUED), "lapse", actor=None, data={"deadline_before": on.isoformat()})
        except InvalidTransition:
            continue
        lapsed += 1
    return lapsed
