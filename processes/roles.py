"""Who holds each role on a document: every role defined once, with two faces.

- ``role.holds(user, document)`` answers for one document (an ``Authorization`` saying on whose
  behalf, or None): what the flows' ``authorize`` asks before a transition.
- ``role.condition(viewer, model)`` is a ``Q`` selecting the documents of ``model`` on which the
  user holds the role: what the lists, the inbox and the menus filter with.

Both faces read the same facts (the org helpers in ``org.services``), so permission and
visibility cannot disagree; tests/processes/test_roles.py compares them role by role and
document type by document type.

The rater, the rater's superior and the unit-predicate setter are *seats*: a person holds them in
person, or stands in for the holder as the acting official (Plt/Plh) of the seat's position or as
the holder's delegate. The forum, the ratifying official and HR hold roles by assignment.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from org.services import (
    acting_positions,
    acts_for_position,
    delegations_to,
    delegators_of,
    hr_roots,
    hr_scope_units,
    is_hr,
    is_hr_for,
    stands_in_for,
)
from workflow.flows import SYSTEM, Authorization

from .models import Assessment, Cycle, CycleMember, CycleRole, FeedbackRequest, MonthlyReport, Objection, Plan, UnitReview

EMPLOYEE = "employee"
RATER = "rater"
RATERS_SUPERIOR = "raters_superior"
PREDICATE_SETTER = "predicate_setter"
FORUM = "forum"
RATIFYING_OFFICIAL = "ratifying_official"
HR = "hr"
INVITEE = "invitee"
REVIEW_RATER = "review_rater"

# A Q that matches nothing, and one that matches everything. (An empty ``Q()`` would not do for
# the latter: OR-ed with another condition, Django drops it.)
NOTHING = Q(pk__in=[])
EVERYTHING = ~Q(pk__in=[])

# The path from each document type to the record its roles are decided on: the employee's
# CycleMember (holder fields, unit and cycle) or, for a unit review, the review itself.
SUBJECT_PATHS: dict[type, str] = {
    CycleMember: "", Plan: "member__", MonthlyReport: "member__", Assessment: "member__", Objection: "member__",
    UnitReview: "",
}
MEMBER_DOCUMENTS = (CycleMember, Plan, MonthlyReport, Assessment, Objection)


def subject_path(model) -> str:
    return SUBJECT_PATHS[model]


def subject_of(document):
    """The CycleMember of an employee's document, or the unit review itself."""
    return document.member if SUBJECT_PATHS[type(document)] else document


class Viewer:
    """A user whose lists are being filtered, with the facts the roles' conditions read, each read
    at most once however many roles a list combines (an employee, their acting positions and
    delegators today, HR's units, cycle roles)."""

    def __init__(self, user, on: datetime.date | None = None, *, employee_id: int | None = None):
        self.user = user
        self.on = on or timezone.localdate()
        if employee_id is not None:
            self.employee_id = employee_id

    @classmethod
    def of(cls, user_or_viewer) -> Viewer:
        return user_or_viewer if isinstance(user_or_viewer, Viewer) else cls(user_or_viewer)

    @classmethod
    def of_employee(cls, employee_id: int) -> Viewer:
        """The seats of an employee alone (no user: no assigned roles)."""
        return cls(None, employee_id=employee_id)

    @property
    def is_superuser(self) -> bool:
        return bool(self.user is not None and self.user.is_superuser)

    @cached_property
    def employee_id(self) -> int | None:
        return getattr(getattr(self.user, "employee", None), "pk", None)

    @cached_property
    def acting_position_ids(self) -> set[int]:
        return acting_positions(self.employee_id, self.on) if self.employee_id else set()

    @cached_property
    def delegator_ids(self) -> set[int]:
        return delegators_of(self.employee_id, self.on) if self.employee_id else set()

    @cached_property
    def hr_units(self):
        return hr_scope_units(self.user) if self.user is not None else None

    @cached_property
    def cycle_roles(self) -> list[tuple[int, str, str | None]]:
        """(cycle, role, path of the unit reviewed) of every cycle role the user holds."""
        if self.user is None or self.user.pk is None:
            return []
        return list(CycleRole.objects.filter(user=self.user).values_list("cycle_id", "role", "unit__path"))


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


class Role(ABC):
    """One role: ``models`` are the document types it is held on. Each role answers both
    questions; a role that answered one only could not keep permission and visibility equal."""

    name: str
    models: tuple[type, ...]

    @abstractmethod
    def holds(self, user, document) -> Authorization | None:
        """On one document: the authorisation (on whose behalf), or None."""

    @abstractmethod
    def condition(self, viewer: Viewer, model) -> Q:
        """For lists: the documents of ``model`` on which the viewer holds the role."""

    def filter(self, user, queryset):
        """The documents of ``queryset`` on which the user holds this role."""
        return queryset.filter(self.condition(Viewer.of(user), queryset.model))

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


