"""People who change during the year: join, move and leave an open cycle (docs/periods-and-changes.md).

Each change ends or starts a plan period (``Plan.start``/``Plan.end``) through the engine:

- a *join* starts a plan (``start``, action "join") from the day the employee came;
- a *move* (transfer, promotion, change of position) ends the current plan the day before
  (the plan's ``close_period`` edit: its own open tasks close, its reports up to then stay and it
  is evaluated for its period by its rater) and starts the next one with the new position's
  unit and rater;
- a *leave* ends the plan the day before the date; the leaver's own tasks close.

Someone who rated others and moves or leaves leaves their seat: the reporting lines of the
people they rated are resolved again from the organisation (the seat's acting official, or
nobody until HR corrects it) through ``member_correct_reporting_line``, which moves the open
tasks and tells both raters. A change of rater only is that correction: it keeps the plan.

The rules live here; the API, the pages and the organisation import call these functions.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Employee, Position
from org.services import ReportingLineResolver, is_hr_for, units_within
from workflow.engine import edit, record, start
from workflow.errors import Conflict, InvalidTransition, NotPermitted
from workflow.flows import Notice
from workflow.locking import lock_rows

from ..models import Cycle, CycleMember, MonthlyReport, Plan
from .cycles import deciding_official_of, member_correct_reporting_line, member_line
from .periods import plan_period, year_bounds


@dataclass
class Change:
    """What a change did: the plan it ended (if any) and the plan it started (if any)."""

    ended: Plan | None = None
    started: Plan | None = None
    lines_corrected: int = 0


def current_plan(cycle: Cycle, employee_id: int) -> Plan | None:
    """The employee's latest plan in the cycle that no change has ended."""
    return (Plan.objects.filter(cycle=cycle, employee_id=employee_id, ended="")
            .select_related("member", "cycle").order_by("-start").first())


def _as_date(value, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime.date):
        raise ValidationError({field: [_("Give a date as YYYY-MM-DD.")]})
    return value


def _require_hr(actor, units, message: str) -> None:
    # ``actor`` None: the command line's import, run by an administrator.
    if actor is not None and not is_hr_for(actor, units):
        raise NotPermitted(message)


def _require_open(cycle: Cycle) -> None:
    if cycle.status != Cycle.Status.OPEN:
        raise InvalidTransition(_("People join, move and leave an open cycle only."), status=cycle.status)


def _in_year(cycle: Cycle, day: datetime.date, field: str) -> None:
    first, last = year_bounds(cycle.year)
    if not first <= day <= last:
        raise ValidationError({field: [_("The date must fall in the cycle's year (%(year)s).") % {"year": cycle.year}]})


def _in_scope(cycle: Cycle, position: Position) -> bool:
    return units_within(cycle.units.all()).filter(pk=position.unit_id).exists()


def member_join(*, cycle: Cycle, employee: Employee, start_on, actor, origin: dict | None = None,
                resolver: ReportingLineResolver | None = None) -> Change:
    """An employee appointed or transferred in joins the open cycle from ``start_on``: a member
    record with the reporting line of their position on that day, and a plan in draft whose submit
    task is due within the rule set's ``new_plan_days``."""
    start_on = _as_date(start_on, "start")
    position = employee.position
    _require_hr(actor, [position.unit] if position else [], _("Only HR of the employee's unit may add them to the cycle."))
    _require_open(cycle)
    if not employee.is_active or position is None:
        raise ValidationError({"employee": [_("Only an active employee with a position can join a cycle.")]})
    if not _in_scope(cycle, position):
        raise ValidationError({"employee": [_("The employee's unit is outside the cycle's scope.")]})
    _in_year(cycle, start_on, "start")
    period = plan_period(cycle.year, employee, start_on)
    if period is None or period[0] != start_on:
        raise ValidationError({"start": [_("A PPPK's plan runs within the contract (%(start)s to %(end)s).")
                                         % {"start": employee.contract_start, "end": employee.contract_end}]})
    with transaction.atomic():
        _lock_employee(employee)
        later = Plan.objects.filter(cycle=cycle, employee=employee, end__gte=start_on).order_by("start").first()
        if later is not None:
            raise Conflict(_("%(name)s already has a plan from %(start)s to %(end)s in this cycle; a change of position is a move.")
                           % {"name": employee.name, "start": later.start, "end": later.end}, status=later.status)
        # The acting officials of today: a join recorded late is rated by who holds the seat now.
        resolver = resolver or ReportingLineResolver(on=max(start_on, timezone.localdate()))
        plan = _start_plan(cycle, employee, position, period, Plan.Origin.JOIN, actor=actor, origin=origin, resolver=resolver)
        # A joiner appointed to a seat that rates others (a new division head): those people's
        # lines now lead to them.
        corrected = _reseat_rated(cycle, employee, actor=actor, origin=origin, resolver=resolver, on=start_on,
                                  seats=[position.pk])
    return Change(started=plan, lines_corrected=corrected)


