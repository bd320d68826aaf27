"""Writes of cycles: creating, opening (bulk population), correcting a reporting line."""

from __future__ import annotations

import datetime
import logging
from functools import partial
from typing import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify_bulk
from org.models import Employee, Unit
from org.services import ReportingLineResolver, is_hr_for, units_within
from workflow import audit
from workflow.engine import perform
from workflow.errors import NotPermitted
from workflow.flows import Notice
from workflow.inbox import move_tasks
from workflow.models import AuditEvent, OpenTask

from ..flows.base import RATER
from ..flows.plan import employee_submit_task
from ..models import Cycle, CycleMember, Plan, RuleSet
from ..rules import default_rules, validate_rules
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
    origin: dict | None = None,
) -> Cycle:
    """Create a cycle in draft, with a copy of the rule set's data (the default one if none)."""
    units = list(units)
    if not units:
        raise ValidationError({"units": [_("Choose at least one unit.")]})
    if not is_hr_for(actor, units):
        raise NotPermitted(_("Only HR of these units may create a cycle for them."))
    rule_set = rule_set or RuleSet.objects.filter(is_default=True).first()
    rules = rule_set.data if rule_set else default_rules()
    validate_rules(rules)
    with transaction.atomic():
        cycle = Cycle.objects.create(
            name=name, year=year, period_type=period_type, plan_deadline=plan_deadline, rules=rules,
            rule_set=rule_set, created_by=actor,
        )
        cycle.units.set(units)
        audit.append(
            document_type=Cycle.document_type, document_id=cycle.pk, action="create", to_state=cycle.status,
            actor_id=actor.pk, data={"name": name, "year": year, "units": [u.pk for u in units]}, origin=origin,
        )
    return cycle


def cycle_populate(cycle_id: int, *, chunk_size: int | None = None) -> Cycle:
    """Create each in-scope employee's cycle record and draft plan, in chunks; then finish.

    Safe to re-run (a retried or duplicated task): employees who already have a record are
    skipped, each chunk commits on its own, and the final transition happens once (the engine
    refuses it from any state but "opening").
    """
    chunk_size = chunk_size or settings.KINERJA_BULK_CHUNK_SIZE
    cycle = Cycle.objects.get(pk=cycle_id)
    if cycle.status != Cycle.Status.OPENING:
        return cycle
    unit_ids = units_within(cycle.units.all()).values_list("pk", flat=True)
    employees = list(
        Employee.objects.filter(is_active=True, position__unit_id__in=unit_ids)
        .order_by("pk")
        .values_list("pk", "position_id", "position__unit_id", "user_id")
    )
    Cycle.objects.filter(pk=cycle.pk).update(opening_total=len(employees))
    resolver = ReportingLineResolver(on=timezone.localdate())
    for start in range(0, len(employees), chunk_size):
        with transaction.atomic():
            _populate_chunk(cycle, employees[start : start + chunk_size], resolver)
        done = CycleMember.objects.filter(cycle=cycle).count()
        Cycle.objects.filter(pk=cycle.pk).update(opening_done=done)
        logger.info("cycle %s: %s of %s plans created", cycle.pk, done, len(employees))
    cycle.refresh_from_db()
    if cycle.status == Cycle.Status.OPENING:
        perform(cycle, "finish_opening", actor=None, data={"plans": cycle.opening_done})
        cycle.refresh_from_db()
        transaction.on_commit(partial(queue_refresh, cycle.pk), robust=True)  # HR's first look finds its progress counted
    return cycle


