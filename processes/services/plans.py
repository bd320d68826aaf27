"""Writes of a plan's content (results and indicators); its status moves only through the engine."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from workflow.engine import edit

from ..models import Indicator, Plan, PlanResult


def plan_update_content(*, plan: Plan, actor, results: list[dict], origin: dict | None = None) -> Plan:
    """Replace the plan's results and indicators with ``results``: the plan's ``edit``, which
    its flow allows its owner in draft or when returned.

    Items that carry an ``id`` of this plan are updated in place, items without one are created,
    and the others are deleted, so a result keeps its id across edits and amendments and the
    subordinates' results that support it stay linked. A result that a subordinate's plan
    supports cannot be deleted.
    """

    def change(flow) -> dict:
        locked = flow.document
        existing = {r.pk: r for r in PlanResult.objects.filter(plan=locked).prefetch_related("indicators")}
        _validate(locked, results, existing)
        kept_ids = {item["id"] for item in results if item.get("id")}
        removed = [pk for pk in existing if pk not in kept_ids]
        if removed:
            PlanResult.objects.filter(pk__in=removed).delete()
        for order, item in enumerate(results):
            result = existing.get(item.get("id")) or PlanResult(plan=locked)
            result.title, result.kind, result.order = item["title"], item["kind"], order
            result.supports_id = item.get("supports")
            result.approved = result.approved and result.pk is not None
            result.save()
            _save_indicators(result, item.get("indicators", []),
                             existing_ids=[i.pk for i in result.indicators.all()] if result.pk in existing else [])
        return {"results": len(results), "indicators": sum(len(i.get("indicators", [])) for i in results), "removed": removed}

    return edit(plan, "edit", actor=actor, change=change, origin=origin).document


def _save_indicators(result: PlanResult, items: list[dict], *, existing_ids: list[int]) -> None:
    kept = {item["id"] for item in items if item.get("id")}
    Indicator.objects.filter(pk__in=[pk for pk in existing_ids if pk not in kept]).delete()
    for order, item in enumerate(items):
        fields = {"description": item["description"], "target": item["target"], "aspect": item["aspect"], "order": order}
        if item.get("id"):
            Indicator.objects.filter(pk=item["id"], result=result).update(**fields)
        else:
            Indicator.objects.create(result=result, **fields)


def _validate(plan: Plan, results: list[dict], existing: dict[int, PlanResult]) -> None:
    errors: dict[str, list] = {}
    existing_indicators = {i.pk: r.pk for r in existing.values() for i in r.indicators.all()}
    for index, item in enumerate(results):
        if item.get("id") and item["id"] not in existing:
            errors[f"results[{index}].id"] = [_("This result is not part of this plan.")]
        for position, indicator in enumerate(item.get("indicators", [])):
            # An indicator id must be one of this very result's (a new result has none).
            if indicator.get("id") and (item.get("id") is None or existing_indicators.get(indicator["id"]) != item["id"]):
                errors[f"results[{index}].indicators[{position}].id"] = [_("This indicator is not part of this result.")]

    kept_ids = {item.get("id") for item in results}
    supported = set(
        PlanResult.objects.filter(supports__in=[pk for pk in existing if pk not in kept_ids]).values_list("supports_id", flat=True)
    )
    if supported:
        titles = "; ".join(existing[pk].title for pk in supported)
        errors.setdefault("results", []).append(
            _("These results are supported by your subordinates' plans and cannot be removed: %(titles)s") % {"titles": titles}
        )

    supports = {item["supports"] for item in results if item.get("supports")}
    if supports:
        rater_id = plan.member.rater_id
        valid = set(
            PlanResult.objects.filter(
                pk__in=supports, approved=True, plan__cycle_id=plan.cycle_id, plan__employee_id=rater_id
            ).values_list("pk", flat=True)
        ) if rater_id else set()
        for index, item in enumerate(results):
            if item.get("supports") and item["supports"] not in valid:
                errors.setdefault(f"results[{index}].supports", []).append(
                    _("Choose an approved result of your rater's plan in this cycle.")
                )
    if errors:
        raise ValidationError(errors)
