"""Writes of scoring: evaluation periods, the rater's ratings, the forum's review, ratification.
Statuses move only through the engine; these services orchestrate it in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Position
from org.services import ReportingLineResolver
from workflow.engine import UNCHANGED, edit, perform, start_many
from workflow.errors import NotPermitted

from .. import distribution
from ..models import PERIODS, Assessment, Cycle, CycleMember, Evaluation, FeedbackRequest, Plan, UnitReview
from ..rules import CORE_VALUES, RATINGS, UNIT_PREDICATES, predicate_for
from .checks import Errors, require_role

# The longest texts each command takes (the API and the pages refuse longer ones alike).
NOTE_MAX = COMMENT_MAX = REASON_MAX = 5000
JUSTIFICATION_MAX = 10000


def evaluation_start(*, cycle: Cycle, period: str, actor, origin: dict | None = None) -> tuple[Evaluation, int, int]:
    """HR starts an evaluation period: one assessment per employee with an approved plan and
    one review per unit, created once (a repeated call creates only what is missing). An edit of
    the cycle: its lock serialises two starts, and it must be open."""
    created: dict = {}

    def change(flow) -> dict:
        if period not in dict(PERIODS):
            raise ValidationError({"period": [_("Choose Q1, Q2, Q3, Q4 or annual.")]})
        if period != "annual" and flow.document.period_type != Cycle.PeriodType.QUARTERLY:
            raise ValidationError({"period": [_("This cycle is evaluated annually only.")]})
        locked = flow.document
        evaluation, _new = Evaluation.objects.get_or_create(cycle=locked, period=period, defaults={"created_by": actor})
        members = list(
            CycleMember.objects.filter(cycle=locked, plan__revision__gt=0)
            .select_related("employee", "rater", "raters_superior", "position", "unit", "cycle")
        )
        reviews = _create_reviews(locked, evaluation, {m.unit for m in members})
        assessments = _create_assessments(locked, evaluation, members, reviews)
        created.update(evaluation=evaluation, reviews=len(reviews["created"]), assessments=len(assessments))
        if not (_new or reviews["created"] or assessments):
            return UNCHANGED
        return {"period": period, "unit_reviews": len(reviews["created"]), "assessments": len(assessments)}

    edit(cycle, "start_evaluation", actor=actor, change=change, origin=origin)
    return created["evaluation"], created["reviews"], created["assessments"]


def _create_reviews(cycle, evaluation, units) -> dict:
    existing = {r.unit_id: r for r in UnitReview.objects.filter(evaluation=evaluation)}
    resolver = ReportingLineResolver(on=timezone.localdate())
    leaders = dict(Position.objects.filter(unit__in=units, is_unit_leader=True).values_list("unit_id", "pk"))
    new = []
    for unit in sorted(units, key=lambda u: u.path):
        if unit.pk in existing:
            continue
        leader_position = leaders.get(unit.pk)
        setter_position = resolver.superior_of.get(leader_position) if leader_position else None
        new.append(UnitReview(cycle=cycle, evaluation=evaluation, unit=unit, period=evaluation.period,
                              predicate_setter_id=resolver.holder_of(setter_position),
                              predicate_setter_position_id=setter_position))
    new = start_many(new, data={"period": evaluation.period})
    existing.update({r.unit_id: r for r in new})
    return {"by_unit": existing, "created": new}


def _create_assessments(cycle, evaluation, members, reviews) -> list[Assessment]:
    existing = set(Assessment.objects.filter(evaluation=evaluation).values_list("member_id", flat=True))
    new = [
        Assessment(cycle=cycle, evaluation=evaluation, unit_review=reviews["by_unit"][m.unit_id], member=m,
                   employee_id=m.employee_id, unit_id=m.unit_id, period=evaluation.period,
                   is_unit_leader=bool(m.position and m.position.is_unit_leader and m.position.unit_id == m.unit_id))
        for m in members if m.pk not in existing
    ]
    return start_many(new, data={"period": evaluation.period})


def assessment_rate(*, assessment: Assessment, actor, ratings: dict, origin: dict | None = None) -> Assessment:
    """The rater's ratings of a draft assessment (results, behaviour, per core value, note): an
    edit the rater (in person, as acting official or delegate) makes before submitting."""

    ratings = dict(ratings)

    def change(flow) -> dict:
        _validate_ratings(ratings)
        a = flow.document
        changed = {key: ratings[key] for key in ("results_rating", "behaviour_rating", "behaviour_values", "note") if key in ratings}
        flow.set(**{key: value if value is not None else "" for key, value in changed.items()})
        # Show the predicate the ratings give while the rater is still rating (recomputed on submit).
        predicate = preview_predicate(a)
        flow.set(rated_predicate=predicate, predicate=predicate)
        return {}

    return edit(assessment, "rate", actor=actor, change=change, origin=origin).document


def _validate_ratings(ratings: dict) -> None:
    errors = Errors()
    for key in ("results_rating", "behaviour_rating"):
        errors.choice(key, ratings.get(key), RATINGS, _("Choose above, as_expected or below."), blank=True)
    values = ratings.get("behaviour_values") or {}
    if not isinstance(values, dict) or set(values) - set(CORE_VALUES) or not all(v in RATINGS for v in values.values()):
        errors.add("behaviour_values", _("Rate the BerAKHLAK core values by their code names with above, as_expected or below."))
    if "note" in ratings:
        ratings["note"] = errors.text("note", ratings["note"], max_length=NOTE_MAX)
    errors.raise_any()


def preview_predicate(assessment: Assessment) -> str:
    """The predicate the current ratings give ("" while incomplete); for a unit's leader the
    results rating follows the unit's predicate once it is set."""
    rules = assessment.cycle.rules
    results = assessment.results_rating
    if assessment.is_unit_leader:
        unit_predicate = assessment.unit_review.unit_predicate
        results = rules["leader_results_rating"][unit_predicate] if unit_predicate else ""
    if not (results and assessment.behaviour_rating):
        return ""
    return predicate_for(rules, results, assessment.behaviour_rating)