def member_move(*, member: CycleMember, position: Position, on, actor, origin: dict | None = None,
                resolver: ReportingLineResolver | None = None) -> Change:
    """A transfer, promotion or change of position from ``on``: the member's plan ends the day
    before and a new plan starts on ``on`` with the new position's unit and rater. On the date (at
    once, when it has come) the employee takes the new position in the organisation and the
    lines of the people rated from the old and the new seat are resolved again."""
    on = _as_date(on, "date")
    cycle, employee = member.cycle, member.employee
    _require_hr(actor, [member.unit, position.unit], _("Only HR of both units may move an employee."))
    _require_open(cycle)
    if not position.unit.is_active:
        raise ValidationError({"position": [_("The unit of this position has been closed.")]})
    if not _in_scope(cycle, position):
        raise ValidationError({"position": [_("The position is outside the cycle's scope: a transfer out is a leave.")]})
    if position.pk == member.position_id:
        raise ValidationError({"position": [_("The employee already holds this position in this plan; "
                                              "a change of rater only is a correction of the reporting line.")]})
    with transaction.atomic():
        _lock_employee(employee)
        plan = _plan_to_end(member, on, leaving=False)
        period = plan_period(cycle.year, employee, on)
        if period is None:
            raise ValidationError({"date": [_("The PPPK contract ends before this date.")]})
        # The holders as they are before the move: ``move_holder`` then moves the employee once.
        resolver = resolver or ReportingLineResolver(on=max(on, timezone.localdate()))
        ended = _close(plan, on, Plan.Ended.MOVE, "", actor=actor, origin=origin)
        started = _start_plan(cycle, employee, position, period, Plan.Origin.MOVE, actor=actor, origin=origin,
                              resolver=resolver, previous=plan)
        corrected = 0
        # The seat is taken now when the date has come, or when the organisation says so already (the
        # import wrote the position first); else the day's sweep takes it (changes_take_effect).
        if on <= timezone.localdate() or employee.position_id == position.pk:
            corrected = _take_new_seat(cycle, employee, member.position_id, position, on, actor=actor, origin=origin,
                                       resolver=resolver)
    return Change(ended=ended, started=started, lines_corrected=corrected)


def member_leave(*, member: CycleMember, on, reason: str, actor, origin: dict | None = None,
                 resolver: ReportingLineResolver | None = None) -> Change:
    """Retirement, resignation, death, end of a PPPK contract, transfer out, from ``on`` (the
    first day out of service): the plan ends the day before, the leaver's own open tasks close and
    the period so far is evaluated by its rater. On the date (at once, when it has come) the
    employee leaves the organisation (inactive, no position) and the people they rated get their
    lines resolved again."""
    on = _as_date(on, "date")
    if reason not in Plan.LeaveReason.values:
        raise ValidationError({"reason": [_("Choose one of: %(reasons)s.") % {"reasons": ", ".join(Plan.LeaveReason.values)}]})
    cycle, employee = member.cycle, member.employee
    _require_hr(actor, [member.unit], _("Only HR of the employee's unit may record that they leave."))
    _require_open(cycle)
    with transaction.atomic():
        _lock_employee(employee)
        plan = _plan_to_end(member, on, leaving=True)
        ended = _close(plan, on, Plan.Ended.LEAVE, reason, actor=actor, origin=origin)
        corrected = 0
        if on <= timezone.localdate():  # else the day's sweep takes them out (changes_take_effect)
            corrected = _leave_seat(cycle, employee, member.position_id, on, actor=actor, origin=origin,
                                    resolver=resolver or ReportingLineResolver(on=timezone.localdate()))
    return Change(ended=ended, lines_corrected=corrected)


def _lock_employee(employee: Employee) -> None:
    """Changes of one employee serialise (two HR officers, or HR and the import): the second
    finds the plans the first left, so periods never overlap and a plan is never ended twice."""
    list(lock_rows(Employee.objects.filter(pk=employee.pk)).values_list("pk", flat=True))


