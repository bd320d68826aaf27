"""Writes of cycles: creating, opening (bulk population), correcting a reporting line."""

from __future__ import annotations

import datetime
import logging
from functools import partial
from typing import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.models import Employee, Unit
from org.services import ReportingLineResolver, agency_by_unit, is_hr_for, units_within
from workflow.engine import perform, record, start, start_many
from workflow.errors import Conflict, NotPermitted
from workflow.flows import Notice
from workflow.inbox import move_tasks

from ..flows.base import RATER
from ..models import Cycle, CycleMember, CycleRole, Plan, RuleSet
from ..rules import default_rules, validate_rules
from . import bulk_runs
from .checks import Errors
from .periods import plan_period
from .progress import queue_refresh

logger = logging.getLogger(__name__)


def cycle_create(
    *,
    actor,
    name: str,
    year: int,
    units: Iterable[Unit],
    plan_deadline: datetime.date,
    period_type: str = Cycle.PeriodType.ANNUAL,
    rule_set: RuleSet | None = None,
    deciding_official: Employee | None = None,
    origin: dict | None = None,
) -> Cycle:
    """Create a cycle in draft, with a copy of the rule set's data (the default one if none).

    ``deciding_official`` decides the objections of members whose rater has no superior in scope
    (``deciding_official_of``); none: the cycle's ratifying official, where that is not the rater."""
    units = list(units)
    if units and not is_hr_for(actor, units):
        raise NotPermitted(_("Only HR of these units may create a cycle for them."))
    name = _check_cycle(name=name, year=year, units=units, plan_deadline=plan_deadline, period_type=period_type)
    if deciding_official is not None and not (deciding_official.is_active and deciding_official.user_id):
        raise ValidationError({"deciding_official": [_("The deciding official must be an active employee with a user account.")]})
    rule_set = rule_set or RuleSet.objects.filter(is_default=True).first()
    rules = rule_set.data if rule_set else default_rules()
    validate_rules(rules)
    _refuse_overlap(_overlapping_cycle(year=year, period_type=period_type, units=units))
    cycle = Cycle(
        name=name, year=year, period_type=period_type, plan_deadline=plan_deadline, rules=rules,
        rule_set=rule_set, created_by=actor, scope_key=_scope_key(units), deciding_official=deciding_official,
    )
    try:
        with transaction.atomic():
            start(cycle, actor=actor, data={"name": name, "year": year, "units": [u.pk for u in units],
                                            "deciding_official": deciding_official.pk if deciding_official else None},
                  origin=origin)
            cycle.units.set(units)
    except IntegrityError:
        # A concurrent creation of the same scope won the constraint after our check.
        existing = Cycle.objects.filter(scope_key=cycle.scope_key, year=year, period_type=period_type).first()
        if existing is None:
            raise
        _refuse_overlap(existing)
    return cycle


def _agencies_of(units: list[Unit]) -> list[Unit]:
    return list({a.pk: a for a in agency_by_unit(units).values()}.values())


def _scope_key(units: list[Unit]) -> str:
    return ",".join(str(pk) for pk in sorted(a.pk for a in _agencies_of(units)))


def _overlapping_cycle(*, year: int, period_type: str, units: list[Unit]) -> Cycle | None:
    """A cycle of the same year and period type whose scope shares an employee with ``units``'
    agencies (one contains the other), or None. Two queries, however many cycles the year has."""
    others = list(Cycle.objects.filter(year=year, period_type=period_type).prefetch_related("units"))
    agency_of = agency_by_unit(list(units) + [u for other in others for u in other.units.all()])
    paths = [agency_of[u.pk].path for u in units]
    for other in others:
        other_paths = [agency_of[u.pk].path for u in other.units.all()]
        if any(p.startswith(q) or q.startswith(p) for p in paths for q in other_paths):
            return other
    return None


def _refuse_overlap(existing: Cycle | None) -> None:
    if existing is not None:
        raise Conflict(
            _("The cycle “%(name)s” already covers this agency for %(year)s (%(period)s): one cycle per "
              "agency, year and period type.")
            % {"name": existing.name, "year": existing.year, "period": existing.get_period_type_display()},
            status=existing.status,
        )