@dataclass(frozen=True)
class Seat:
    """Where a document keeps a seat's holder and the position it is held from."""

    holder: str
    position: str

    def holder_of(self, document):
        return getattr(subject_of(document), self.holder)

    def holder_id_of(self, document) -> int | None:
        return getattr(subject_of(document), f"{self.holder}_id")

    def position_id_of(self, document) -> int | None:
        return getattr(subject_of(document), f"{self.position}_id")


RATER_SEAT = Seat("rater", "rater_position")
RATERS_SUPERIOR_SEAT = Seat("raters_superior", "raters_superior_position")
PREDICATE_SETTER_SEAT = Seat("predicate_setter", "predicate_setter_position")


class ActingOfficial(Role):
    """The acting official (Plt/Plh) of the position a seat is held from, today."""

    def __init__(self, seat_role: str, seat: Seat, models):
        self.name, self.seat, self.models = f"acting_{seat_role}", seat, models

    def holds(self, user, document) -> Authorization | None:
        employee_id = Viewer(user).employee_id if _signed_in(user) else None
        if employee_id and acts_for_position(employee_id, self.seat.position_id_of(document), timezone.localdate()):
            holder = self.seat.holder_of(document)
            return Authorization(self.name, on_behalf_of=holder.user_id if holder is not None else None)
        return None

    def condition(self, viewer: Viewer, model) -> Q:
        if not viewer.acting_position_ids:
            return NOTHING
        return Q(**{f"{subject_path(model)}{self.seat.position}_id__in": viewer.acting_position_ids})


class Delegate(Role):
    """Whom a seat's holder has delegated their tasks to, today."""

    def __init__(self, seat_role: str, seat: Seat, models):
        self.name, self.seat, self.models = f"delegate_{seat_role}", seat, models

    def holds(self, user, document) -> Authorization | None:
        employee_id = Viewer(user).employee_id if _signed_in(user) else None
        holder_id = self.seat.holder_id_of(document)
        if employee_id and holder_id and delegations_to(employee_id, timezone.localdate()).filter(delegator_id=holder_id).exists():
            return Authorization(self.name, on_behalf_of=self.seat.holder_of(document).user_id)
        return None

    def condition(self, viewer: Viewer, model) -> Q:
        if not viewer.delegator_ids:
            return NOTHING
        return Q(**{f"{subject_path(model)}{self.seat.holder}_id__in": viewer.delegator_ids})


class SeatRole(Role):
    """The holder of a seat in person, or on the holder's behalf the acting official of its
    position or the holder's delegate."""

    def __init__(self, name: str, seat: Seat, models):
        self.name, self.seat, self.models = name, seat, models
        self.acting = ActingOfficial(name, seat, models)
        self.delegate = Delegate(name, seat, models)

    def holds(self, user, document) -> Authorization | None:
        if not _signed_in(user):
            return None
        holder = self.seat.holder_of(document)
        if holder is not None and holder.user_id == user.pk:
            return Authorization(self.name)
        employee_id = Viewer(user).employee_id
        # One query for both ways of standing in (``ActingOfficial`` and ``Delegate`` each alone).
        if employee_id is not None and stands_in_for(
            employee_id, self.seat.holder_id_of(document), self.seat.position_id_of(document), timezone.localdate()
        ):
            return Authorization(self.name, on_behalf_of=holder.user_id if holder is not None else None)
        return None

    def in_person(self, viewer: Viewer, model) -> Q:
        if viewer.employee_id is None:
            return NOTHING
        return Q(**{f"{subject_path(model)}{self.seat.holder}_id": viewer.employee_id})

    def condition(self, viewer: Viewer, model) -> Q:
        return self.in_person(viewer, model) | self.acting.condition(viewer, model) | self.delegate.condition(viewer, model)


