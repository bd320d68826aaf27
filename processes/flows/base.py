"""What the appraisal flows share: who holds each role on a document, and deadlines."""

from __future__ import annotations

import datetime

from django.utils import timezone

from workflow.flows import SYSTEM, Authorization, Flow, TaskSpec

from .. import roles

# The role names the flows' actions use; each role is defined in ``processes.roles``.
from ..roles import EMPLOYEE, FORUM, HR, PREDICATE_SETTER, RATER, RATERS_SUPERIOR, RATIFYING_OFFICIAL  # noqa: F401


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


class AppraisalFlow(Flow):
    """Flows of an employee's documents; subclasses expose ``member`` (the CycleMember)."""

    # Who rates the employee is decided on the member's record: HR's correction of it and a
    # transition of one of the employee's documents serialise.
    lock_shared = ("member",)

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
        if role == HR and user is None:
            # The command line's organisation import, run by an administrator, ends and starts
            # plans as HR does (processes/services/membership.py).
            return Authorization(SYSTEM)
        if role not in (SYSTEM, EMPLOYEE) and user is not None and self.member.employee.user_id == user.pk:
            # Nobody judges their own document: not as a delegate, an acting official or HR.
            return None
        return roles.authorize(user, role, self.document)
