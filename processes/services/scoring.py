"""Writes of scoring: the rater's ratings, the forum's review, ratification.
Statuses move only through the engine; these services orchestrate it in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from workflow.engine import edit, perform
from workflow.errors import NotPermitted
from workflow.locking import lock_documents, lock_rows

from .. import distribution
from ..flows.unit_review import pattern_checks
from ..models import Assessment, Cycle, FeedbackRequest, Plan, UnitReview
from ..rules import CORE_VALUES, RATINGS, UNIT_PREDICATES, predicate_for
from ..selectors.privacy import RESULT_SHOWN
from .checks import Errors, require_role

# The longest texts each command takes (the API and the pages refuse longer ones alike).
NOTE_MAX = COMMENT_MAX = REASON_MAX = 5000
JUSTIFICATION_MAX = 10000


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
    from ..selectors.scoring import fixed_results_rating

    results = fixed_results_rating(assessment) if assessment.is_unit_leader else assessment.results_rating
    if not (results and assessment.behaviour_rating):
        return ""
    return predicate_for(assessment.cycle.rules, results, assessment.behaviour_rating)


def unit_review_set_predicate(*, review: UnitReview, actor, unit_predicate: str, comment: str = "", origin=None) -> UnitReview:
    """The leader one level above sets (or corrects) the unit's predicate; the assessment of the
    unit's leader, if submitted, follows the new predicate, through the engine, in the same
    transaction. Once the leader's result is issued (by the forum of the review above) the
    predicate can no longer change: it would contradict an issued result."""
    require_role(review, actor, "predicate_setter", "set_unit_predicate")
    errors = Errors()
    errors.choice("unit_predicate", unit_predicate, UNIT_PREDICATES, _("Choose outstanding, good, needs_improvement, poor or very_poor."))
    comment = errors.text("comment", comment, max_length=COMMENT_MAX)
    errors.raise_any()
    with transaction.atomic():
        # The review, then its leaders' assessments in any state, locked before the submitted
        # ones are read: a leader's submission in flight finishes first and is followed here, or
        # waits and then reads the new predicate (AssessmentFlow.submit reads it after its lock).
        lock_documents(review)
        leaders = Assessment.objects.filter(led_review=review)
        list(lock_rows(leaders).values_list("pk", flat=True))
        current = UnitReview.objects.filter(pk=review.pk).values_list("unit_predicate", flat=True).get()
        if current and unit_predicate != current and leaders.filter(status__in=RESULT_SHOWN).exists():
            raise ValidationError({"unit_predicate": [
                _("The result of the unit's leader is already issued; the unit predicate can no longer change.")]})
        result = perform(review, "set_unit_predicate", actor=actor, comment=comment, data={"unit_predicate": unit_predicate}, origin=origin)
        for leader in leaders.filter(status=Assessment.Status.SUBMITTED):
            perform(leader, "follow_unit_predicate", actor=None,
                    data={"unit_predicate": unit_predicate, "unit_review": review.pk, "set_by": actor.pk}, origin=origin)
    return result.document


def _require_forum(review: UnitReview, actor) -> None:
    """Permission before input: a stranger is told 403, not asked to correct the body."""
    if review.flow_class(review).authorize(actor, "forum") is None:
        raise NotPermitted(_("Only the calibration forum of this unit may do this."))


def board(review: UnitReview, *, viewer=None) -> dict:
    """What the forum sees: every assessment of the unit and period, the distribution of
    predicates and each rule of the pattern for the unit's predicate, with pass or departure.
    Colleagues' feedback is put in front of the forum only (HR and the others who see the review
    learn who answered elsewhere, never what): pass the ``viewer`` to apply that. What each reader
    may see of each assessment is processes/selectors/privacy.py's ``board_access``."""
    assessments = list(
        Assessment.objects.filter(unit_review=review).select_related("employee", "member__rater", "unit_review", "led_review")
        .order_by("employee__name")
    )
    scored = [a.predicate for a in assessments if a.predicate and a.led_review_id != review.pk]  # flows.unit_review.in_pattern
    counts = {p: scored.count(p) for p in ["very_good", "good", "needs_improvement", "poor", "very_poor"]}
    checks = pattern_checks(review, scored)  # the rule the approval applies, under its lock
    return {"assessments": assessments, "distribution": counts, "total": len(scored),
            "pattern": distribution.as_json(checks), "departures": [c.description for c in checks if not c.passes],
            "most_reading": review.cycle.rules.get("most_reading", "majority"),
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


def unit_review_adjust(*, review: UnitReview, actor, assessment_id: int, reason: str, results_rating: str = "",
                       behaviour_rating: str = "", origin=None) -> Assessment:
    """A forum member changes a rating of an assessment, with a written reason; the predicate
    follows from the ratings. A unit leader's results rating is fixed by the predicate of the
    unit they lead, so only their behaviour rating can be adjusted. An edit of the unit's review
    (locked first, so adjustments of one review serialise) and the assessment's ``adjust``
    transition, in one transaction."""
    adjusted: dict = {}

    errors = Errors()
    results_rating = errors.choice("results_rating", results_rating, RATINGS, _("Choose above, as_expected or below."), blank=True)
    behaviour_rating = errors.choice("behaviour_rating", behaviour_rating, RATINGS, _("Choose above, as_expected or below."), blank=True)
    reason = errors.text("reason", reason, max_length=REASON_MAX, required=_("Give the reason for the change."))

    def change(flow) -> dict:
        errors.raise_any()  # once the engine has found the actor may adjust: permission before input
        assessment = Assessment.objects.filter(pk=assessment_id, unit_review=flow.document).first()
        if assessment is None:
            raise ValidationError({"assessment": [_("This assessment is not part of the unit's review.")]})
        check_rating_change(assessment, results_rating, behaviour_rating,
                             _("A unit leader's results rating follows the predicate of the unit they lead; "
                               "the forum can adjust only the behaviour rating."))
        result = perform(assessment, "adjust", actor=actor, comment=reason, origin=origin,
                         data={"results_rating": results_rating, "behaviour_rating": behaviour_rating, "unit_review": flow.document.pk})
        adjusted["assessment"] = result.document
        data = result.event.data
        return {"assessment": assessment.pk, "results_rating": results_rating, "behaviour_rating": behaviour_rating,
                "from": data.get("from", ""), "to": data.get("to", "")}

    edit(review, "adjust", actor=actor, change=change, comment=reason, origin=origin)
    return adjusted["assessment"]


def check_rating_change(assessment: Assessment, results_rating: str, behaviour_rating: str, leader_refusal: str) -> None:
    """A change of the ratings must change one (a 400 otherwise), and never a unit leader's
    results rating, which the predicate of the unit they lead fixes."""
    if assessment.is_unit_leader and results_rating and results_rating != assessment.results_rating:
        raise ValidationError({"results_rating": [leader_refusal]})
    if not ((results_rating and results_rating != assessment.results_rating)
            or (behaviour_rating and behaviour_rating != assessment.behaviour_rating)):
        raise ValidationError({"results_rating": [_("Give a results or behaviour rating other than the current one.")]})


def unit_review_approve(*, review: UnitReview, actor, justification: str = "", origin=None) -> UnitReview:
    """The forum approves the unit's results and issues them (each assessment's objection window
    opens). A departure from the distribution pattern needs a written justification (a 400
    naming the departures)."""
    _require_forum(review, actor)
    errors = Errors()
    justification = errors.text("justification", justification, max_length=JUSTIFICATION_MAX)
    errors.raise_any()
    with transaction.atomic():
        # The review, then its assessments, locked before anything is checked: the flow's
        # ``approve`` decides the departures (and whether a justification is needed) from the
        # predicates as they are issued, and its audit event records those.
        lock_documents(review)
        _lock_assessments(review)
        result = perform(review, "approve", actor=actor, comment=justification, data={"justification": justification}, origin=origin)
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
        # The review, then its assessments, locked before the guard counts the final ones: an
        # objection decided at the same moment is either in (final) or refuses the ratification.
        lock_documents(review)
        _lock_assessments(review)
        result = perform(review, "ratify", actor=actor, comment=comment, origin=origin)
        for assessment in Assessment.objects.filter(unit_review=review, status=Assessment.Status.FINAL):
            perform(assessment, "ratify", actor=actor, data={"unit_review": review.pk}, origin=origin)
    return result.document


def _lock_assessments(review: UnitReview, **filters) -> None:
    """Lock the review's assessments (after the review: the order of workflow.locking)."""
    list(lock_rows(Assessment.objects.filter(unit_review=review, **filters)).values_list("pk", flat=True))


def approved_plan_members(cycle: Cycle):
    return Plan.objects.filter(cycle=cycle, revision__gt=0).values_list("member_id", flat=True)
