"""What every page needs to know about the user: which parts of the app are theirs."""

from __future__ import annotations


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from org.models import RoleAssignment
    from processes.models import CycleMember, CycleRole, UnitReview

    employee = getattr(user, "employee", None)
    cycle_roles = set(CycleRole.objects.filter(user=user).values_list("role", flat=True))
    return {
        "nav": {
            "employee": employee is not None,
            "rater": employee is not None and CycleMember.objects.filter(rater=employee).exists(),
            "forum": "forum_member" in cycle_roles
            or (employee is not None and UnitReview.objects.filter(predicate_setter=employee).exists()),
            "ratifying": "ratifying_official" in cycle_roles,
            "hr": user.is_superuser or RoleAssignment.objects.filter(user=user, role="hr").exists(),
        },
        "me_employee": employee,
    }
