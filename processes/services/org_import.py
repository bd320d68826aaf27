"""The running year hears of the organisation's changes: who joins, moves and leaves the open cycles.

After the import's organisation writes, in the same transaction, through the services of
processes/services/membership.py (docs/periods-and-changes.md):

- someone the file places anew (a new employee, one back in service, one in another position):
  in each open cycle where they have a running plan in another position they **move** from
  ``position_start`` (today if blank); where they have none and their unit is in the cycle's
  scope they **join** from that date (1 January of the cycle's year if earlier; a PPPK's contract
  start if later). A date past the end of a plan or of the cycle's year changes nothing there;
- a leaver (``leave_date`` and ``leave_reason``): each running plan the date falls in ends
  (``member_leave``); once the date has come they are out of the organisation (inactive, no
  position), with or without a plan.

The organisation (org) knows nothing of the appraisal year: ``org.importer.import_org`` writes the
organisation and hands its list of changes to ``people``; this module's ``import_org`` is the
import with the year following it, which the page, the command line and the demo call.
Leavers go first, so that the seats they free are free for those who join or move into them.
One ReportingLineResolver, built after the organisation's writes, serves every change (its
holders are kept true as each change is made). A refusal of a service is an error on the row's
line; any error rolls the whole import back.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial

from django.core.exceptions import ValidationError
from django.utils import timezone

from org import importer
from org.importer.apply import PersonChange
from org.importer.report import ImportRejected, ImportReport
from org.models import Employee
from org.services import ReportingLineResolver, units_within
from workflow.errors import InvalidTransition, NotPermitted

from ..models import Cycle, Plan
from .membership import member_join, member_leave, member_move
from .periods import plan_period, year_bounds


class _Year:
    """The open cycles, their scopes and the running plans of the people who change."""

    def __init__(self, changes: list[PersonChange], today: datetime.date):
        self.today = today
        self.cycles = list(Cycle.objects.filter(status=Cycle.Status.OPEN).prefetch_related("units").order_by("year", "pk"))
        self.scope = {cycle.pk: set(units_within(cycle.units.all()).values_list("pk", flat=True)) for cycle in self.cycles}
        self.running: dict[tuple[int, int], Plan] = {}
        plans = (Plan.objects.filter(cycle__in=self.cycles, employee_id__in=[c.employee.pk for c in changes], ended="")
                 .select_related("member__employee", "member__unit").order_by("start"))
        cycles = {cycle.pk: cycle for cycle in self.cycles}
        for plan in plans:  # the latest start wins: the current plan (membership.current_plan)
            plan.cycle = plan.member.cycle = cycles[plan.cycle_id]  # with its scope loaded once
            self.running[(plan.cycle_id, plan.employee_id)] = plan
        self.resolver = ReportingLineResolver(on=today) if self.cycles else None
        self.errors: list[tuple[int, str]] = []

    def attempt(self, change: PersonChange, call: Callable[[], object]) -> bool:
        """Run a service call; its refusal becomes an error of the change's line."""
        try:
            call()
        except ValidationError as error:
            message = " ".join(error.messages)
        except (InvalidTransition, NotPermitted) as error:
            message = error.message
        else:
            return True
        self.errors.append((change.line, f"NIP {change.employee.nip}: {message}"))
        return False


def apply_people_changes(changes: list[PersonChange], report: ImportReport, *, actor, origin: dict | None) -> None:
    if not changes:
        return
    year = _Year(changes, timezone.localdate())
    for change in sorted(changes, key=lambda c: (c.leave_date is None, c.line)):  # leavers first
        if change.leave_date is not None:
            report.left += _leave(year, change, actor=actor, origin=origin)
        elif change.contract_end is not None:
            report.left += _contract_shortened(year, change, actor=actor, origin=origin)
        else:
            joined, moved = _place(year, change, actor=actor, origin=origin)
            report.joined += joined
            report.moved += moved
    if year.errors:
        raise ImportRejected(sorted(year.errors))


def _leave(year: _Year, change: PersonChange, *, actor, origin) -> bool:
    employee, left = change.employee, False
    for cycle in year.cycles:
        plan = year.running.get((cycle.pk, employee.pk))
        if plan is None or change.leave_date > plan.end:
            continue
        # A leave dated on or before the plan's first day (a retirement from 1 January, a person the
        # cycle took in by mistake): the plan ends after its first day, never agreed, never evaluated.
        on = max(change.leave_date, plan.start + datetime.timedelta(days=1))
        left |= year.attempt(change, partial(member_leave, member=plan.member, on=on, reason=change.leave_reason,
                                             actor=actor, origin=origin, resolver=year.resolver))
    # member_leave took them out of the organisation where a plan ended (the date has come, as
    # here); without a plan the import does. ``employee`` is as the import left it: a leaver's
    # activity and position are not written by apply_employees.
    if change.leave_date <= year.today and not left and (employee.is_active or employee.position_id is not None):
        Employee.objects.filter(pk=employee.pk).update(is_active=False, position=None)
        if year.resolver is not None:
            year.resolver.move_holder(employee.pk, employee.position_id, None)
        left = True
    return left


def _contract_shortened(year: _Year, change: PersonChange, *, actor, origin) -> bool:
    """A PPPK's running plan that now runs past the contract ends with it (a leave at the
    contract's end), as the cycle's opening would have cut it."""
    ended = False
    for cycle in year.cycles:
        plan = year.running.get((cycle.pk, change.employee.pk))
        if plan is None or plan.end <= change.contract_end:
            continue
        ended |= year.attempt(change, partial(member_leave, member=plan.member, on=change.contract_end + datetime.timedelta(days=1),
                                              reason=Plan.LeaveReason.CONTRACT_END, actor=actor, origin=origin,
                                              resolver=year.resolver))
    return ended


def _place(year: _Year, change: PersonChange, *, actor, origin) -> tuple[bool, bool]:
    employee = change.employee
    position, on = employee.position, change.position_start or year.today
    joined = moved = False
    for cycle in year.cycles:
        plan = year.running.get((cycle.pk, employee.pk))
        if plan is not None:
            if plan.member.position_id == position.pk or on > plan.end:
                continue
            # A TMT before the plan began (a back-dated promotion): the new plan starts the day after.
            moved_on = max(on, plan.start + datetime.timedelta(days=1))
            moved |= year.attempt(change, partial(member_move, member=plan.member, position=position, on=moved_on, actor=actor,
                                                  origin=origin, resolver=year.resolver))
        elif position.unit_id in year.scope[cycle.pk] and on <= year_bounds(cycle.year)[1]:
            period = plan_period(cycle.year, employee, max(on, year_bounds(cycle.year)[0]))
            if period is None:  # a PPPK whose contract does not reach into the cycle's year
                continue
            joined |= year.attempt(change, partial(member_join, cycle=cycle, employee=employee, start_on=period[0], actor=actor,
                                                   origin=origin, resolver=year.resolver))
    return joined, moved


def import_org(content: str | bytes, *, actor=None, origin: dict | None = None, filename: str = "") -> ImportReport:
    """The organisation import (``org.importer.import_org``) with the open cycles following it:
    joins, moves and leaves in the same transaction, all or nothing."""
    return importer.import_org(content, actor=actor, origin=origin, filename=filename, people=apply_people_changes)
