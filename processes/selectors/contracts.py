"""PPPK whose contract ends: the evaluation of the contract's last period, for HR's decision to
extend it (docs/periods-and-changes.md)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from org.models import Employee

from ..models import Assessment, Cycle, Plan
from ..services.periods import year_bounds
from .privacy import RESULT_SHOWN


def contracts_ending(cycle: Cycle, *, before: str | None = None, viewer=None) -> list[dict]:
    """Each PPPK of the cycle whose contract ends within the cycle's year (or on or before
    ``before``, a date as YYYY-MM-DD), soonest first, with their last plan of the cycle and its
    latest assessment. HR reads it: HR sees every result of its units."""
    first, last = year_bounds(cycle.year)
    if before:
        try:
            last = datetime.date.fromisoformat(before.strip())
        except ValueError:
            raise ValidationError({"before": [_("Give a date as YYYY-MM-DD.")]}) from None
    plans = (Plan.objects.filter(cycle=cycle, employee__employment_type=Employee.EmploymentType.PPPK,
                                 employee__contract_end__gte=first, employee__contract_end__lte=last)
             .select_related("employee", "unit").order_by("employee__contract_end", "employee_id", "-start"))
    latest: dict[int, Plan] = {}
    for plan in plans:
        latest.setdefault(plan.employee_id, plan)
    # The latest evaluation of the employee in the cycle: of the last plan, or of an earlier one
    # when the last was too short to be approved and evaluated.
    assessments: dict[int, Assessment] = {}
    for assessment in (Assessment.objects.filter(cycle=cycle, employee_id__in=list(latest))
                       .order_by("member__plan__start", "evaluation__created_at", "pk")):
        assessments[assessment.employee_id] = assessment  # the latest wins
    own = getattr(getattr(viewer, "employee", None), "pk", None)
    rows = []
    for plan in latest.values():
        employee, assessment = plan.employee, assessments.get(plan.employee_id)
        if assessment is not None and assessment.employee_id == own and assessment.status not in RESULT_SHOWN:
            # An HR officer who is a PPPK reads their own result only once it is issued.
            assessment.predicate = ""
        rows.append({
            "employee": employee, "grade": employee.grade, "contract_start": employee.contract_start,
            "contract_end": employee.contract_end, "unit_name": plan.unit.name, "plan": plan,
            "assessment": assessment,
        })
    return rows
