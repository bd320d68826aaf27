"""Reads of a plan (SKP) for its page and its form: the results and indicators as rows, the
approved versions, and the rater's approved results a result may support."""

from __future__ import annotations

from ..labels import core_values
from ..models import Indicator, Plan, PlanResult


def rows_from_plan(plan: Plan) -> list[dict]:
    """The plan's results and indicators: the read-only table, and the form's initial rows."""
    results = PlanResult.objects.filter(plan=plan).select_related("supports").prefetch_related("indicators")
    return [
        {
            "id": str(r.pk), "title": r.title, "kind": r.kind, "kind_display": r.get_kind_display(),
            "supports": str(r.supports_id or ""), "supports_title": r.supports.title if r.supports else "",
            "approved": r.approved,
            "indicators": [
                {"id": str(i.pk), "description": i.description, "target": i.target, "aspect": i.aspect,
                 "aspect_display": i.get_aspect_display()}
                for i in r.indicators.all()
            ],
        }
        for r in results
    ]


def versions_of(plan: Plan) -> list[dict]:
    """The approved versions, newest first, with the labels of kinds and aspects and the leader's
    expectations as approved."""
    kinds, aspects = dict(PlanResult.Kind.choices), dict(Indicator.Aspect.choices)
    return [
        {"revision": v.revision, "approved_at": v.approved_at, "approved_by": v.approved_by,
         "results": [{**r, "kind_display": kinds.get(r.get("kind"), r.get("kind")),
                      "indicators": [{**i, "aspect_display": aspects.get(i.get("aspect"), i.get("aspect"))}
                                     for i in r.get("indicators", [])]}
                     for r in (v.content or {}).get("results", [])],
         "expectations": [{"label": label, "text": (v.content or {}).get("expectations", {}).get(code)}
                          for code, label in core_values() if (v.content or {}).get("expectations", {}).get(code)]}
        for v in plan.versions.select_related("approved_by").order_by("-revision")
    ]


def rater_results(plan: Plan) -> tuple[bool, list[PlanResult]]:
    """Whether the rater has a plan in the cycle (else the plan cascades from the agency's
    agreement), and the rater's approved results a result may support."""
    rater_id = plan.member.rater_id
    if rater_id is None or not Plan.objects.filter(cycle_id=plan.cycle_id, employee_id=rater_id).exists():
        return False, []
    return True, list(
        PlanResult.objects.filter(plan__cycle_id=plan.cycle_id, plan__employee_id=rater_id, approved=True).order_by("order", "id")
    )