def deciding_official_of(cycle: Cycle) -> Employee | None:
    """Who decides objections where the rater has no superior in scope: the official the cycle
    names, or else its ratifying official (the first assigned) if that official is an employee."""
    if cycle.deciding_official_id:
        return Employee.objects.filter(pk=cycle.deciding_official_id, is_active=True).first()
    ratifying = (CycleRole.objects.filter(cycle_id=cycle.pk, role=CycleRole.Role.RATIFYING_OFFICIAL)
                 .order_by("pk").values_list("user_id", flat=True))
    for user_id in ratifying:
        official = Employee.objects.filter(user_id=user_id, is_active=True).first()
        if official is not None:
            return official
    return None


def raters_superior_for(*, employee_id: int, rater_id: int | None, raters_superior_id: int | None,
                        deciding: Employee | None) -> tuple[int | None, int | None] | None:
    """The (employee, position) who holds the rater's superior's seat when the reporting line
    gives none: the cycle's deciding official, unless they are the rater or the employee. None:
    the line's own superior stands (or nobody can be found)."""
    if raters_superior_id is not None or rater_id is None or deciding is None:
        return None
    if deciding.pk in (rater_id, employee_id):
        return None
    return deciding.pk, deciding.position_id


YEARS = (2000, 2100)
NAME_MAX = 200


def _check_cycle(*, name, year, units: list, plan_deadline, period_type) -> str:
    """The rules of a new cycle; returns the name stripped. The plan deadline falls in the cycle's
    year or in the year before it (plans are often drafted in the last weeks of the year before)."""
    errors = Errors()
    name = errors.text("name", name, max_length=NAME_MAX, required=_("Give the cycle a name."))
    if name and Cycle.objects.filter(name=name).exists():
        errors.add("name", _("A cycle of this name exists already."))
    if not isinstance(year, int) or isinstance(year, bool) or not YEARS[0] <= year <= YEARS[1]:
        errors.add("year", _("Choose a year from %(first)s to %(last)s.") % {"first": YEARS[0], "last": YEARS[1]})
    elif not isinstance(plan_deadline, datetime.date):
        errors.add("plan_deadline", _("Give the plan deadline as a date."))
    elif plan_deadline.year not in (year, year - 1):
        errors.add("plan_deadline", _("The plan deadline must fall in the cycle's year."))
    errors.choice("period_type", period_type, Cycle.PeriodType.values, _("Choose monthly, quarterly, semester or annual."))
    if not units:
        errors.add("units", _("Choose at least one unit."))
    errors.raise_any()
    return name


def cycle_populate(cycle_id: int, *, attempt: int | None = None, chunk_size: int | None = None) -> Cycle:
    """Create each in-scope employee's cycle record and draft plan, in chunks; then finish.

    Safe to re-run (a retried, duplicated or resumed task): employees who already have a record
    are skipped, each chunk commits on its own with the run's progress (``bulk_runs.chunk``), and
    the final transition happens once (the engine refuses it from any state but "opening").
    ``attempt`` is the run's lease (None: a new one); a worker whose attempt was superseded by a
    resume stops at its next chunk.
    """
    chunk_size = chunk_size or settings.KINERJA_BULK_CHUNK_SIZE
    cycle = Cycle.objects.get(pk=cycle_id)
    run = bulk_runs.run_of(bulk_runs.Kind.CYCLE_OPEN, cycle.pk)
    if cycle.status != Cycle.Status.OPENING:
        if run is not None:  # opened already: a late or duplicated task has nothing left to do
            bulk_runs.run_finish(run.pk, run.attempts, done=cycle.opening_done)
        return cycle
    if attempt is None or run is None:  # called directly (a re-run by hand, a simulation): an attempt of its own
        with transaction.atomic():
            run = bulk_runs.run_begin(kind=bulk_runs.Kind.CYCLE_OPEN, target=str(cycle.pk), cycle=cycle)
        attempt = run.attempts
    try:
        return _populate(cycle, run.pk, attempt, chunk_size)
    except bulk_runs.Superseded:
        logger.info("cycle %s: attempt %s of its opening was superseded; the newer one goes on", cycle.pk, attempt)
        return Cycle.objects.get(pk=cycle.pk)
    except Exception as error:
        bulk_runs.run_fail(run.pk, attempt, error)
        raise