def _populate_chunk(cycle: Cycle, rows: list[tuple], resolver: ReportingLineResolver) -> None:
    existing = set(
        CycleMember.objects.filter(cycle=cycle, employee_id__in=[row[0] for row in rows]).values_list("employee_id", flat=True)
    )
    members = []
    for employee_id, position_id, unit_id, _user_id in rows:
        if employee_id in existing:
            continue
        line = resolver.resolve(position_id)
        superior_position = resolver.superior_of.get(position_id)
        members.append(
            CycleMember(
                cycle=cycle, employee_id=employee_id, unit_id=unit_id, position_id=position_id,
                rater_id=line.rater_id, rater_position_id=superior_position,
                raters_superior_id=line.raters_superior_id,
                raters_superior_position_id=resolver.superior_of.get(superior_position) if superior_position else None,
            )
        )
    if not members:
        return
    members = CycleMember.objects.bulk_create(members)
    plans = Plan.objects.bulk_create(
        [Plan(member=m, cycle=cycle, employee_id=m.employee_id, unit_id=m.unit_id) for m in members]
    )
    user_of = {row[0]: row[3] for row in rows}
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            audit.build_event(
                document_type=Plan.document_type, document_id=plan.pk, action="create", to_state=plan.status,
                data={"cycle": cycle.pk}, origin={"channel": "system"}, at=now,
            )
            for plan in plans
        ]
    )
    tasks = []
    for plan, member in zip(plans, members):
        plan.cycle = cycle
        member.employee = Employee(pk=member.employee_id, user_id=user_of[member.employee_id])
        tasks.append((plan.pk, employee_submit_task(plan, member)))
    OpenTask.objects.bulk_create(
        [
            OpenTask(
                document_type=Plan.document_type, document_id=plan_id, role=spec.role, actions=spec.actions,
                assignee_id=spec.assignee_id, unit_id=spec.unit_id, due_at=spec.due_at,
                remind_at=spec.remind_at, escalate_at=spec.escalate_at,
            )
            for plan_id, spec in tasks
        ]
    )
    notify_bulk(
        (Notice(user_of[plan.employee_id], "cycle.opened", {"year": cycle.year}), Plan.document_type, plan.pk)
        for plan in plans
    )


def member_correct_reporting_line(
    *, member: CycleMember, actor, rater: Employee | None, raters_superior: Employee | None, reason: str,
    origin: dict | None = None,
) -> CycleMember:
    """HR corrects an employee's rater for a cycle (the "wrong superior" case).

    The open rater tasks of the employee's documents move to the new rater, the change is
    audited on the member's record and the new rater is notified.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the correction.")]})
    if not is_hr_for(actor, [member.unit]):
        raise NotPermitted(_("Only HR of the employee's unit may correct the reporting line."))
    if rater is not None and rater.pk == member.employee_id:
        raise ValidationError({"rater": [_("An employee cannot rate themselves.")]})
    with transaction.atomic():
        member = CycleMember.objects.select_for_update().select_related("employee", "cycle").get(pk=member.pk)
        before = {"rater": member.rater_id, "raters_superior": member.raters_superior_id}
        member.rater = rater
        member.rater_position_id = rater.position_id if rater else None
        member.raters_superior = raters_superior
        member.raters_superior_position_id = raters_superior.position_id if raters_superior else None
        member.save(update_fields=["rater", "rater_position", "raters_superior", "raters_superior_position"])
        moved = _move_member_tasks(member, before)
        audit.append(
            document_type=CycleMember.document_type, document_id=member.pk, action="correct_reporting_line",
            actor_id=actor.pk, comment=reason,
            data={"before": before, "after": {"rater": member.rater_id, "raters_superior": member.raters_superior_id}, "tasks_moved": moved},
            origin=origin,
        )
        # Both raters learn of it: the new one has the tasks now, the old one no longer.
        data = {"employee": member.employee.name, "year": member.cycle.year}
        old_rater_user = Employee.objects.filter(pk=before["rater"]).values_list("user_id", flat=True).first() if before["rater"] else None
        notices = []
        if rater is not None and rater.user_id:
            notices.append(Notice(rater.user_id, "member.rater_changed", data))
        if old_rater_user and (rater is None or old_rater_user != rater.user_id):
            notices.append(Notice(old_rater_user, "member.rater_removed", data))
        notify_bulk((notice, CycleMember.document_type, member.pk) for notice in notices)
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
