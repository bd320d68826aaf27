"""Reads of the organisation: scopes, reporting lines, acting officials. (Its writes: org.writes.)"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from django.db.models import Q, QuerySet

from .models import ActingAssignment, Delegation, Employee, Position, RoleAssignment, Unit


def units_within(units: Iterable[Unit]) -> QuerySet[Unit]:
    """The given units and every unit below them (one indexed prefix query)."""
    condition = Q(pk__in=[])
    for unit in units:
        condition |= Q(path__startswith=unit.path)
    return Unit.objects.filter(condition)


def hr_roots(user) -> QuerySet[Unit]:
    """The units a user is assigned HR of (their scope is these and every unit below)."""
    return Unit.objects.filter(role_assignments__user=user, role_assignments__role=RoleAssignment.Role.HR)


def hr_scope_units(user) -> QuerySet[Unit]:
    """The units a user administers as HR (empty for everybody else; all for a superuser)."""
    if user.is_superuser:
        return Unit.objects.all()
    return units_within(list(hr_roots(user)))


def is_hr(user) -> bool:
    """HR of some unit (or a superuser): whether the HR pages and HR-only endpoints are theirs."""
    return user.is_superuser or hr_roots(user).exists()


def is_hr_for(user, units: Iterable[Unit]) -> bool:
    """True when every given unit lies within the user's HR scope."""
    if user.is_superuser:
        return True
    roots = list(hr_roots(user).values_list("path", flat=True))
    return bool(roots) and all(any(unit.path.startswith(root) for root in roots) for unit in units)


def acting_assignments(employee_id: int, on: datetime.date) -> QuerySet[ActingAssignment]:
    """The employee's acting assignments (Plt/Plh) in force on a date."""
    return ActingAssignment.objects.filter(employee_id=employee_id, start__lte=on, end__gte=on)


def acting_positions(employee_id: int, on: datetime.date) -> set[int]:
    """Ids of the positions an employee acts for (Plt/Plh) on a date."""
    return set(acting_assignments(employee_id, on).values_list("position_id", flat=True))


def acts_for_position(employee_id: int, position_id: int | None, on: datetime.date) -> bool:
    if position_id is None:
        return False
    return acting_assignments(employee_id, on).filter(position_id=position_id).exists()


def active_delegations(on: datetime.date):
    return Delegation.objects.filter(start__lte=on, end__gte=on, ended_at__isnull=True)


def delegations_to(employee_id: int, on: datetime.date) -> QuerySet[Delegation]:
    """The delegations in force on a date that make this employee someone's delegate."""
    return active_delegations(on).filter(delegate_id=employee_id)


def delegators_of(employee_id: int, on: datetime.date) -> set[int]:
    """Ids of the employees who have delegated their tasks to this one, today."""
    return set(delegations_to(employee_id, on).values_list("delegator_id", flat=True))


def stands_in_for(employee_id: int, holder_id: int | None, position_id: int | None, on: datetime.date) -> bool:
    """Acting official of the position (Plt/Plh), or the holder's delegate, on a date: one query."""
    from django.db.models import Exists

    if holder_id is None and position_id is None:
        return False
    acting = acting_assignments(employee_id, on).filter(position_id=position_id)
    delegated = delegations_to(employee_id, on).filter(delegator_id=holder_id)
    return Employee.objects.filter(pk=employee_id).filter(Exists(acting) | Exists(delegated)).exists()


@dataclass(frozen=True)
class ReportingLine:
    rater_id: int | None
    raters_superior_id: int | None


class ReportingLineResolver:
    """Resolves raters in bulk: the holder of the superior position, or its acting official.

    Loads every position and holder once, so resolving 60,000 employees costs three queries.
    A superior position with no holder falls to its Plt on the date; with several holders (a
    data error) the line stays unresolved for HR to correct rather than guessing.
    """

    def __init__(self, on: datetime.date):
        self.superior_of: dict[int, int | None] = dict(Position.objects.values_list("id", "superior_id"))
        holders: dict[int, list[int]] = defaultdict(list)
        for employee_id, position_id in Employee.objects.filter(is_active=True, position__isnull=False).values_list(
            "id", "position_id"
        ):
            holders[position_id].append(employee_id)
        acting: dict[int, int] = {}
        for employee_id, position_id in ActingAssignment.objects.filter(
            start__lte=on, end__gte=on, kind=ActingAssignment.Kind.PLT
        ).values_list("employee_id", "position_id"):
            acting[position_id] = employee_id
        self.holders = holders
        self.acting = acting

    def move_holder(self, employee_id: int, from_position: int | None, to_position: int | None) -> None:
        """Keep the loaded holders true after a move or a leave made while resolving (the
        import's changes are resolved in one pass)."""
        if from_position is not None and employee_id in self.holders.get(from_position, []):
            self.holders[from_position].remove(employee_id)
        if to_position is not None and employee_id not in self.holders[to_position]:
            # Already there when the organisation's write came first (the import).
            self.holders[to_position].append(employee_id)

    def holder_of(self, position_id: int | None) -> int | None:
        if position_id is None:
            return None
        holders = self.holders.get(position_id, [])
        if len(holders) == 1:
            return holders[0]
        if not holders:
            return self.acting.get(position_id)
        return None

    def resolve(self, position_id: int | None) -> ReportingLine:
        superior = self.superior_of.get(position_id) if position_id else None
        superior_superior = self.superior_of.get(superior) if superior else None
        return ReportingLine(rater_id=self.holder_of(superior), raters_superior_id=self.holder_of(superior_superior))


def agency_by_unit(units: list[Unit]) -> dict[int, Unit]:
    """Each unit's agency, by the unit's id: the nearest unit of kind "agency" at or above it; a
    unit above every agency (the government) stands for itself. One query for all the units."""
    codes = {code for unit in units for code in unit.path.strip("/").split("/")}
    agencies = {a.code: a for a in Unit.objects.filter(code__in=codes, kind=Unit.Kind.AGENCY)}
    return {unit.pk: next((agencies[code] for code in reversed(unit.path.strip("/").split("/")) if code in agencies), unit)
            for unit in units}
