"""HR's progress counts of a cycle: every document type per status and unit, aggregated in SQL."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone

from org.models import Unit
from org.services import units_within

from ..models import Assessment, Cycle, MonthlyReport, Objection, Plan, UnitReview


def _counts(queryset, statuses, extra: dict | None = None) -> dict:
    """Totals and per-unit counts of one document type by status, from one GROUP BY over
    (unit, status) alone: no join and no sort in SQL, so that an index on (cycle, unit, status, ...)
    answers it with an index-only scan. The units' names are filled in by ``_name_units``."""
    rows = queryset.values("unit_id", "status").annotate(count=Count("id"), **(extra or {})).order_by()
    units: dict[int, dict] = {}
    totals = {status: 0 for status in statuses}
    extra_totals = {key: 0 for key in (extra or {})}
    for row in rows:
        unit = units.setdefault(row["unit_id"], {"unit": row["unit_id"], "unit_name": "",
                                                 "statuses": {s: 0 for s in statuses}, **{k: 0 for k in extra_totals}})
        unit["statuses"][row["status"]] = row["count"]
        totals[row["status"]] += row["count"]
        for key in extra_totals:
            unit[key] += row[key]
            extra_totals[key] += row[key]
    return {"total": sum(totals.values()), "statuses": totals, **extra_totals, "units": list(units.values())}


def _name_units(counts: list[dict], scope: QuerySet) -> None:
    """The unit names of every per-unit list, each list ordered by name: the scope's names in one
    query (a list of thousands of ids would cost more to parse than the join), then any unit
    outside it (moved since the cycle opened)."""
    unit_ids = {unit["unit"] for c in counts for unit in c["units"]}
    names = dict(Unit.objects.filter(pk__in=scope).values_list("pk", "name")) if unit_ids else {}
    if unit_ids - names.keys():
        names.update(Unit.objects.filter(pk__in=unit_ids - names.keys()).values_list("pk", "name"))
    for c in counts:
        for unit in c["units"]:
            unit["unit_name"] = names.get(unit["unit"], "")
        c["units"].sort(key=lambda unit: (unit["unit_name"], unit["unit"]))


def _scope_unit_ids(cycle: Cycle) -> QuerySet:
    """The ids of the cycle's units and every unit below them, as a subquery.

    One pass over the units comparing each path's prefix with the scope's paths, grouped by the
    prefix's length: ``units_within``'s OR of LIKEs is rechecked term by term on every row, which
    for a scope of a few hundred agencies costs a hundred milliseconds."""
    from django.db.models.functions import Substr

    by_length: dict[int, set[str]] = {}
    for path in cycle.units.values_list("path", flat=True):
        by_length.setdefault(len(path), set()).add(path)
    condition = Q(pk__in=[])
    for length, paths in by_length.items():
        condition |= Q(In(Substr("path", 1, length), sorted(paths)))
    return Unit.objects.filter(condition).values("pk")


def cycle_progress(cycle: Cycle) -> dict:
    """Counts of every document type per status and unit (one GROUP BY each), late reports and
    overdue open tasks."""
    from workflow.models import OpenTask

    scope = _scope_unit_ids(cycle)
    overdue = (
        OpenTask.objects.pending().filter(unit_id__in=scope, due_at__lt=timezone.now())
        .values("document_type").annotate(count=Count("id")).order_by("document_type")
    )
    documents = {
        "plan": _counts(Plan.objects.filter(cycle=cycle), Plan.Status.values),
        "report": _counts(MonthlyReport.objects.filter(cycle=cycle), MonthlyReport.Status.values,
                          {"late": Count("id", filter=Q(late=True))}),
        "assessment": _counts(Assessment.objects.filter(cycle=cycle), Assessment.Status.values),
        "unit_review": _counts(UnitReview.objects.filter(cycle=cycle), UnitReview.Status.values),
    }
    _name_units(list(documents.values()), scope)
    return {
        "cycle": cycle.pk,
        "status": cycle.status,
        "opening": {"total": cycle.opening_total, "done": cycle.opening_done},
        "documents": {**documents, "objection": _objection_counts(cycle)},
        "overdue_tasks": {row["document_type"]: row["count"] for row in overdue},
        "public_feedback": _public_feedback_by_unit(cycle, scope),
    }


def _public_feedback_by_unit(cycle: Cycle, scope: QuerySet) -> list[dict]:
    """The public's ratings of the cycle's year per unit: count and mean (one GROUP BY)."""
    from django.db.models import Avg

    from ..models import PublicFeedback

    rows = (
        PublicFeedback.objects.filter(unit_id__in=scope, month__startswith=f"{cycle.year}-")
        .values("unit_id", "unit__name").annotate(count=Count("id"), mean=Avg("rating")).order_by("unit__name")
    )
    return [{"unit": r["unit_id"], "unit_name": r["unit__name"], "count": r["count"], "mean": round(r["mean"], 2)} for r in rows]


def _objection_counts(cycle: Cycle) -> dict:
    rows = Objection.objects.filter(cycle=cycle).values("status").annotate(count=Count("id"))
    statuses = {status: 0 for status in Objection.Status.values}
    for row in rows:
        statuses[row["status"]] = row["count"]
    return {"total": sum(statuses.values()), "statuses": statuses}


def units_in_scope(cycle: Cycle) -> QuerySet[Unit]:
    return units_within(cycle.units.all())
