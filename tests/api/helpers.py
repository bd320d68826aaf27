"""Helpers of the API tests: URLs, request bodies, and documents in the states the tests need.

They build on the fixtures and helpers of tests/conftest.py (``org``, ``cycle``,
``approved_chain``, ``plan_of``, ``fill_plan``, ``approve_plan``).
"""

from __future__ import annotations

import datetime

from django.test import TestCase

from processes.models import Cycle, Plan
from processes.services.cycles import cycle_create, cycle_open
from workflow.engine import perform
from workflow.models import AuditEvent

from ..conftest import approve_plan, fill_plan, plan_of
from ..factories import EmployeeFactory

API = "/api/v1"


def plan_url(plan, action: str | None = None) -> str:
    return f"{API}/plans/{plan.pk}/" + (f"{action}/" if action else "")


def cycle_url(cycle, action: str | None = None) -> str:
    return f"{API}/cycles/{cycle.pk}/" + (f"{action}/" if action else "")


def member_url(member, action: str | None = None) -> str:
    return f"{API}/cycle-members/{member.pk}/" + (f"{action}/" if action else "")


def indicator_body(description: str = "Laporan tersusun", *, target: str = "12 dokumen", aspect: str = "quantity", id=None) -> dict:
    body = {"description": description, "target": target, "aspect": aspect}
    if id is not None:
        body["id"] = id
    return body


def result_body(title: str = "Laporan keuangan tepat waktu", *, kind: str = "main", supports=None, indicators=None, id=None) -> dict:
    body = {
        "title": title,
        "kind": kind,
        "supports": supports,
        "indicators": [indicator_body()] if indicators is None else indicators,
    }
    if id is not None:
        body["id"] = id
    return body


def audit_actions(document) -> list[str]:
    return list(
        AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def submitted_plan(org, cycle, approved_chain, employee=None) -> Plan:
    """A subordinate's plan (org.employee's by default), filled from kabid's result and submitted."""
    plan = plan_of(cycle, employee or org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=plan.member.employee.user)
    plan.refresh_from_db()
    return plan


def open_cycle(org, *, year: int, name: str | None = None) -> Cycle:
    """Another opened cycle for the agency (plans created for every employee in scope now)."""
    created = cycle_create(
        actor=org.hr, name=name or f"Kinerja {year}", year=year, units=[org.agency],
        plan_deadline=datetime.date(year, 1, 31),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        cycle_open(cycle=created, actor=org.hr)
    created.refresh_from_db()
    return created


def add_staff(org, count: int) -> list:
    """``count`` more staff in org.division, rated by kabid."""
    return [
        EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position) for _ in range(count)
    ]


def approve_chain(org, cycle):
    """kepala's and kabid's plans of ``cycle`` approved; returns kabid's approved result."""
    kepala_plan = plan_of(cycle, org.kepala)
    (kepala_result,) = fill_plan(kepala_plan)
    approve_plan(kepala_plan, rater_user=org.sekda.user, employee_user=org.kepala.user)
    kabid_plan = plan_of(cycle, org.kabid)
    (kabid_result,) = fill_plan(kabid_plan, supports=kepala_result)
    approve_plan(kabid_plan, rater_user=org.kepala.user, employee_user=org.kabid.user)
    kabid_result.refresh_from_db()
    return kabid_result


def submit_all(cycle, employees, supports) -> list[Plan]:
    """Each employee's plan of ``cycle`` filled (supporting ``supports``) and submitted."""
    plans = []
    for employee in employees:
        plan = plan_of(cycle, employee)
        fill_plan(plan, supports=supports)
        perform(plan, "submit", actor=employee.user)
        plans.append(plan)
    return plans
