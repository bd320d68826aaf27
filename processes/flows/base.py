"""What the appraisal flows share: who holds the employee, rater and HR roles on a document."""

from __future__ import annotations

import datetime

from django.utils import timezone

from org.services import acts_for_position, is_hr_for
from workflow.flows import SYSTEM, Authorization, Flow

EMPLOYEE = "employee"
RATER = "rater"
HR = "hr"


def end_of_day(day: datetime.date) -> datetime.datetime:
    """23:59:59 of a day in the project's time zone (Asia/Jakarta): deadlines are whole days."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def today() -> datetime.date:
    return timezone.localdate()


class AppraisalFlow(Flow):
    """Subclasses expose ``member`` (the CycleMember the document belongs to), or override."""

    @property
    def member(self):
        return self.document.member

    def authorize(self, user, role: str) -> Authorization | None:
        if role == SYSTEM:
            return Authorization(SYSTEM) if user is None else None
        if user is None or not user.is_authenticated:
            return None
        if role == EMPLOYEE:
            return Authorization(EMPLOYEE) if self.member.employee.user_id == user.pk else None
        if role == RATER:
            return self._as_holder(user, RATER, self.member.rater, self.member.rater_position_id)
        if role == HR:
            return Authorization(HR) if is_hr_for(user, [self.member.unit]) else None
        return None

    @staticmethod
    def _as_holder(user, role: str, holder, position_id: int | None) -> Authorization | None:
        """The holder in person, or an acting official (Plt/Plh) of the holder's position today."""
        if holder is not None and holder.user_id == user.pk:
            return Authorization(role)
        employee_id = getattr(getattr(user, "employee", None), "pk", None)
        if employee_id is not None and acts_for_position(employee_id, position_id, today()):
            return Authorization(role, on_behalf_of=holder.user_id if holder is not None else None)
        return None
