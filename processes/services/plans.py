"""Writes of a plan's content (results and indicators); its status moves only through the engine.

The rules of the content live here, and only here: the API and the plan page hand over what was
sent (the API its JSON, the page its formset's text) and show the errors this module raises, keyed
``results[0].title``, ``results[0].indicators[1].aspect``, ``results`` for the whole plan.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from workflow.engine import UNCHANGED, edit
from workflow.errors import InvalidTransition

from ..models import Indicator, Plan, PlanResult
from ..rules import CORE_VALUES, plan_limits
from .checks import Errors
from .fields import reference, text

TITLE_MAX = PlanResult._meta.get_field("title").max_length
DESCRIPTION_MAX = Indicator._meta.get_field("description").max_length
TARGET_MAX = Indicator._meta.get_field("target").max_length


def plan_update_content(*, plan: Plan, actor, results: Any, origin: dict | None = None) -> Plan:
    """Replace the plan's results and indicators with ``results``: the plan's ``edit``, which
    its flow allows its owner in draft or when returned.

    ``results`` is what the caller received: a list of results, each a dict with ``title``,
    ``kind`` (main or additional), ``supports`` (an approved result of the rater's plan in the
    cycle, or none), an optional ``id`` and ``indicators`` (each a dict with ``description``,
    ``target``, ``aspect`` and an optional ``id``); ids may be numbers or their digits as text.
    Everything is checked here (after the engine has checked who may edit, so a stranger learns
    nothing from the errors) and refused as a whole with a ValidationError.

    Items that carry an ``id`` of this plan are updated in place, items without one are created,
    and the others are deleted, so a result keeps its id across edits and amendments and the
    subordinates' results that support it stay linked. A result that a subordinate's plan
    supports cannot be deleted.
    """

    def change(flow) -> dict:
        locked = flow.document
        if locked.ended:  # a move or a leave ended the period: the plan takes no more changes
            raise InvalidTransition(_("This plan's period has ended (%(ended)s on %(end)s); it takes no more steps.")
                                    % {"ended": locked.get_ended_display(), "end": locked.end}, status=locked.status)
        cleaned = clean_content(results, limits=plan_limits(locked.cycle.rules))
        existing = {r.pk: r for r in PlanResult.objects.filter(plan=locked).prefetch_related("indicators")}
        _validate_links(locked, cleaned, existing)
        kept_ids = {item["id"] for item in cleaned if item["id"]}
        removed = [pk for pk in existing if pk not in kept_ids]
        if removed:
            PlanResult.objects.filter(pk__in=removed).delete()
        for order, item in enumerate(cleaned):
            result = existing.get(item["id"]) or PlanResult(plan=locked)
            result.title, result.kind, result.order = item["title"], item["kind"], order
            result.supports_id = item["supports"]
            result.approved = result.approved and result.pk is not None
            result.save()
            _save_indicators(result, item["indicators"],
                             existing_ids=[i.pk for i in result.indicators.all()] if result.pk in existing else [])
        return {"results": len(cleaned), "indicators": sum(len(i["indicators"]) for i in cleaned), "removed": removed}

    return edit(plan, "edit", actor=actor, change=change, origin=origin).document


def clean_content(results: Any, *, limits: tuple[int, int]) -> list[dict]:
    """The results as the service stores them (text stripped, ids as numbers), or a
    ValidationError naming every field that breaks a rule. ``limits`` are the rule set's results
    per plan and indicators per result (rules.plan_limits): counted before anything else is
    looked at, so an oversized plan costs no more than its length."""
    max_results, max_indicators = limits
    if not isinstance(results, list):
        raise ValidationError({"results": [_("Give the results as a list.")]})
    if len(results) > max_results:
        raise ValidationError({"results": [_("A plan holds at most %(n)s results (the rule set's limit).") % {"n": max_results}]})
    oversized = [index for index, item in enumerate(results)
                 if isinstance(item, dict) and isinstance(item.get("indicators"), list) and len(item["indicators"]) > max_indicators]
    if oversized:
        message = _("A result holds at most %(n)s indicators (the rule set's limit).") % {"n": max_indicators}
        raise ValidationError({f"results[{index}].indicators": [message] for index in oversized})
    errors = Errors()
    cleaned = []
    for index, item in enumerate(results):
        where = f"results[{index}]"
        if not isinstance(item, dict):
            errors.add(where, _("Give each result as an object with its fields."))
            continue
        result = {
            "id": reference(errors, f"{where}.id", item.get("id"), _("This result is not part of this plan.")),
            "title": text(errors, f"{where}.title", item.get("title"), max_length=TITLE_MAX, required=_("Give the result's title.")),
            "kind": errors.choice(f"{where}.kind", item.get("kind"), PlanResult.Kind.values, _("Choose main or additional.")),
            "supports": reference(errors, f"{where}.supports", item.get("supports"),
                                  _("Choose an approved result of your rater's plan in this cycle.")),
            "indicators": [],
        }
        indicators = item.get("indicators") or []
        if not isinstance(indicators, list):
            errors.add(f"{where}.indicators", _("Give the indicators as a list."))
            indicators = []
        for position, indicator in enumerate(indicators):
            at = f"{where}.indicators[{position}]"
            if not isinstance(indicator, dict):
                errors.add(at, _("Give each indicator as an object with its fields."))
                continue
            required = _("This field is required.")
            result["indicators"].append({
                "id": reference(errors, f"{at}.id", indicator.get("id"), _("This indicator is not part of this result.")),
                "description": text(errors, f"{at}.description", indicator.get("description"), max_length=DESCRIPTION_MAX,
                                    required=required),
                "target": text(errors, f"{at}.target", indicator.get("target"), max_length=TARGET_MAX, required=required),
                "aspect": errors.choice(f"{at}.aspect", indicator.get("aspect"), Indicator.Aspect.values,
                                        _("Choose quantity, quality or time.")),
            })
        cleaned.append(result)
    _no_repeats(cleaned, errors)
    errors.raise_any()
    return cleaned


def _no_repeats(cleaned: list[dict], errors: Errors) -> None:
    """Each result and each indicator once: an id given twice would be saved twice over."""
    seen_results: set[int] = set()
    seen_indicators: set[int] = set()
    for index, item in enumerate(cleaned):
        if item["id"] and item["id"] in seen_results:
            errors.add(f"results[{index}].id", _("This result is given twice."))
        seen_results.add(item["id"])
        for position, indicator in enumerate(item["indicators"]):
            if indicator["id"] and indicator["id"] in seen_indicators:
                errors.add(f"results[{index}].indicators[{position}].id", _("This indicator is given twice."))
            seen_indicators.add(indicator["id"])


def _save_indicators(result: PlanResult, items: list[dict], *, existing_ids: list[int]) -> None:
    kept = {item["id"] for item in items if item["id"]}
    Indicator.objects.filter(pk__in=[pk for pk in existing_ids if pk not in kept]).delete()
    for order, item in enumerate(items):
        fields = {"description": item["description"], "target": item["target"], "aspect": item["aspect"], "order": order}
        if item["id"]:
            Indicator.objects.filter(pk=item["id"], result=result).update(**fields)
        else:
            Indicator.objects.create(result=result, **fields)


def _validate_links(plan: Plan, results: list[dict], existing: dict[int, PlanResult]) -> None:
    """The rules that read the database: ids of this plan, supported results kept, the cascade."""
    errors: dict[str, list] = {}
    existing_indicators = {i.pk: r.pk for r in existing.values() for i in r.indicators.all()}
    for index, item in enumerate(results):
        if item["id"] and item["id"] not in existing:
            errors[f"results[{index}].id"] = [_("This result is not part of this plan.")]
        for position, indicator in enumerate(item["indicators"]):
            # An indicator id must be one of this very result's (a new result has none).
            if indicator["id"] and (item["id"] is None or existing_indicators.get(indicator["id"]) != item["id"]):
                errors[f"results[{index}].indicators[{position}].id"] = [_("This indicator is not part of this result.")]

    kept_ids = {item["id"] for item in results}
    supported = set(
        PlanResult.objects.filter(supports__in=[pk for pk in existing if pk not in kept_ids]).values_list("supports_id", flat=True)
    )
    if supported:
        titles = "; ".join(existing[pk].title for pk in supported)
        errors.setdefault("results", []).append(
            _("These results are supported by your subordinates' plans and cannot be removed: %(titles)s") % {"titles": titles}
        )

    supports = {item["supports"] for item in results if item["supports"]}
    if supports:
        rater_id = plan.member.rater_id
        valid = set(
            PlanResult.objects.filter(
                pk__in=supports, approved=True, plan__cycle_id=plan.cycle_id, plan__employee_id=rater_id
            ).values_list("pk", flat=True)
        ) if rater_id else set()
        for index, item in enumerate(results):
            if item["supports"] and item["supports"] not in valid:
                errors.setdefault(f"results[{index}].supports", []).append(
                    _("Choose an approved result of your rater's plan in this cycle.")
                )
    if errors:
        raise ValidationError(errors)


EXPECTATION_MAX = 2000


def plan_set_expectations(*, plan: Plan, actor, expectations: Any, origin: dict | None = None) -> Plan:
    """The rater writes the leader's specific expectations (ekspektasi khusus pimpinan) for the
    seven core values in the plan, each optional: ``expectations`` maps a value's code
    (``rules.CORE_VALUES``) to its text; a value left out or blank has none. The plan's
    ``set_expectations`` edit, the rater's while the plan is draft, submitted or returned; the
    approval keeps them in the approved version."""

    def change(flow) -> dict:
        locked = flow.document
        if locked.ended:
            raise InvalidTransition(_("This plan's period has ended (%(ended)s on %(end)s); it takes no more steps.")
                                    % {"ended": locked.get_ended_display(), "end": locked.end}, status=locked.status)
        cleaned = clean_expectations(expectations)
        if cleaned == (locked.expectations or {}):
            return UNCHANGED
        flow.set(expectations=cleaned)
        return {"values": sorted(cleaned)}

    return edit(plan, "set_expectations", actor=actor, change=change, origin=origin).document


def clean_expectations(expectations: Any) -> dict[str, str]:
    """``{value code: text}`` checked: known values only, text of at most EXPECTATION_MAX
    characters; blank texts dropped."""
    errors = Errors()
    if not isinstance(expectations, dict):
        raise ValidationError({"expectations": [_("Give the expectations as an object of core value to text.")]})
    cleaned = {}
    for value, said in expectations.items():
        if value not in CORE_VALUES:
            errors.add("expectations", _("Unknown core value “%(value)s”; the values are: %(values)s.")
                       % {"value": str(value)[:50], "values": ", ".join(CORE_VALUES)})
            continue
        said = text(errors, f"expectations.{value}", said, max_length=EXPECTATION_MAX)
        if said:
            cleaned[value] = said
    errors.raise_any()
    return {value: cleaned[value] for value in CORE_VALUES if value in cleaned}
