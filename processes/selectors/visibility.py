"""What each user may see: every list is the union of the roles (``processes.roles``) that
see it, so a user sees a document exactly when some role of theirs is held on it."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from org.models import Unit
from org.services import is_hr  # noqa: F401  (re-exported: "is this user HR" is asked here)

from .. import roles
from ..models import Assessment, Cycle, CycleMember, CycleRole, MonthlyReport, Objection, Plan, UnitReview
from ..roles import Viewer

# Who sees an employee's documents of a cycle: the employee, the rater and the rater's superior
# (in person or standing in), HR of the unit, the unit's forum and the cycle's ratifying official.
MEMBER_DOCUMENT_READERS = (
    roles.EMPLOYEE_ROLE, roles.RATER_ROLE, roles.RATERS_SUPERIOR_ROLE, roles.HR_ROLE, roles.FORUM_ROLE,
    roles.RATIFYING_OFFICIAL_ROLE,
)
# Who sees a unit's review: the leader who sets the unit's predicate (or whoever stands in), the
# forum of the unit or of a unit above it, the ratifying official, HR of the unit, and every rater
# of someone in the review (the pattern while rating; other employees' notes stay hidden).
UNIT_REVIEW_READERS = (
    roles.PREDICATE_SETTER_ROLE, roles.FORUM_ROLE, roles.RATIFYING_OFFICIAL_ROLE, roles.HR_ROLE, roles.REVIEW_RATER_ROLE,
)


def _seat_condition(role, employee_id: int, prefix: str, viewer: Viewer | None) -> Q:
    viewer = viewer or Viewer.of_employee(employee_id)
    model = CycleMember if prefix == "" else Objection  # any document reached through "member__"
    if prefix not in ("", "member__"):
        raise ValueError(f"unknown path to a cycle member: {prefix!r}")
    return role.condition(viewer, model)


def rated_by_condition(employee_id: int, prefix: str = "", viewer: Viewer | None = None) -> Q:
    """The members the employee rates: in person, as the acting official (Plt/Plh) of the
    rater's position, or as the rater's delegate. ``prefix`` leads from the model to CycleMember."""
    return _seat_condition(roles.RATER_ROLE, employee_id, prefix, viewer)


def superior_condition(employee_id: int, prefix: str = "", viewer: Viewer | None = None) -> Q:
    """The members whose rater's superior the employee is (deciding objections), likewise."""
    return _seat_condition(roles.RATERS_SUPERIOR_ROLE, employee_id, prefix, viewer)


def visible_condition(user, model) -> Q:
    """The documents of ``model`` (an employee's document or a CycleMember) the user may see."""
    return roles.any_of(Viewer.of(user), model, MEMBER_DOCUMENT_READERS)


def _visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if user.is_superuser else queryset.filter(visible_condition(user, queryset.model))


def plans_visible_to(user) -> QuerySet[Plan]:
    return _visible(user, Plan.objects.select_related("employee", "unit", "cycle", "member__rater"))


def members_visible_to(user) -> QuerySet[CycleMember]:
    return _visible(user, CycleMember.objects.select_related("employee", "unit", "position", "rater", "raters_superior", "cycle",
                                                              "plan"))


def reports_visible_to(user) -> QuerySet[MonthlyReport]:
    return _visible(user, MonthlyReport.objects.select_related("employee", "unit", "cycle", "member__rater", "plan"))


def assessments_visible_to(user) -> QuerySet[Assessment]:
    return _visible(user, Assessment.objects.select_related(
        "employee", "unit", "cycle", "unit_review", "led_review", "member__rater", "member__raters_superior", "member__position"
    ))


def objections_visible_to(user) -> QuerySet[Objection]:
    return _visible(user, Objection.objects.select_related("employee", "cycle", "assessment", "member__rater", "decider"))


def unit_reviews_visible_to(user) -> QuerySet[UnitReview]:
    reviews = UnitReview.objects.select_related("unit", "cycle", "evaluation", "predicate_setter")
    if user.is_superuser:
        return reviews
    return reviews.filter(roles.any_of(Viewer.of(user), UnitReview, UNIT_REVIEW_READERS))


def cycles_visible_to(user) -> QuerySet[Cycle]:
    """The cycles the user takes part in: as a member, by a cycle role, or as HR of any of its
    units. (HR of only some of its units sees a cycle without holding HR's role on it: the
    cycle's HR actions answer them 403, not 404.)"""
    cycles = Cycle.objects.all()
    if user.is_superuser:
        return cycles
    viewer = Viewer.of(user)
    condition = (
        Q(units__in=viewer.hr_units)
        | roles.FORUM_ROLE.condition(viewer, Cycle) | roles.RATIFYING_OFFICIAL_ROLE.condition(viewer, Cycle)
    )
    if viewer.employee_id is not None:
        condition |= Q(members__employee_id=viewer.employee_id)
    return cycles.filter(pk__in=Cycle.objects.filter(condition).values("pk"))


def units_visible_to(user) -> QuerySet[Unit]:
    """The units in the user's view: HR's scope, their own unit, the units of the people they
    rate, and the units their forum reviews (with the units below)."""
    if user.is_superuser:
        return Unit.objects.all()
    viewer = Viewer.of(user)
    condition = Q(pk__in=viewer.hr_units.values("pk"))
    employee = getattr(user, "employee", None)
    if employee is not None:
        if employee.position_id:
            condition |= Q(positions__holders=employee)
        condition |= Q(pk__in=CycleMember.objects.filter(rated_by_condition(employee.pk, viewer=viewer)).values("unit_id"))
    for _cycle, role, path in viewer.cycle_roles:
        if role == CycleRole.Role.FORUM_MEMBER and path:
            condition |= Q(path__startswith=path)
    return Unit.objects.filter(pk__in=Unit.objects.filter(condition).values("pk")).order_by("path")