def unit_review_set_predicate(*, review: UnitReview, actor, unit_predicate: str, comment: str = "", origin=None) -> UnitReview:
    """The leader one level above sets (or corrects) the unit's predicate; a leader's assessment
    already submitted follows the new predicate, through the engine, in the same transaction."""
    require_role(review, actor, "predicate_setter", "set_unit_predicate")
    errors = Errors()
    errors.choice("unit_predicate", unit_predicate, UNIT_PREDICATES, _("Choose outstanding, good, needs_improvement, poor or very_poor."))
    comment = errors.text("comment", comment, max_length=COMMENT_MAX)
    errors.raise_any()
    with transaction.atomic():
        result = perform(review, "set_unit_predicate", actor=actor, comment=comment, data={"unit_predicate": unit_predicate}, origin=origin)
        leaders = Assessment.objects.filter(unit_review=review, is_unit_leader=True, status=Assessment.Status.SUBMITTED)
        for leader in leaders:
            perform(leader, "follow_unit_predicate", actor=None,
                    data={"unit_predicate": unit_predicate, "unit_review": review.pk, "set_by": actor.pk}, origin=origin)
    return result.document


def _require_forum(review: UnitReview, actor) -> None:
    """Permission before input: a stranger is told 403, not asked to correct the body."""
    if review.flow_class(review).authorize(actor, "forum") is None:
        raise NotPermitted(_("Only the review forum of this unit may do this."))


def board(review: UnitReview, *, viewer=None) -> dict:
    """What the forum sees: every assessment of the unit and period, the distribution of
    predicates and each rule of the pattern for the unit's predicate, with pass or departure.
    Colleagues' feedback is put in front of the forum only (HR and the others who see the review
    learn who answered elsewhere, never what): pass the ``viewer`` to apply that."""
    assessments = list(
        Assessment.objects.filter(unit_review=review).select_related("employee", "member__rater").order_by("employee__name")
    )
    scored = [a.predicate for a in assessments if a.predicate]
    counts = {p: scored.count(p) for p in ["very_good", "good", "needs_improvement", "poor", "very_poor"]}
    pattern = review.cycle.rules["distribution"].get(review.unit_predicate, []) if review.unit_predicate else []
    checks = distribution.check(pattern, scored) if review.unit_predicate else []
    return {"assessments": assessments, "distribution": counts, "total": len(scored),
            "pattern": distribution.as_json(checks), "departures": [c.description for c in checks if not c.passes],
            "feedback": board_feedback(review, assessments, with_colleagues=viewer is None or is_forum(review, viewer))}


def is_forum(review: UnitReview, user) -> bool:
    return review.flow_class(review).authorize(user, "forum") is not None