def _plan_to_end(member: CycleMember, on: datetime.date, *, leaving: bool) -> Plan:
    """The member's plan, which a change on ``on`` ends the day before: it must still run, and
    ``on`` must fall after its first day and, for a move, on or before its last (the next plan
    starts on ``on``). A leave may fall on the day after its last (a PPPK whose contract ended:
    the first day out of service), which ends the plan where it ends."""
    plan = Plan.objects.select_related("cycle").get(member=member)
    if plan.ended:
        raise Conflict(_("This plan was ended already (%(ended)s on %(end)s).")
                       % {"ended": plan.get_ended_display(), "end": plan.end}, status=plan.status)
    last = plan.end + datetime.timedelta(days=1) if leaving else plan.end
    if not plan.start < on <= last:
        raise ValidationError({"date": [_("The date must fall after the plan's first day (%(start)s) and no later than "
                                          "%(last)s: the plan ends the day before.")
                                        % {"start": plan.start, "last": last}]})
    return plan


def _close(plan: Plan, on: datetime.date, ended: str, reason: str, *, actor, origin) -> Plan:
    """End ``plan`` the day before ``on`` through its ``close_period`` edit, then the reports it
    no longer covers (and, for a leaver, the reports still waiting for them)."""
    last = on - datetime.timedelta(days=1)

    def change(flow) -> dict:
        flow.set(end=last, ended=ended, leave_reason=reason)
        return {"on": on.isoformat()}

    closed = edit(plan, "close_period", actor=actor, change=change, origin=origin).document
    _close_reports(closed, actor=actor, origin=origin)
    return closed


def _close_reports(plan: Plan, *, actor, origin) -> None:
    """The reports an ended plan no longer asks of its employee: months after its end and, once a
    leaver's date has come, every report still waiting for them (a submitted one stays with
    the rater). The report's ``close_period`` edit records it and its flow drops the task."""
    last, gone = plan.end, plan.employee_has_left
    waiting = MonthlyReport.objects.filter(plan=plan).exclude(status=MonthlyReport.Status.ACCEPTED)
    for report in waiting.order_by("month"):
        after_end = (plan.cycle.year, report.month) > (last.year, last.month)
        if after_end or (gone and report.status != MonthlyReport.Status.SUBMITTED):
            edit(report, "close_period", actor=actor, origin=origin,
                 change=lambda flow: {"plan_ended": last.isoformat(), "reason": plan.ended})


def _take_new_seat(cycle, employee, old_position_id, position, on, *, actor, origin, resolver) -> int:
    """The move takes effect in the organisation: the employee holds the new position from ``on``
    and the lines of the people rated from the seat they left and the seat they took follow."""
    Employee.objects.filter(pk=employee.pk).update(position=position, position_start=on)
    employee.position, employee.position_start = position, on
    resolver.move_holder(employee.pk, old_position_id, position.pk)
    return _reseat_rated(cycle, employee, actor=actor, origin=origin, resolver=resolver, on=on,
                         seats=[s for s in (old_position_id, position.pk) if s])


def _leave_seat(cycle, employee, old_position_id, on, *, actor, origin, resolver) -> int:
    """The leave takes effect: the employee is out of the organisation; everyone they rated, in
    running and ended plans alike (an ended plan is still evaluated), gets a line without them."""
    Employee.objects.filter(pk=employee.pk).update(is_active=False, position=None)
    resolver.move_holder(employee.pk, old_position_id, None)
    return _reseat_rated(cycle, employee, actor=actor, origin=origin, resolver=resolver, on=on, include_ended=True)


def changes_take_effect(today: datetime.date | None = None) -> dict:
    """The daily sweep: moves and leaves recorded ahead of their date take effect on it (the
    organisation's position or departure, the lines of the people rated from the seats, a
    leaver's waiting reports). Safe to run again: what took effect is left alone."""
    today = today or timezone.localdate()
    done = {"moves": 0, "leaves": 0}
    recent = Plan.objects.filter(cycle__status=Cycle.Status.OPEN, end__lt=today,
                                 end__gte=today - datetime.timedelta(days=60))
    for plan in recent.filter(ended=Plan.Ended.LEAVE, employee__is_active=True).select_related("cycle", "employee", "member"):
        if Plan.objects.filter(cycle=plan.cycle, employee=plan.employee, start__gt=plan.end).exists():
            continue  # back in service since (a join after the leave)
        with transaction.atomic():
            _lock_employee(plan.employee)
            _leave_seat(plan.cycle, plan.employee, plan.employee.position_id, plan.end + datetime.timedelta(days=1), actor=None,
                        origin={"channel": "system", "source": "changes_take_effect"}, resolver=ReportingLineResolver(on=today))
            _close_reports(plan, actor=None, origin={"channel": "system", "source": "changes_take_effect"})
        done["leaves"] += 1
    moved = (Plan.objects.filter(cycle__status=Cycle.Status.OPEN, origin=Plan.Origin.MOVE, ended="", start__lte=today,
                                 start__gt=today - datetime.timedelta(days=60), employee__is_active=True)
             .exclude(member__position_id=F("employee__position_id")).select_related("cycle", "employee", "member__position"))
    for plan in moved:
        with transaction.atomic():
            _lock_employee(plan.employee)
            _take_new_seat(plan.cycle, plan.employee, plan.employee.position_id, plan.member.position, plan.start, actor=None,
                           origin={"channel": "system", "source": "changes_take_effect"}, resolver=ReportingLineResolver(on=today))
        done["moves"] += 1
    return done


