"""Role fixtures on a small organisation, and helpers that read as the domain does.

    agency (head: kepala; rater: sekda outside the scope)
    └── division (head: kabid, rated by kepala)
        ├── staff: employee, colleague (rated by kabid)
    other division (head: other_kabid, rated by kepala) with other_employee

``rater`` is kabid, ``raters_superior`` is kepala.
"""

from __future__ import annotations

import datetime
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from notifications.services import forget_endpoints
from processes.models import Cycle, CycleRole, Plan
from processes.services.cycles import cycle_create, cycle_open
from workflow.engine import perform

from .factories import (
    EmployeeFactory,
    IndicatorFactory,
    PlanResultFactory,
    RoleAssignmentFactory,
    UnitFactory,
    UserFactory,
)


@dataclass
class Org:
    government: object
    agency: object
    division: object
    other_division: object
    sekda: object
    kepala: object
    kabid: object
    employee: object
    colleague: object
    other_kabid: object
    other_employee: object
    hr: object
    forum_member: object


@pytest.fixture
def org(db) -> Org:
    government = UnitFactory(code="GOV", name="Pemerintah Kota", kind="government")
    agency = UnitFactory(code="AGENCY", name="Badan", kind="agency", parent=government)
    division = UnitFactory(code="DIV-A", name="Bidang A", parent=agency)
    other_division = UnitFactory(code="DIV-B", name="Bidang B", parent=agency)
    secretariat = UnitFactory(code="SETDA", name="Sekretariat", kind="agency", parent=government)

    sekda = EmployeeFactory(name="Sekda", user__username="sekda", position__unit=secretariat, position__is_unit_leader=True)
    kepala = EmployeeFactory(
        name="Kepala", user__username="kepala", position__unit=agency, position__superior=sekda.position,
        position__is_unit_leader=True,
    )
    kabid = EmployeeFactory(
        name="Kabid A", user__username="kabid", position__unit=division, position__superior=kepala.position,
        position__is_unit_leader=True,
    )
    employee = EmployeeFactory(name="Staf A1", user__username="employee", position__unit=division, position__superior=kabid.position)
    colleague = EmployeeFactory(name="Staf A2", user__username="colleague", position__unit=division, position__superior=kabid.position)
    other_kabid = EmployeeFactory(
        name="Kabid B", user__username="other_kabid", position__unit=other_division, position__superior=kepala.position,
        position__is_unit_leader=True,
    )
    other_employee = EmployeeFactory(
        name="Staf B1", user__username="other_employee", position__unit=other_division, position__superior=other_kabid.position
    )
    hr = UserFactory(username="hr")
    RoleAssignmentFactory(user=hr, unit=agency)
    forum_member = UserFactory(username="forum")
    return Org(
        government, agency, division, other_division, sekda, kepala, kabid, employee, colleague, other_kabid,
        other_employee, hr, forum_member,
    )


@pytest.fixture
def cycle(org, django_capture_on_commit_callbacks) -> Cycle:
    """An opened cycle for the agency: every employee in scope has a draft plan."""
    created = cycle_create(
        actor=org.hr, name="Kinerja 2026", year=2026, units=[org.agency], plan_deadline=datetime.date(2026, 1, 31)
    )
    CycleRole.objects.create(cycle=created, user=org.forum_member, role=CycleRole.Role.FORUM_MEMBER, unit=org.division)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=created, actor=org.hr)
    created.refresh_from_db()
    return created


def plan_of(cycle: Cycle, employee) -> Plan:
    """The employee's latest plan of the cycle: their only one, or after a join or a move the
    current one (an employee has one plan per period: docs/periods-and-changes.md)."""
    return Plan.objects.select_related("member").filter(cycle=cycle, employee=employee).latest("start")


def plans_of(cycle: Cycle, employee) -> list[Plan]:
    """Every plan of the employee in the cycle, first period first."""
    return list(Plan.objects.select_related("member").filter(cycle=cycle, employee=employee).order_by("start"))


def fill_plan(plan: Plan, *, supports=None, results: int = 1):
    """Give a plan results, each with one indicator; ``supports`` is the rater's result."""
    created = []
    for _ in range(results):
        result = PlanResultFactory(plan=plan, supports=supports)
        IndicatorFactory(result=result)
        created.append(result)
    return created


def approve_plan(plan: Plan, *, rater_user, employee_user):
    perform(plan, "submit", actor=employee_user)
    return perform(plan, "approve", actor=rater_user).document


@pytest.fixture
def approved_chain(org, cycle):
    """kepala's and kabid's plans approved, so kabid's subordinates can cascade from kabid's."""
    kepala_plan = plan_of(cycle, org.kepala)
    (kepala_result,) = fill_plan(kepala_plan)
    approve_plan(kepala_plan, rater_user=org.sekda.user, employee_user=org.kepala.user)
    kabid_plan = plan_of(cycle, org.kabid)
    (kabid_result,) = fill_plan(kabid_plan, supports=kepala_result)
    approve_plan(kabid_plan, rater_user=org.kepala.user, employee_user=org.kabid.user)
    kabid_result.refresh_from_db()
    return {"kepala_plan": kepala_plan, "kepala_result": kepala_result, "kabid_plan": kabid_plan, "kabid_result": kabid_result}


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# Webhooks: a local receiver -------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    headers: object  # an email.message.Message: header names are case-insensitive
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 (a free port) in a thread: it records every POST (headers and
    body) and answers with ``status`` (200, or 500 when a test wants the endpoint to fail)."""

    def __init__(self):
        self.requests: list[ReceivedRequest] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(ReceivedRequest(self.headers, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutting the server down at the end of a test waits for one.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/kinerja-hook"

    def events(self) -> list[str]:
        return [request.json()["event"] for request in self.requests]


@pytest.fixture
def webhook_receiver():
    """A running receiver. The active endpoints are cached for a minute, so the cache is
    emptied around the test: endpoints of one test never leak into another."""
    forget_endpoints()
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    forget_endpoints()


@pytest.fixture(autouse=True)
def _audit_trigger_and_flush(request):
    """On SQLite, a transactional test (live server, real concurrency) ends with a flush that
    DELETEs every row, which the audit table's append-only trigger refuses: lift that trigger for
    the flush only, and make sure both triggers are in place before every database test.
    (PostgreSQL flushes with TRUNCATE, which the row triggers do not see.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"live_server", "transactional_db"} & set(request.fixturenames)
        or (marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    )
    if marker is None and not {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from importlib import import_module

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    triggers = import_module("workflow.migrations.0002_audit_append_only")
    with connection.cursor() as cursor:
        for statement in triggers.SQLITE_CREATE:
            cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS workflow_auditevent_no_delete")
