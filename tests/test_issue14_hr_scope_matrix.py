"""Every HR-owned resource x HR of another agency: nothing of this agency exists for them.

The agency (tests/conftest.py ``org``: AGENCY with its two divisions) has a year under way: plans
approved, January's reports, results issued with an objection, a delegation, a public feedback
link, a webhook with a failed delivery. HR of the regional secretariat (SETDA, another agency of
the same government) tries each of its HR resources, one row each: an addressable resource is a
404 (as if it did not exist), a creation naming this agency's units is refused as for a unit that
does not exist (400, the same answer) or as not theirs (403), an organisation write (the services
behind the admin and the importer) is NotPermitted, and a list holds none of it. And the other
agency's HR receives none of this agency's webhook events.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Delivery, WebhookEndpoint
from notifications.resend import delivery_resend
from notifications.services import forget_endpoints, materialise_deliveries, webhook_deactivate, webhook_register
from org import writes
from org.delegations import delegation_create, delegation_end
from org.models import Delegation, Position, RoleAssignment, Unit
from processes.models import Assessment, BulkRun, CycleMember, MonthlyReport, Objection, Plan, PublicFeedbackLink, UnitReview
from processes.services.bulk_runs import cycle_resume
from processes.services.cycles import cycle_create, member_correct_reporting_line
from processes.services.evaluations import evaluation_start
from processes.services.objections import objection_file
from processes.services.public_feedback import link_issue, link_revoke
from processes.services.reports import reports_open_month
from workflow.errors import NotPermitted

from .api.helpers import API, issued_evaluation
from .conftest import WebhookReceiver, client_for
from .factories import EmployeeFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@dataclass
class World:
    org: object
    cycle: object
    other_hr: object
    plan: Plan
    report: MonthlyReport
    member: CycleMember
    assessment: Assessment
    review: UnitReview
    objection: Objection
    delegation: Delegation
    link: PublicFeedbackLink
    endpoint: WebhookEndpoint
    delivery: Delivery
    bulk_run: BulkRun
    hr_role: RoleAssignment


@pytest.fixture
def world(org, cycle, django_capture_on_commit_callbacks):
    """The agency's year under way, and HR of another agency. (The active webhooks are cached for
    a minute: the cache is emptied after the test, so its endpoint never leaks into another.)"""
    yield build_world(org, cycle)
    forget_endpoints()


def build_world(org, cycle) -> World:
    evaluation = issued_evaluation(org, cycle)
    reports_open_month(year=cycle.year, month=1)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    objection = objection_file(assessment=assessment, actor=org.employee.user, reasons="Capaian saya melebihi target")
    delegation = delegation_create(actor=org.kabid.user, delegate=org.colleague, start=TODAY(),
                                   end=TODAY() + datetime.timedelta(days=5), reason="Cuti tahunan")
    link = link_issue(actor=org.hr, unit=org.division)
    endpoint = webhook_register(actor=org.hr, url="http://127.0.0.1:9/agency-hook", events=[])
    plan = Plan.objects.get(cycle=cycle, employee=org.employee)
    from notifications.services import notify_bulk
    from workflow.flows import Notice

    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "plan.submitted", {"employee": "Staf A1"}), "plan", plan.pk)])
    materialise_deliveries([notice.pk])
    delivery = Delivery.objects.get(notification=notice, endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)
    other_hr = UserFactory(username="setda_hr")
    RoleAssignmentFactory(user=other_hr, unit=Unit.objects.get(code="SETDA"))
    return World(
        org=org, cycle=cycle, other_hr=other_hr, plan=plan,
        report=MonthlyReport.objects.get(cycle=cycle, employee=org.employee, month=1),
        member=CycleMember.objects.get(cycle=cycle, employee=org.employee), assessment=assessment,
        review=assessment.unit_review, objection=objection, delegation=delegation, link=link, endpoint=endpoint,
        delivery=delivery, bulk_run=BulkRun.objects.filter(cycle=cycle).first(),
        hr_role=RoleAssignment.objects.get(user=org.hr),
    )


# The API -------------------------------------------------------------------------------------------

NOT_FOUND = 404


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    url: Callable[[World], str]
    body: Callable[[World], dict] | None = None


def c(w: World) -> str:
    return f"{API}/cycles/{w.cycle.pk}/"


API_ROWS = [
    Row("cycle", "get", c),
    Row("cycle's rules and units (its detail)", "get", c),
    Row("cycle history", "get", lambda w: c(w) + "history/"),
    Row("cycle open", "post", lambda w: c(w) + "open/"),
    Row("cycle close", "post", lambda w: c(w) + "close/"),
    Row("cycle resume (bulk runs)", "post", lambda w: c(w) + "resume/"),
    Row("cycle evaluations", "post", lambda w: c(w) + "evaluations/", lambda w: {"period": "Q1"}),
    Row("progress", "get", lambda w: c(w) + "progress/"),
    Row("late reports", "get", lambda w: c(w) + "late-reports/"),
    Row("overdue tasks", "get", lambda w: c(w) + "overdue-tasks/"),
    Row("results export csv", "get", lambda w: c(w) + "results.csv"),
    Row("results export xlsx", "get", lambda w: c(w) + "results.xlsx"),
    Row("cycle member", "get", lambda w: f"{API}/cycle-members/{w.member.pk}/"),
    Row("cycle member history", "get", lambda w: f"{API}/cycle-members/{w.member.pk}/history/"),
    Row("correct a reporting line", "post", lambda w: f"{API}/cycle-members/{w.member.pk}/correct_reporting_line/",
        lambda w: {"rater": w.org.colleague.pk, "reason": "Koreksi"}),
    Row("plan", "get", lambda w: f"{API}/plans/{w.plan.pk}/"),
    Row("plan history", "get", lambda w: f"{API}/plans/{w.plan.pk}/history/"),
    Row("monthly report", "get", lambda w: f"{API}/reports/{w.report.pk}/"),
    Row("assessment", "get", lambda w: f"{API}/assessments/{w.assessment.pk}/"),
    Row("assessment history", "get", lambda w: f"{API}/assessments/{w.assessment.pk}/history/"),
    Row("evaluation document", "get", lambda w: f"{API}/assessments/{w.assessment.pk}/document/"),
    Row("unit review (board)", "get", lambda w: f"{API}/unit-reviews/{w.review.pk}/"),
    Row("unit review history", "get", lambda w: f"{API}/unit-reviews/{w.review.pk}/history/"),
    Row("objection", "get", lambda w: f"{API}/objections/{w.objection.pk}/"),
    Row("unit", "get", lambda w: f"{API}/units/{w.org.division.pk}/"),
    Row("unit's public feedback", "get", lambda w: f"{API}/units/{w.org.division.pk}/public-feedback/"),
    Row("public link revoke", "delete", lambda w: f"{API}/public-links/{w.link.pk}/"),
    Row("public link QR", "get", lambda w: f"{API}/public-links/{w.link.pk}/qr/"),
    Row("delegation", "get", lambda w: f"{API}/delegations/{w.delegation.pk}/"),
    Row("delegation end", "delete", lambda w: f"{API}/delegations/{w.delegation.pk}/"),
    Row("webhook deactivate", "delete", lambda w: f"{API}/webhooks/{w.endpoint.pk}/"),
    Row("delivery", "get", lambda w: f"{API}/deliveries/{w.delivery.pk}/"),
    Row("delivery resend", "post", lambda w: f"{API}/deliveries/{w.delivery.pk}/resend/"),
]


@pytest.mark.parametrize("row", API_ROWS, ids=[row.name for row in API_ROWS])
def test_hr_of_another_agency_finds_no_such_resource_in_the_api(world, row):
    client = client_for(world.other_hr)
    body = row.body(world) if row.body else None
    response = getattr(client, row.method)(row.url(world), body, format="json")
    assert response.status_code == NOT_FOUND, response.content
    # ... and its own HR reaches it (the row names a real resource, not a typo).
    if row.method == "get":
        assert client_for(world.org.hr).get(row.url(world)).status_code == 200


def ids_in(response) -> set[int]:
    data = response.json()
    return {item["id"] for item in (data["results"] if isinstance(data, dict) else data)}


LISTS = [
    ("cycles", lambda w: w.cycle.pk),
    ("cycle-members", lambda w: w.member.pk),
    ("plans", lambda w: w.plan.pk),
    ("reports", lambda w: w.report.pk),
    ("assessments", lambda w: w.assessment.pk),
    ("unit-reviews", lambda w: w.review.pk),
    ("objections", lambda w: w.objection.pk),
    ("units", lambda w: w.org.division.pk),
    ("public-links", lambda w: w.link.pk),
    ("delegations", lambda w: w.delegation.pk),
    ("webhooks", lambda w: w.endpoint.pk),
    ("deliveries", lambda w: w.delivery.pk),
]


@pytest.mark.parametrize("resource, item", LISTS, ids=[name for name, _item in LISTS])
def test_hr_of_another_agency_lists_none_of_it(world, resource, item):
    assert item(world) in ids_in(client_for(world.org.hr).get(f"{API}/{resource}/"))
    assert item(world) not in ids_in(client_for(world.other_hr).get(f"{API}/{resource}/"))


def test_hr_of_another_agency_has_none_of_its_open_tasks(world):
    assert client_for(world.other_hr).get(f"{API}/tasks/").json()["results"] == []


def refusal(client, url, body) -> tuple[int, dict]:
    response = client.post(url, body, format="json")
    return response.status_code, response.json()


CREATIONS = [
    # (name, url, body naming this agency, the same body naming nothing that exists)
    ("a cycle of the agency's units", f"{API}/cycles/",
     lambda w, unit: {"name": "Kinerja", "year": 2030, "units": [unit], "plan_deadline": "2030-01-31"}),
    ("a webhook in the agency's scope", f"{API}/webhooks/", lambda w, unit: {"url": "https://simpeg.test/hook", "unit": unit}),
]


@pytest.mark.parametrize("name, url, body", CREATIONS, ids=[row[0] for row in CREATIONS])
def test_a_creation_naming_the_agency_is_told_what_a_unit_that_does_not_exist_is_told(world, name, url, body):
    client = client_for(world.other_hr)
    unit = world.org.division.pk
    foreign = refusal(client, url, body(world, unit))
    missing = refusal(client, url, body(world, 987654))
    # The answer may name the id it was given, nothing more.
    assert foreign[0] == 400 and str(foreign).replace(f'"{unit}"', '"987654"') == str(missing)


def test_a_public_link_for_the_agency_is_not_theirs_to_issue(world):
    response = client_for(world.other_hr).post(f"{API}/public-links/", {"unit": world.org.division.pk}, format="json")
    assert response.status_code == 403
    assert PublicFeedbackLink.objects.filter(unit=world.org.division).count() == 1


def test_a_delegation_for_the_agencys_employee_is_refused_as_for_nobody(world):
    client = client_for(world.other_hr)
    body = {"delegate": world.org.colleague.pk, "start": TODAY().isoformat(), "end": TODAY().isoformat(), "reason": "Cuti"}
    foreign = client.post(f"{API}/delegations/", {**body, "delegator": world.org.kabid.pk}, format="json")
    missing = client.post(f"{API}/delegations/", {**body, "delegator": 987654}, format="json")
    assert foreign.status_code == missing.status_code == 403 and foreign.json() == missing.json()


# HR's pages ----------------------------------------------------------------------------------------


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


PAGE_ROWS = [
    Row("cycle page", "get", lambda w: f"/hr/cycles/{w.cycle.pk}/"),
    Row("cycle action (close)", "post", lambda w: f"/hr/cycles/{w.cycle.pk}/", lambda w: {"action": "close"}),
    Row("opening progress", "get", lambda w: f"/hr/cycles/{w.cycle.pk}/opening/"),
    Row("progress refresh", "post", lambda w: f"/hr/cycles/{w.cycle.pk}/progress/refresh/"),
    Row("members page", "get", lambda w: f"/hr/cycles/{w.cycle.pk}/members/"),
    Row("public link print", "get", lambda w: f"/hr/public-links/{w.link.pk}/print/"),
    Row("public link revoke", "post", lambda w: "/hr/public-links/", lambda w: {"action": "revoke", "link": w.link.pk}),
    Row("webhook deactivate", "post", lambda w: "/hr/webhooks/", lambda w: {"action": "deactivate", "endpoint": w.endpoint.pk}),
    Row("delivery resend", "post", lambda w: "/hr/deliveries/", lambda w: {"delivery": w.delivery.pk}),
    Row("delegation end", "post", lambda w: "/hr/delegations/", lambda w: {"action": "end", "delegation": w.delegation.pk}),
]


@pytest.mark.parametrize("row", PAGE_ROWS, ids=[row.name for row in PAGE_ROWS])
def test_hr_of_another_agency_finds_no_such_page(world, row):
    client = page(world.other_hr)
    response = getattr(client, row.method)(row.url(world), row.body(world) if row.body else {})
    assert response.status_code == NOT_FOUND
    world.endpoint.refresh_from_db(), world.link.refresh_from_db(), world.delegation.refresh_from_db()
    assert world.endpoint.is_active and world.link.revoked_at is None and world.delegation.ended_at is None


PAGE_LISTS = [
    ("/hr/cycles/", lambda w: w.cycle.name),
    ("/hr/webhooks/", lambda w: w.endpoint.url),
    ("/hr/delegations/", lambda w: "Cuti tahunan"),
    ("/hr/deliveries/", lambda w: w.endpoint.url),
    ("/hr/public-links/", lambda w: f"/hr/public-links/{w.link.pk}/print/"),
]


@pytest.mark.parametrize("url, shown", PAGE_LISTS, ids=[url for url, _shown in PAGE_LISTS])
def test_hrs_pages_of_another_agency_list_none_of_it(world, url, shown):
    assert shown(world) in page(world.org.hr).get(url).content.decode()
    assert shown(world) not in page(world.other_hr).get(url).content.decode()


def test_an_import_that_touches_the_agency_is_refused_whole(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from org.importer import COLUMNS

    row = ["DIV-A", "Bidang A (diambil alih)", "division", "AGENCY", "", "", "", "", "", "", "", "", "", ""]
    text = ",".join(COLUMNS) + "\n" + ",".join(row) + "\n"
    response = page(world.other_hr).post("/hr/organisation/import/", {"file": SimpleUploadedFile("org.csv", text.encode())})
    assert response.status_code == 400
    assert Unit.objects.get(code="DIV-A").name == "Bidang A"


# The writes no page or endpoint addresses (the admin, the importer and the commands call them) -----

SERVICE_ROWS = [
    ("unit create", lambda w, hr: writes.unit_create(actor=hr, code="DIV-C", name="Bidang C", kind="division", parent=w.org.agency)),
    ("unit update", lambda w, hr: writes.unit_update(actor=hr, unit=w.org.division, name="Diambil alih")),
    ("unit move", lambda w, hr: writes.unit_move(actor=hr, unit=w.org.division, parent=Unit.objects.get(code="SETDA"))),
    ("unit deactivate", lambda w, hr: writes.unit_deactivate(actor=hr, unit=w.org.other_division)),
    ("position create", lambda w, hr: writes.position_create(actor=hr, code="P-X", title="Analis", unit=w.org.division)),
    ("position update", lambda w, hr: writes.position_update(actor=hr, position=w.org.employee.position, title="Diubah")),
    ("role grant", lambda w, hr: writes.role_grant(actor=hr, user=hr, unit=w.org.agency)),
    ("role revoke", lambda w, hr: writes.role_revoke(actor=hr, assignment=w.hr_role)),
    ("acting official", lambda w, hr: writes.acting_create(actor=hr, employee=w.org.colleague, position=w.org.kabid.position,
                                                           kind="plh", start=TODAY(), end=TODAY())),
    ("delegation create", lambda w, hr: delegation_create(actor=hr, delegator=w.org.kabid, delegate=w.org.colleague,
                                                          start=TODAY(), end=TODAY(), reason="Cuti")),
    ("delegation end", lambda w, hr: delegation_end(delegation=w.delegation, actor=hr)),
    ("cycle create", lambda w, hr: cycle_create(actor=hr, name="K", year=2031, units=[w.org.agency],
                                                plan_deadline=datetime.date(2031, 1, 31))),
    ("cycle resume", lambda w, hr: cycle_resume(cycle=w.cycle, actor=hr)),
    ("evaluation start", lambda w, hr: evaluation_start(cycle=w.cycle, period="Q1", actor=hr)),
    ("reporting line", lambda w, hr: member_correct_reporting_line(member=w.member, actor=hr, rater=w.org.colleague,
                                                                  raters_superior=None, reason="x")),
    ("public link issue", lambda w, hr: link_issue(actor=hr, unit=w.org.division)),
    ("public link revoke", lambda w, hr: link_revoke(link=w.link, actor=hr)),
    ("webhook register in its scope", lambda w, hr: webhook_register(actor=hr, url="https://simpeg.test/h", events=[],
                                                                     unit_id=w.org.agency.pk)),
    ("webhook deactivate", lambda w, hr: webhook_deactivate(actor=hr, endpoint=w.endpoint)),
    ("delivery resend", lambda w, hr: delivery_resend(actor=hr, delivery=w.delivery)),
]


@pytest.mark.parametrize("name, write", SERVICE_ROWS, ids=[row[0] for row in SERVICE_ROWS])
def test_hr_of_another_agency_may_not_write_the_agencys_records(world, name, write):
    from django.core.exceptions import ValidationError

    before = (Unit.objects.count(), Position.objects.count(), RoleAssignment.objects.count(), Delegation.objects.count(),
              WebhookEndpoint.objects.filter(is_active=True).count(), PublicFeedbackLink.objects.count())
    with pytest.raises((NotPermitted, ValidationError)) as refused:
        write(world, world.other_hr)
    if isinstance(refused.value, ValidationError):  # refused as for a unit that does not exist
        with pytest.raises(ValidationError) as missing:
            webhook_register(actor=world.other_hr, url="https://simpeg.test/h", events=[], unit_id=987654)
        assert refused.value.message_dict == missing.value.message_dict and list(missing.value.message_dict) == ["unit"]
    after = (Unit.objects.count(), Position.objects.count(), RoleAssignment.objects.count(), Delegation.objects.count(),
             WebhookEndpoint.objects.filter(is_active=True).count(), PublicFeedbackLink.objects.count())
    assert after == before
    assert Unit.objects.get(code="DIV-A").parent == world.org.agency


# Events -----------------------------------------------------------------------------------------------


def test_another_agencys_hr_receives_none_of_the_agencys_webhook_events(org, cycle, django_capture_on_commit_callbacks):
    """Both agencies' HR register an endpoint for every event; a whole year of this agency's
    work (plans, reports, scoring, issue, objection, delegation, a role granted) reaches this
    agency's endpoint only."""
    forget_endpoints()
    ours, theirs = WebhookReceiver(), WebhookReceiver()
    for receiver in (ours, theirs):
        receiver.thread.start()
    try:
        other_hr = UserFactory(username="setda_hr")
        RoleAssignmentFactory(user=other_hr, unit=Unit.objects.get(code="SETDA"))
        webhook_register(actor=org.hr, url=ours.url, events=[])
        webhook_register(actor=other_hr, url=theirs.url, events=[])
        with django_capture_on_commit_callbacks(execute=True):
            evaluation = issued_evaluation(org, cycle)
        with django_capture_on_commit_callbacks(execute=True):
            reports_open_month(year=cycle.year, month=1)
            assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
            objection_file(assessment=assessment, actor=org.employee.user, reasons="Capaian melebihi target")
            delegation_create(actor=org.kabid.user, delegate=org.colleague, start=TODAY(), end=TODAY(), reason="Cuti")
            writes.role_grant(actor=org.hr, user=EmployeeFactory(position__unit=org.division).user, unit=org.division)
        assert {"plan.submitted", "plan.approved", "assessment.issued", "objection.filed", "delegation.started",
                "role.granted"} <= set(ours.events())
        assert theirs.requests == []
    finally:
        for receiver in (ours, theirs):
            receiver.server.shutdown()
            receiver.server.server_close()
        forget_endpoints()