def _start_plan(cycle, employee, position, period, plan_origin, *, actor, origin, resolver, previous: Plan | None = None) -> Plan:
    resolver = resolver or ReportingLineResolver(on=period[0])
    member = CycleMember.objects.create(cycle=cycle, employee=employee, unit_id=position.unit_id, position=position,
                                        grade=employee.grade, **member_line(resolver, position.pk, employee.pk,
                                                                            deciding_official_of(cycle)))
    record(member, plan_origin, actor=actor, created=True, origin=origin,
           data={"start": period[0].isoformat(), "position": position.pk, "unit": position.unit_id,
                 "rater": member.rater_id, "previous_plan": previous.pk if previous else None})
    plan = Plan(member=member, cycle=cycle, employee=employee, unit_id=position.unit_id,
                start=period[0], end=period[1], origin=plan_origin)
    start(plan, actor=actor, action=plan_origin, origin=origin,
          data={"start": period[0].isoformat(), "end": period[1].isoformat(),
                "previous_plan": previous.pk if previous else None})
    return plan


def _reseat_rated(cycle: Cycle, employee: Employee, *, actor, origin, resolver: ReportingLineResolver, on,
                  seats: list[int] = (), include_ended: bool = False) -> int:
    """Reporting lines in running plans resolved again from the organisation: of the people
    ``employee`` rated (or whose rater's superior they were), who left that seat, and of the
    people rated from ``seat``, the position ``employee`` took (their rater until now was its
    acting official, or nobody). Each gets the seat's holder now, its acting official, or nobody
    until HR corrects it. Returns how many lines changed."""
    held = Q(rater=employee) | Q(raters_superior=employee)
    if seats:
        # The positions rated from the seats and those one level further down, as ids: a join on
        # the positions' superiors would scan every member of the cycle (bench/README.md, 8).
        below = list(Position.objects.filter(superior_id__in=seats).values_list("pk", flat=True))
        below += list(Position.objects.filter(superior_id__in=below).values_list("pk", flat=True)) if below else []
        held |= Q(position_id__in=below)
    # Running plans; with ``include_ended`` (a leaver), ended ones too: they are still evaluated.
    running = {} if include_ended else {"plan__ended": ""}
    rated = list(CycleMember.objects.filter(held, cycle=cycle, **running)
                 .exclude(employee=employee).select_related("cycle", "unit", "employee"))
    deciding = deciding_official_of(cycle)
    lines = {member.pk: member_line(resolver, member.position_id, member.employee_id, deciding) for member in rated}
    people = Employee.objects.in_bulk({pk for line in lines.values() for pk in (line["rater_id"], line["raters_superior_id"]) if pk})
    changed = 0
    for member in rated:
        line = lines[member.pk]
        rater, superior = line["rater_id"], line["raters_superior_id"]
        if (rater, superior) == (member.rater_id, member.raters_superior_id):
            continue
        left = employee.pk in (member.rater_id, member.raters_superior_id)
        reason = (_("%(name)s left the position on %(date)s.") if left else _("%(name)s took up the position on %(date)s."))
        member_correct_reporting_line(
            member=member, actor=actor, origin=origin,
            rater=people.get(rater), raters_superior=people.get(superior),
            reason=reason % {"name": employee.name, "date": on.isoformat()},
            # The seat, not the post its holder has: a Plt resolved as rater acts for the seat.
            rater_position_id=line["rater_position_id"],
        )
        changed += 1
    return changed


def change_notices(plan: Plan, action: str) -> list[Notice]:
    """Who hears of a change: the employee and their (new) rater."""
    member = plan.member
    data = {"employee": member.employee.name, "year": plan.cycle.year, "start": plan.start.isoformat(),
            "end": plan.end.isoformat(), "ended": plan.ended}
    notices = [Notice(member.employee.user_id, f"plan.period_{action}", data)] if member.employee.user_id else []
    if member.rater_id and member.rater.user_id:
        notices.append(Notice(member.rater.user_id, f"member.{action}", data))
    return notices