def _populate(cycle: Cycle, run_id: int, attempt: int, chunk_size: int) -> Cycle:
    unit_ids = units_within(cycle.units.all()).values_list("pk", flat=True)
    employees = list(
        Employee.objects.filter(is_active=True, position__unit_id__in=unit_ids)
        .order_by("pk")
        .values_list("pk", "position_id", "position__unit_id", "user_id", "employment_type", "contract_start", "contract_end",
                     "grade")
    )
    # A PPPK whose contract does not reach into the year has no plan in it.
    employees = [row for row in employees if plan_period(cycle.year, Employee(employment_type=row[4], contract_start=row[5],
                                                                               contract_end=row[6]))]
    Cycle.objects.filter(pk=cycle.pk).update(opening_total=len(employees))
    resolver = ReportingLineResolver(on=timezone.localdate())
    for offset in range(0, len(employees), chunk_size):
        with bulk_runs.chunk(run_id, attempt) as lease:
            _populate_chunk(cycle, employees[offset : offset + chunk_size], resolver)
            done = CycleMember.objects.filter(cycle=cycle).count()
            Cycle.objects.filter(pk=cycle.pk).update(opening_done=done)
            lease.progress(done=done, total=len(employees))
        logger.info("cycle %s: %s of %s plans created", cycle.pk, done, len(employees))
    with transaction.atomic():
        # The cycle is locked first (by the engine), as the sweep and HR's resume lock it before
        # the run: the same order, no deadlock.
        cycle.refresh_from_db()
        if cycle.status == Cycle.Status.OPENING:
            perform(cycle, "finish_opening", actor=None, data={"plans": cycle.opening_done})
            cycle.refresh_from_db()
            transaction.on_commit(partial(queue_refresh, cycle.pk), robust=True)  # HR's first look finds its progress counted
        if not bulk_runs.run_finish(run_id, attempt, done=cycle.opening_done):
            raise bulk_runs.Superseded(run_id)  # resumed meanwhile: the newer attempt finishes it
    return cycle


def _populate_chunk(cycle: Cycle, rows: list[tuple], resolver: ReportingLineResolver) -> None:
    existing = set(
        CycleMember.objects.filter(cycle=cycle, employee_id__in=[row[0] for row in rows]).values_list("employee_id", flat=True)
    )
    members = []
    deciding = deciding_official_of(cycle)
    periods = {}
    for employee_id, position_id, unit_id, _user_id, employment_type, contract_start, contract_end, grade in rows:
        if employee_id in existing:
            continue
        period = plan_period(cycle.year, Employee(employment_type=employment_type, contract_start=contract_start,
                                             contract_end=contract_end))
        if period is None:  # a PPPK whose contract does not reach into the year
            continue
        periods[employee_id] = period
        members.append(CycleMember(cycle=cycle, employee_id=employee_id, unit_id=unit_id, position_id=position_id, grade=grade,
                                   **member_line(resolver, position_id, employee_id, deciding)))
    if not members:
        return
    members = CycleMember.objects.bulk_create(members)
    user_of = {row[0]: row[3] for row in rows}
    for member in members:  # what the plan's flow reads for its first task and notice
        member.employee = Employee(pk=member.employee_id, user_id=user_of[member.employee_id])
    start_many(
        [Plan(member=m, cycle=cycle, employee_id=m.employee_id, unit_id=m.unit_id,
              start=periods[m.employee_id][0], end=periods[m.employee_id][1]) for m in members],
        data={"cycle": cycle.pk},
    )


def member_line(resolver: ReportingLineResolver, position_id: int, employee_id: int, deciding: Employee | None) -> dict:
    """A member record's reporting line for a position, as the cycle's opening, a join and a
    move resolve it: the rater (the holder of the superior position, or its Plt; never the
    employee), the rater's seat, and the rater's superior with theirs; a rater with no superior
    in scope (the agency head's rater) gets the cycle's deciding official."""
    line = resolver.resolve(position_id)
    rater_id = line.rater_id if line.rater_id != employee_id else None
    seat = resolver.superior_of.get(position_id)
    superior_id = line.raters_superior_id
    superior_seat = resolver.superior_of.get(seat) if seat else None
    fallback = raters_superior_for(employee_id=employee_id, rater_id=rater_id, raters_superior_id=superior_id, deciding=deciding)
    if fallback is not None:
        superior_id, superior_seat = fallback
    # The seat is kept even when vacant: an acting official appointed to it later finds its tasks.
    return {"rater_id": rater_id, "rater_position_id": seat, "raters_superior_id": superior_id,
            "raters_superior_position_id": superior_seat}


