"""Reads: what each user may see, and progress counts (aggregated in SQL)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from org.models import RoleAssignment, Unit
from org.services import acting_positions, hr_scope_units, units_within

from .flows.base import today
from .models import Cycle, CycleMember, CycleRole, Plan


def _employee_id(user) -> int | None:
    return getattr(getattr(user, "employee", None), "pk", None)


def _hr_units(user) -> QuerySet[Unit]:
    return hr_scope_units(user)


def is_hr(user) -> bool:
    return user.is_superuser or RoleAssignment.objects.filter(user=user, role=RoleAssignment.Role.HR).exists()


def members_visible_condition(user, prefix: str = "") -> Q:
    """Who may see an employee's documents of a cycle: the employee, the rater (or the rater
    position's acting official), HR of the unit, the unit's forum and the cycle's ratifying
    official. ``prefix`` is the path from the queried model to CycleMember."""
    employee_id = _employee_id(user)
    condition = Q(**{f"{prefix}unit__in": _hr_units(user)})
    if employee_id is not None:
        condition |= Q(**{f"{prefix}employee_id": employee_id}) | Q(**{f"{prefix}rater_id": employee_id})
        acting = acting_positions(employee_id, today())
        if acting:
            condition |= Q(**{f"{prefix}rater_position_id__in": acting})
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


def cycle_progress(cycle: Cycle) -> dict:
    """Counts of each document type per status and unit, from one GROUP BY per type."""
    rows = (
        Plan.objects.filter(cycle=cycle)
        .values("unit_id", "unit__name", "status")
        .annotate(count=Count("id"))
        .order_by("unit__name", "status")
    )
    by_unit: dict[int, dict] = {}
    totals: dict[str, int] = {status: 0 for status in Plan.Status.values}
    for row in rows:
        unit = by_unit.setdefault(
            row["unit_id"], {"unit": row["unit_id"], "unit_name": row["unit__name"], "statuses": {s: 0 for s in Plan.Status.values}}
        )
        unit["statuses"][row["status"]] = row["count"]
        totals[row["status"]] += row["count"]
    return {
        "cycle": cycle.pk,
        "status": cycle.status,
        "opening": {"total": cycle.opening_total, "done": cycle.opening_done},
        "documents": {
            "plan": {"total": sum(totals.values()), "statuses": totals, "units": list(by_unit.values())},
        },
    }


def units_in_scope(cycle: Cycle) -> QuerySet[Unit]:
    return units_within(cycle.units.all())
