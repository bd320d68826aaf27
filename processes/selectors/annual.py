"""The year's result of someone with several plans (docs/periods-and-changes.md).

Each plan of the year is evaluated for its own period by its own rater. The annual predicate of
an employee with more than one plan in the annual evaluation is derived from those results by
the rule set's ``annual_predicate`` option:

- ``most_months`` (the default): the predicate of the plan that covers the most months (a month
  counts for the plan that holds at least half of its days: ``periods.months_covered``); a tie
  goes to the later plan;
- ``latest``: the predicate of the last plan;
- ``weighted``: the predicates' average weighted by days (very good 5 ... very poor 1), rounded
  half up.

The derivation reads only results the forum has issued (``RESULT_SHOWN``), so it shows nobody a
draft; until every plan's result is issued it names what it waits for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..models import Assessment
from ..rules import annual_predicate_option
from ..services.periods import days_in, months_covered
from .privacy import RESULT_SHOWN

SCORES = {"very_good": 5, "good": 4, "needs_improvement": 3, "poor": 2, "very_poor": 1}
PREDICATE_OF_SCORE = {score: predicate for predicate, score in SCORES.items()}


@dataclass
class Part:
    assessment_id: int
    plan_id: int
    start: str
    end: str
    days: int
    months: float
    rater: str
    predicate: str  # "" until the forum issues it
    chosen: bool = False


@dataclass
class AnnualResult:
    option: str
    parts: list[Part] = field(default_factory=list)
    predicate: str = ""  # "" while a part waits, or when the reader may not see a part
    waiting: int = 0
    hidden: int = 0  # parts the reader may not open

    def as_dict(self) -> dict:
        return {
            "option": self.option,
            "predicate": self.predicate,
            "waiting": self.waiting,
            "hidden": self.hidden,
            "parts": [part.__dict__ for part in self.parts],
        }


def annual_result(assessment: Assessment, viewer=None) -> AnnualResult | None:
    """The derivation of the annual predicate ``assessment`` belongs to, or None when the
    employee has one plan in the period (their predicate is the year's) or the period is a
    quarter. With a ``viewer``, the plans they may not open (the old rater reads the new plan's)
    show no predicate, and then neither does the derivation."""
    if assessment.period != "annual":
        return None
    siblings = list(
        Assessment.objects.filter(evaluation_id=assessment.evaluation_id, employee_id=assessment.employee_id)
        .select_related("member__plan", "member__rater").order_by("member__plan__start")
    )
    if len(siblings) < 2:
        return None
    result = derive(siblings, annual_predicate_option(assessment.cycle.rules))
    if viewer is not None:
        from .visibility import assessments_visible_to

        visible = set(assessments_visible_to(viewer).filter(pk__in=[a.pk for a in siblings]).values_list("pk", flat=True))
        hidden = [part for part in result.parts if part.assessment_id not in visible]
        for part in hidden:
            part.predicate, part.rater, part.chosen = "", "", False
        if hidden:
            result.predicate, result.hidden = "", len(hidden)
    return result


def derive(assessments: list[Assessment], option: str, *, counted=RESULT_SHOWN) -> AnnualResult:
    """The derivation from ``assessments`` (one per plan, by start), reading the results whose
    status is in ``counted`` (issued ones; the ratified export, ratified ones only)."""
    result = AnnualResult(option=option)
    for a in assessments:
        plan = a.member.plan
        result.parts.append(Part(
            assessment_id=a.pk, plan_id=plan.pk, start=plan.start.isoformat(), end=plan.end.isoformat(),
            days=days_in(plan.start, plan.end), months=months_covered(plan.start, plan.end),
            rater=a.member.rater.name if a.member.rater_id else "",
            predicate=a.predicate if a.status in counted else "",
        ))
    result.waiting = sum(1 for part in result.parts if not part.predicate)
    if result.waiting:
        return result
    if option == "weighted":
        total = sum(part.days for part in result.parts)
        average = Decimal(sum(SCORES[part.predicate] * part.days for part in result.parts)) / Decimal(total)
        result.predicate = PREDICATE_OF_SCORE[int(average.quantize(Decimal(1), rounding=ROUND_HALF_UP))]
        return result
    if option == "latest":
        chosen = result.parts[-1]
    else:  # most_months: the most months; ">=" lets a later plan of as many months win the tie
        chosen = result.parts[0]
        for part in result.parts[1:]:
            if part.months >= chosen.months:
                chosen = part
    chosen.chosen = True
    result.predicate = chosen.predicate
    return result
