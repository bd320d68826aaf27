"""Reads: what each user may see, and progress counts (aggregated in SQL)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone

from org.models import Employee, RoleAssignment, Unit
from org.services import acting_positions, delegators_of, hr_scope_units, units_within

from workflow.inbox import inbox_for_user

from .flows.base import today
from .models import Assessment, Cycle, CycleMember, CycleRole, MonthlyReport, Objection, Plan, UnitReview


def _employee_id(user) -> int | None:
    return getattr(getattr(user, "employee", None), "pk", None)


def _hr_units(user) -> QuerySet[Unit]:
    return hr_scope_units(user)


def is_hr(user) -> bool:
    return user.is_superuser or RoleAssignment.objects.filter(user=user, role=RoleAssignment.Role.HR).exists()


def _stands_in(employee_id: int, on=None) -> tuple[set[int], set[int]]:
    """The positions the employee acts for (Plt/Plh) and the employees who delegated to them."""
    on = on or today()
    return acting_positions(employee_id, on), delegators_of(employee_id, on)


def _holder_condition(employee_id: int, role: str, position_field: str, prefix: str, stands_in) -> Q:
    acting, delegators = stands_in
    condition = Q(**{f"{prefix}{role}_id": employee_id})
    if acting:
        condition |= Q(**{f"{prefix}{position_field}_id__in": acting})
    if delegators:
        condition |= Q(**{f"{prefix}{role}_id__in": delegators})
    return condition


def rated_by_condition(employee_id: int, prefix: str = "", stands_in=None) -> Q:
    """The members the employee rates: in person, as the acting official (Plt/Plh) of the
    rater's position, or as the rater's delegate. ``prefix`` leads from the model to CycleMember."""
    return _holder_condition(employee_id, "rater", "rater_position", prefix, stands_in or _stands_in(employee_id))


def superior_condition(employee_id: int, prefix: str = "", stands_in=None) -> Q:
    """The members whose rater's superior the employee is (deciding objections), likewise."""
    return _holder_condition(employee_id, "raters_superior", "raters_superior_position", prefix,
                             stands_in or _stands_in(employee_id))


def open_tasks_for(user):
    """The user's inbox: their open tasks, those of positions they act for and those of the
    people who delegated to them."""
    employee = getattr(user, "employee", None)
    if employee is None:
        return inbox_for_user(user)
    acting, delegators = _stands_in(employee.pk)
    delegator_users = set(
        Employee.objects.filter(pk__in=delegators, user__isnull=False).values_list("user_id", flat=True)
    ) if delegators else set()
    return inbox_for_user(user, acting_position_ids=acting, on_behalf_of_user_ids=delegator_users)


def members_visible_condition(user, prefix: str = "") -> Q:
    """Who may see an employee's documents of a cycle: the employee, the rater (or the rater
    position's acting official), HR of the unit, the unit's forum and the cycle's ratifying
    official. ``prefix`` is the path from the queried model to CycleMember."""
    employee_id = _employee_id(user)
    condition = Q(**{f"{prefix}unit__in": _hr_units(user)})
    if employee_id is not None:
        stands_in = _stands_in(employee_id)  # a delegate or acting official sees what the holder sees
        condition |= (
            Q(**{f"{prefix}employee_id": employee_id})
            | rated_by_condition(employee_id, prefix, stands_in)
            | superior_condition(employee_id, prefix, stands_in)
        )
    roles = CycleRole.objects.filter(user=user)
    condition |= Q(
        Exists(roles.filter(cycle=OuterRef(f"{prefix}cycle"), role=CycleRole.Role.RATIFYING_OFFICIAL))
    ) | Q(Exists(roles.filter(cycle=OuterRef(f"{prefix}cycle"), role=CycleRole.Role.FORUM_MEMBER, unit=OuterRef(f"{prefix}unit"))))
    return condition


def plans_visible_to(user) -> QuerySet[Plan]:
    plans = Plan.objects.select_related("employee", "unit", "cycle", "member__rater")
    if user.is_superuser:
        return plans
    return plans.filter(members_visible_condition(user, prefix="member__"))


def members_visible_to(user) -> QuerySet[CycleMember]:
    members = CycleMember.objects.select_related("employee", "unit", "position", "rater", "raters_superior", "cycle")
    if user.is_superuser:
        return members
    return members.filter(members_visible_condition(user))


def cycles_visible_to(user) -> QuerySet[Cycle]:
    cycles = Cycle.objects.all()
    if user.is_superuser:
        return cycles
    employee_id = _employee_id(user)
    condition = Q(units__in=_hr_units(user)) | Q(roles__user=user)
    if employee_id is not None:
        condition |= Q(members__employee_id=employee_id)
    return cycles.filter(pk__in=Cycle.objects.filter(condition).values("pk"))


def reports_visible_to(user) -> QuerySet[MonthlyReport]:
    reports = MonthlyReport.objects.select_related("employee", "unit", "cycle", "member__rater", "plan")
    return reports if user.is_superuser else reports.filter(members_visible_condition(user, prefix="member__"))


def assessments_visible_to(user) -> QuerySet[Assessment]:
    assessments = Assessment.objects.select_related(
        "employee", "unit", "cycle", "unit_review", "member__rater", "member__raters_superior", "member__position"
    )
    return assessments if user.is_superuser else assessments.filter(members_visible_condition(user, prefix="member__"))


def objections_visible_to(user) -> QuerySet[Objection]:
    objections = Objection.objects.select_related("employee", "cycle", "assessment", "member__rater", "decider")
    return objections if user.is_superuser else objections.filter(members_visible_condition(user, prefix="member__"))


def unit_reviews_visible_to(user) -> QuerySet[UnitReview]:
    """The forum of the unit (or of a unit above it), the ratifying official, the leader who sets
    the unit's predicate (or their acting official), and HR of the unit."""
    reviews = UnitReview.objects.select_related("unit", "cycle", "evaluation", "predicate_setter")
    if user.is_superuser:
        return reviews
    employee_id = _employee_id(user)
    roles = CycleRole.objects.filter(user=user)
    condition = Q(unit__in=_hr_units(user)) | Q(
        Exists(roles.filter(cycle=OuterRef("cycle"), role=CycleRole.Role.RATIFYING_OFFICIAL))
    )
    forum_units = list(roles.filter(role=CycleRole.Role.FORUM_MEMBER).values_list("cycle_id", "unit__path"))
    for cycle_id, path in forum_units:
        condition |= Q(cycle_id=cycle_id, unit__path__startswith=path)
    if employee_id is not None:
        condition |= Q(predicate_setter_id=employee_id)
        acting = acting_positions(employee_id, today())
        if acting:
            condition |= Q(predicate_setter_position_id__in=acting)
    return reviews.filter(condition)


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

    from .models import PublicFeedback

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


def units_visible_to(user) -> QuerySet[Unit]:
    """The units in the user's view: HR's scope, their own unit, the units of the people they
    rate, and the units their forum reviews (with the units below)."""
    if user.is_superuser:
        return Unit.objects.all()
    employee = getattr(user, "employee", None)
    condition = Q(pk__in=_hr_units(user).values("pk"))
    if employee is not None:
        if employee.position_id:
            condition |= Q(positions__holders=employee)
        condition |= Q(pk__in=CycleMember.objects.filter(rater=employee).values("unit_id"))
    for path in CycleRole.objects.filter(user=user, role=CycleRole.Role.FORUM_MEMBER).values_list("unit__path", flat=True):
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(pk__in=Unit.objects.filter(condition).values("pk")).order_by("path")