class DocumentEmployee(Role):
    """The employee whose document it is; or, on the employee's behalf, the colleague the
    employee has delegated their tasks to (on leave, their plan and reports still move: the
    delegate sees the employee's tasks in their inbox and may do them). An acting official
    (Plt/Plh) holds a position's powers over others, never its incumbent's own documents."""

    name, models = EMPLOYEE, MEMBER_DOCUMENTS

    def holds(self, user, document) -> Authorization | None:
        if not _signed_in(user):
            return None
        employee = subject_of(document).employee
        if employee.user_id == user.pk:
            return Authorization(EMPLOYEE)
        delegate_id = Viewer(user).employee_id
        member = subject_of(document)
        if delegate_id in (member.rater_id, member.raters_superior_id):
            return None  # four eyes: whoever judges the document never also speaks for its employee
        if delegate_id and delegations_to(delegate_id, timezone.localdate()).filter(delegator_id=employee.pk).exists():
            return Authorization(EMPLOYEE, on_behalf_of=employee.user_id)
        return None

    def condition(self, viewer: Viewer, model) -> Q:
        if viewer.employee_id is None:
            return NOTHING
        condition = Q(**{f"{subject_path(model)}employee_id": viewer.employee_id})
        if viewer.delegator_ids:
            path = subject_path(model)
            condition |= Q(**{f"{path}employee_id__in": viewer.delegator_ids}) & ~Q(**{f"{path}rater_id": viewer.employee_id}) & ~Q(
                **{f"{path}raters_superior_id": viewer.employee_id}
            )
        return condition


class ForumMember(Role):
    """A member of the calibration forum of the document's unit or of a unit above it, in the
    document's cycle; on a cycle, a forum member of any of its units."""

    name, models = FORUM, (*MEMBER_DOCUMENTS, UnitReview, Cycle)

    def holds(self, user, document) -> Authorization | None:
        if not _signed_in(user):
            return None
        if isinstance(document, Cycle):
            held = CycleRole.objects.filter(cycle=document, user_id=user.pk, role=CycleRole.Role.FORUM_MEMBER).exists()
            return Authorization(FORUM) if held else None
        subject = subject_of(document)
        paths = CycleRole.objects.filter(
            cycle_id=subject.cycle_id, user_id=user.pk, role=CycleRole.Role.FORUM_MEMBER, unit__isnull=False
        ).values_list("unit__path", flat=True)
        return Authorization(FORUM) if any(subject.unit.path.startswith(path) for path in paths) else None

    def condition(self, viewer: Viewer, model) -> Q:
        forum = [(cycle_id, path) for cycle_id, role, path in viewer.cycle_roles if role == CycleRole.Role.FORUM_MEMBER]
        if model is Cycle:
            return Q(pk__in={cycle_id for cycle_id, _path in forum}) if forum else NOTHING
        prefix = subject_path(model)
        condition = NOTHING
        for cycle_id, path in forum:
            if path:
                condition |= Q(**{f"{prefix}cycle_id": cycle_id, f"{prefix}unit__path__startswith": path})
        return condition


class RatifyingOfficial(Role):
    """The official who ratifies the cycle's results."""

    name, models = RATIFYING_OFFICIAL, (*MEMBER_DOCUMENTS, UnitReview, Cycle)

    def holds(self, user, document) -> Authorization | None:
        if not _signed_in(user):
            return None
        cycle_id = document.pk if isinstance(document, Cycle) else subject_of(document).cycle_id
        held = CycleRole.objects.filter(cycle_id=cycle_id, user_id=user.pk, role=CycleRole.Role.RATIFYING_OFFICIAL).exists()
        return Authorization(RATIFYING_OFFICIAL) if held else None

    def condition(self, viewer: Viewer, model) -> Q:
        cycles = {cycle_id for cycle_id, role, _path in viewer.cycle_roles if role == CycleRole.Role.RATIFYING_OFFICIAL}
        if not cycles:
            return NOTHING
        return Q(pk__in=cycles) if model is Cycle else Q(**{f"{subject_path(model)}cycle_id__in": cycles})


class HumanResources(Role):
    """HR (BKPSDM) of the document's unit: of every unit of a cycle, for the cycle itself."""

    name, models = HR, (*MEMBER_DOCUMENTS, UnitReview, Cycle)

    def holds(self, user, document) -> Authorization | None:
        if not _signed_in(user):
            return None
        units = list(document.units.all()) if isinstance(document, Cycle) else [subject_of(document).unit]
        return Authorization(HR) if is_hr_for(user, units) else None

    def condition(self, viewer: Viewer, model) -> Q:
        if viewer.is_superuser:
            return EVERYTHING
        if viewer.user is None:
            return NOTHING
        if model is Cycle:
            # Like ``is_hr_for``: somebody's HR, and no unit of the cycle lies outside their scope.
            if not hr_roots(viewer.user).exists():
                return NOTHING
            outside = Cycle.units.through.objects.filter(cycle_id=OuterRef("pk")).exclude(unit__in=viewer.hr_units)
            return ~Q(Exists(outside))
        return Q(**{f"{subject_path(model)}unit__in": viewer.hr_units})


class Invitee(Role):
    """The colleague asked for 360 feedback."""

    name, models = INVITEE, (FeedbackRequest,)

    def holds(self, user, document) -> Authorization | None:
        return Authorization(INVITEE) if _signed_in(user) and document.invitee.user_id == user.pk else None

    def condition(self, viewer: Viewer, model) -> Q:
        return Q(invitee_id=viewer.employee_id) if viewer.employee_id else NOTHING