def board_feedback(review: UnitReview, assessments: list[Assessment], *, with_colleagues: bool = True) -> dict:
    """Evidence on the board: the public's ratings of the unit and of each employee over the
    period, and each assessment's colleague feedback (aggregate, once enough answered)."""
    from .feedback import aggregate_answers, period_months
    from .public_feedback import summary as public_summary

    if not assessments:
        return {"public": None, "colleagues": {}}
    months = period_months(assessments[0])
    answers: dict[int, list] = {a.pk: [] for a in assessments}
    for assessment_id, ratings, comment in FeedbackRequest.objects.filter(
        assessment__unit_review=review, status=FeedbackRequest.Status.ANSWERED
    ).values_list("assessment_id", "ratings", "comment"):
        answers[assessment_id].append((ratings, comment))
    threshold = review.cycle.rules.get("feedback_min_answers", 3)
    return {
        "public": {"unit": public_summary(unit_id=review.unit_id, months=months),
                   "employees": public_by_employee([a.employee_id for a in assessments], months)},
        "colleagues": {a.pk: aggregate_answers(answers[a.pk], threshold) for a in assessments} if with_colleagues else {},
    }


def public_by_employee(employee_ids: list[int], months: list[str]) -> dict:
    from django.db.models import Avg, Count

    from ..models import PublicFeedback

    rows = (PublicFeedback.objects.filter(employee_id__in=employee_ids, month__in=months)
            .values("employee_id").annotate(count=Count("id"), mean=Avg("rating")))
    return {r["employee_id"]: {"count": r["count"], "mean": round(r["mean"], 2)} for r in rows}


def unit_review_adjust(*, review: UnitReview, actor, assessment_id: int, predicate: str, reason: str, origin=None) -> Assessment:
    """A forum member changes an assessment's predicate with a written reason: an edit of the
    unit's review (locked first, so adjustments of one review serialise) and the assessment's
    ``adjust`` transition, in one transaction."""
    adjusted: dict = {}

    errors = Errors()
    errors.choice("predicate", predicate, Assessment.Predicate.values, _("Choose a valid predicate."))
    reason = errors.text("reason", reason, max_length=REASON_MAX, required=_("Give the reason for the change."))

    def change(flow) -> dict:
        errors.raise_any()  # once the engine has found the actor may adjust: permission before input
        assessment = Assessment.objects.filter(pk=assessment_id, unit_review=flow.document).first()
        if assessment is None:
            raise ValidationError({"assessment": [_("This assessment is not part of the unit's review.")]})
        result = perform(assessment, "adjust", actor=actor, comment=reason,
                         data={"predicate": predicate, "unit_review": flow.document.pk}, origin=origin)
        adjusted["assessment"] = result.document
        return {"assessment": assessment.pk, "from": result.event.data.get("from", ""), "to": predicate}

    edit(review, "adjust", actor=actor, change=change, comment=reason, origin=origin)
    return adjusted["assessment"]


def unit_review_approve(*, review: UnitReview, actor, justification: str = "", origin=None) -> UnitReview:
    """The forum approves the unit's results and issues them (each assessment's objection window
    opens). A departure from the distribution pattern needs a written justification."""
    _require_forum(review, actor)
    errors = Errors()
    justification = errors.text("justification", justification, max_length=JUSTIFICATION_MAX)
    errors.raise_any()
    with transaction.atomic():
        departures = board(review)["departures"] if review.status == UnitReview.Status.SCORING else []
        if departures and not justification:
            raise ValidationError({"justification": [
                _("The results depart from the distribution pattern (%(rules)s): justify the departure.") % {"rules": "; ".join(departures)}
            ]})
        result = perform(review, "approve", actor=actor, comment=justification,
                         data={"justification": justification, "departures": departures}, origin=origin)
        for assessment in Assessment.objects.filter(unit_review=review, status=Assessment.Status.SUBMITTED):
            perform(assessment, "issue", actor=actor, data={"unit_review": review.pk}, origin=origin)
    return result.document


def unit_review_ratify(*, review: UnitReview, actor, comment: str = "", origin=None) -> UnitReview:
    """The ratifying official ratifies the unit's final results, which locks them."""
    require_role(review, actor, "ratifying_official", "ratify")
    errors = Errors()
    comment = errors.text("comment", comment, max_length=COMMENT_MAX)
    errors.raise_any()
    with transaction.atomic():
        result = perform(review, "ratify", actor=actor, comment=comment, origin=origin)
        for assessment in Assessment.objects.filter(unit_review=review, status=Assessment.Status.FINAL):
            perform(assessment, "ratify", actor=actor, data={"unit_review": review.pk}, origin=origin)
    return result.document


def approved_plan_members(cycle: Cycle):
    return Plan.objects.filter(cycle=cycle, revision__gt=0).values_list("member_id", flat=True)
