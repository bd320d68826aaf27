"""What the appraisal flows share: who holds each role on a document, and deadlines."""

from __future__ import annotations

import datetime

from django.utils import timezone

from org.services import is_hr_for, stands_in_for
from workflow.flows import SYSTEM, Authorization, Flow, TaskSpec

EMPLOYEE = "employee"
RATER = "rater"
RATERS_SUPERIOR = "raters_superior"
HR = "hr"
FORUM = "forum"
RATIFYING_OFFICIAL = "ratifying_official"
PREDICATE_SETTER = "predicate_setter"


def end_of_day(day: datetime.date) -> datetime.datetime:
    """23:59:59 of a day in the project's time zone (Asia/Jakarta): deadlines are whole days."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def today() -> datetime.date:
    return timezone.localdate()


def days_from_now(days: int, rules: dict | None = None) -> datetime.datetime:
    """The end of the day ``days`` from today, in calendar or working days as the rules say."""
    if rules is None:
        return end_of_day(today() + datetime.timedelta(days=days))
    from ..rules import deadline

    return end_of_day(deadline(rules, today(), days))


def task(rules: dict, *, due_at: datetime.datetime | None, **fields) -> TaskSpec:
    """An open task with its reminder and escalation times from the rule set."""
    if due_at is None:
        return TaskSpec(due_at=None, **fields)
    return TaskSpec(
        due_at=due_at,
        remind_at=due_at - datetime.timedelta(days=rules["remind_days_before"]),
        escalate_at=due_at + datetime.timedelta(days=rules["escalate_days_after"]),
        **fields,
    )


def as_holder(user, role: str, holder, position_id: int | None) -> Authorization | None:
    """The holder in person; or, on the holder's behalf, an acting official (Plt/Plh) of the
    holder's position or the holder's delegate, today."""
    if holder is not None and holder.user_id == user.pk:
        return Authorization(role)
    employee_id = getattr(getattr(user, "employee", None), "pk", None)
    if employee_id is not None and stands_in_for(employee_id, getattr(holder, "pk", None), position_id, today()):
        return Authorization(role, on_behalf_of=holder.user_id if holder is not None else None)
    return None


def has_cycle_role(user, cycle_id: int, role: str, unit=None) -> bool:
    """A cycle role; a forum member of a unit reviews the units below it too."""
    from ..models import CycleRole

    roles = CycleRole.objects.filter(cycle_id=cycle_id, user_id=user.pk, role=role)
    if unit is not None:
        roles = roles.filter(unit__code__in=[code for code in unit.path.split("/") if code])
    return roles.exists()


class AppraisalFlow(Flow):
    """Flows of an employee's documents; subclasses expose ``member`` (the CycleMember)."""

    @property
    def member(self):
        return self.document.member

    @property
    def cycle_id(self) -> int:
        return self.document.cycle_id

    def describe(self) -> str:
        return f"{self.model._meta.verbose_name} {self.document.cycle.year} — {self.member.employee.name}"

    def escalation_recipients(self, task) -> list[int]:
        """A rater who does not act: their superior is told; an employee who does not act: the rater."""
        member = self.member
        if task.role == RATER and member.raters_superior_id:
            return [member.raters_superior.user_id]
        if task.role == EMPLOYEE and member.rater_id:
            return [member.rater.user_id]
        return []

    def authorize(self, user, role: str) -> Authorization | None:
        if role == SYSTEM:
            return Authorization(SYSTEM) if user is None else None
        if user is None or not user.is_authenticated:
            return None
        member = self.member
        if role == EMPLOYEE:
            return Authorization(EMPLOYEE) if member.employee.user_id == user.pk else None
        if member.employee.user_id == user.pk:
            # Nobody judges their own document: not as a delegate, an acting official or HR.
            return None
        if role == RATER:
            return as_holder(user, RATER, member.rater, member.rater_position_id)
        if role == RATERS_SUPERIOR:
            return as_holder(user, RATERS_SUPERIOR, member.raters_superior, member.raters_superior_position_id)
        if role == HR:
            return Authorization(HR) if is_hr_for(user, [member.unit]) else None
        if role == FORUM:
            return Authorization(FORUM) if has_cycle_role(user, self.cycle_id, "forum_member", member.unit) else None
        if role == RATIFYING_OFFICIAL:
            return Authorization(role) if has_cycle_role(user, self.cycle_id, "ratifying_official") else None
        return None