class ReviewRater(Role):
    """On a unit review: a rater (in person or standing in) of someone whose assessment is in it.
    It lets the rater read the distribution and the pattern while rating; no flow names it, so it
    grants no action on the review."""

    name, models = REVIEW_RATER, (UnitReview,)

    def holds(self, user, document) -> Authorization | None:
        if not _signed_in(user):
            return None
        rated = Assessment.objects.filter(unit_review=document).filter(RATER_ROLE.condition(Viewer(user), Assessment))
        return Authorization(REVIEW_RATER) if rated.exists() else None

    def condition(self, viewer: Viewer, model) -> Q:
        if viewer.employee_id is None:
            return NOTHING
        rater = RATER_ROLE.condition(viewer, Assessment)
        return Q(Exists(Assessment.objects.filter(rater, unit_review_id=OuterRef("pk"))))


EMPLOYEE_ROLE = DocumentEmployee()
RATER_ROLE = SeatRole(RATER, RATER_SEAT, MEMBER_DOCUMENTS)
RATERS_SUPERIOR_ROLE = SeatRole(RATERS_SUPERIOR, RATERS_SUPERIOR_SEAT, MEMBER_DOCUMENTS)
PREDICATE_SETTER_ROLE = SeatRole(PREDICATE_SETTER, PREDICATE_SETTER_SEAT, (UnitReview,))
FORUM_ROLE = ForumMember()
RATIFYING_OFFICIAL_ROLE = RatifyingOfficial()
HR_ROLE = HumanResources()
INVITEE_ROLE = Invitee()
REVIEW_RATER_ROLE = ReviewRater()

# The roles a flow names in its actions, by name.
ROLES: dict[str, Role] = {
    role.name: role for role in (
        EMPLOYEE_ROLE, RATER_ROLE, RATERS_SUPERIOR_ROLE, PREDICATE_SETTER_ROLE, FORUM_ROLE, RATIFYING_OFFICIAL_ROLE,
        HR_ROLE, INVITEE_ROLE, REVIEW_RATER_ROLE,
    )
}
# Standing in for a seat's holder, each way alone (the seat roles above accept either).
STAND_IN_ROLES: tuple[Role, ...] = tuple(
    way for seat in (RATER_ROLE, RATERS_SUPERIOR_ROLE, PREDICATE_SETTER_ROLE) for way in (seat.acting, seat.delegate)
)


def authorize(user, role_name: str, document) -> Authorization | None:
    """The flows' permission check: ``user`` (None for the system) in the role on the document."""
    if role_name == SYSTEM:
        return Authorization(SYSTEM) if user is None else None
    role = ROLES.get(role_name)
    if role is None or not _signed_in(user) or type(document) not in role.models:
        return None
    return role.holds(user, document)


def any_of(viewer: Viewer, model, roles) -> Q:
    """The documents of ``model`` on which the viewer holds at least one of ``roles``."""
    condition = NOTHING
    for role in roles:
        condition |= role.condition(viewer, model)
    return condition


def roles_held(user) -> dict[str, bool]:
    """Which roles the user holds on some document (in person or standing in): the menus of the
    pages and ``/api/v1/me/`` say the same."""
    viewer = Viewer(user)
    cycle_roles = {role for _cycle, role, _path in viewer.cycle_roles}
    return {
        EMPLOYEE: viewer.employee_id is not None,
        RATER: viewer.employee_id is not None and RATER_ROLE.filter(viewer, CycleMember.objects.all()).exists(),
        PREDICATE_SETTER: viewer.employee_id is not None
        and PREDICATE_SETTER_ROLE.filter(viewer, UnitReview.objects.all()).exists(),
        FORUM: CycleRole.Role.FORUM_MEMBER in cycle_roles,
        RATIFYING_OFFICIAL: CycleRole.Role.RATIFYING_OFFICIAL in cycle_roles,
        HR: is_hr(user),
    }


def role_assignments_of(user) -> list[dict]:
    """The roles assigned to the user by name: HR of a unit, and forum member or ratifying
    official of a cycle."""
    from org.models import RoleAssignment

    assigned = [
        {"role": r.role, "unit": r.unit_id, "unit_name": r.unit.name}
        for r in RoleAssignment.objects.filter(user=user).select_related("unit")
    ]
    return assigned + [
        {"role": r.role, "cycle": r.cycle_id, "unit": r.unit_id, "unit_name": r.unit.name if r.unit else None}
        for r in CycleRole.objects.filter(user=user).select_related("unit")
    ]