def member_correct_reporting_line(
    *, member: CycleMember, actor, rater: Employee | None, raters_superior: Employee | None, reason: str,
    origin: dict | None = None, rater_position_id: int | None = None,
) -> CycleMember:
    """HR corrects an employee's rater for a cycle (the "wrong superior" case).

    The open rater tasks of the employee's documents move to the new rater, the change is
    audited on the member's record and the new rater is notified.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the correction.")]})
    # ``actor`` None: the command line's organisation import (a move or a leave reseats a line).
    if actor is not None and not is_hr_for(actor, [member.unit]):
        raise NotPermitted(_("Only HR of the employee's unit may correct the reporting line."))
    if rater is not None and rater.pk == member.employee_id:
        raise ValidationError({"rater": [_("An employee cannot rate themselves.")]})
    if raters_superior is None and rater is not None:  # no superior named: the cycle's deciding official
        deciding = deciding_official_of(member.cycle)
        if raters_superior_for(employee_id=member.employee_id, rater_id=rater.pk, raters_superior_id=None, deciding=deciding):
            raters_superior = deciding

    def change(locked: CycleMember) -> dict:
        before = {"rater": locked.rater_id, "raters_superior": locked.raters_superior_id}
        locked.rater = rater
        # The rater's seat: the one named (an acting official's), else the rater's own position.
        locked.rater_position_id = (rater_position_id or rater.position_id) if rater else None
        locked.raters_superior = raters_superior
        locked.raters_superior_position_id = raters_superior.position_id if raters_superior else None
        locked.save(update_fields=["rater", "rater_position", "raters_superior", "raters_superior_position"])
        moved = _move_member_tasks(locked, before)
        changed["before"] = before
        return {"before": before, "after": {"rater": locked.rater_id, "raters_superior": locked.raters_superior_id},
                "tasks_moved": moved}

    def notices(locked: CycleMember) -> list[Notice]:
        # Both raters learn of it: the new one has the tasks now, the old one no longer.
        data = {"employee": locked.employee.name, "year": locked.cycle.year}
        old_rater = changed["before"]["rater"]
        old_rater_user = Employee.objects.filter(pk=old_rater).values_list("user_id", flat=True).first() if old_rater else None
        found = []
        if rater is not None and rater.user_id:
            found.append(Notice(rater.user_id, "member.rater_changed", data))
        if old_rater_user and (rater is None or old_rater_user != rater.user_id):
            found.append(Notice(old_rater_user, "member.rater_removed", data))
        return found

    changed: dict = {}
    record(member, "correct_reporting_line", actor=actor, comment=reason, change=change, notices=notices, origin=origin)
    member.refresh_from_db()
    return member


def _move_member_tasks(member: CycleMember, before: dict) -> int:
    """The open tasks of every document of the member move with the correction: the rater's to
    the new rater, the rater's superior's (deciding objections) to the new superior."""
    from ..models import Assessment, MonthlyReport, Objection

    documents = {
        Plan.document_type: Plan.objects.filter(member=member),
        MonthlyReport.document_type: MonthlyReport.objects.filter(member=member),
        Assessment.document_type: Assessment.objects.filter(member=member),
        Objection.document_type: Objection.objects.filter(member=member),
    }
    moved = 0
    for document_type, queryset in documents.items():
        ids = list(queryset.values_list("pk", flat=True))
        if not ids:
            continue
        moved += move_tasks(document_type=document_type, document_ids=ids, role=RATER,
                            to_user_id=member.rater.user_id if member.rater else None, to_position_id=member.rater_position_id)
        if before["raters_superior"] != member.raters_superior_id:
            moved += move_tasks(document_type=document_type, document_ids=ids, role="raters_superior",
                                to_user_id=member.raters_superior.user_id if member.raters_superior else None,
                                to_position_id=member.raters_superior_position_id)
    return moved


def cycle_open(*, cycle: Cycle, actor, origin: dict | None = None) -> Cycle:
    return perform(cycle, "open", actor=actor, origin=origin).document
