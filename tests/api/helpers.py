"""Helpers of the API tests: URLs, request bodies, and documents in the states the tests need.

They build on the fixtures and helpers of tests/conftest.py (``org``, ``cycle``,
``approved_chain``, ``plan_of``, ``fill_plan``, ``approve_plan``).
"""

from __future__ import annotations

import datetime
import zoneinfo

import time_machine
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from rest_framework.test import APIClient

from notifications.models import Notification
from processes.models import Assessment, Cycle, CycleRole, Indicator, MonthlyReport, Plan, UnitReview
from processes.services.cycles import cycle_create, cycle_open
from processes.services.feedback import feedback_answer, feedback_invite
from processes.services.public_feedback import link_issue, public_feedback_submit
from processes.services.reports import report_update_realisations, reports_open_month
from processes.services.scoring import unit_review_ratify
from workflow.engine import perform
from workflow.models import AuditEvent

from ..conftest import approve_plan, client_for, fill_plan, plan_of
from ..factories import EmployeeFactory, UserFactory
from ..lifecycle import approve_all_plans, issue_unit, rate_all, set_unit_predicates, start_evaluation

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


# Monthly reports and scoring (tests/api/test_reports_api.py, test_scoring_api.py, test_results_api.py) ----

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def english(user) -> APIClient:
    """A client for ``user`` whose requests ask for English (so messages can be asserted)."""
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def at(month: int, day: int, year: int = 2026, hour: int = 10):
    """Travel to ``hour``:00 of a day in Asia/Jakarta (the clock stands still there)."""
    return time_machine.travel(datetime.datetime(year, month, day, hour, 0, tzinfo=JAKARTA), tick=False)


def report_url(report, action: str | None = None) -> str:
    return f"{API}/reports/{report.pk}/" + (f"{action}/" if action else "")


def assessment_url(assessment, action: str | None = None) -> str:
    return f"{API}/assessments/{assessment.pk}/" + (f"{action}/" if action else "")


def review_url(review, action: str | None = None) -> str:
    return f"{API}/unit-reviews/{review.pk}/" + (f"{action}/" if action else "")


def upload(name: str = "bukti.pdf", content: bytes = b"%PDF-1.4 notulen rapat", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def open_reports(cycle, month: int = 1) -> dict:
    """Every plan of ``cycle`` approved and the month's reports opened by the sweep; by employee id."""
    approve_all_plans(cycle)
    reports_open_month(year=cycle.year, month=month)
    return {r.employee_id: r for r in MonthlyReport.objects.filter(cycle=cycle, month=month)}


def indicator_of(report) -> Indicator:
    """The one indicator of the report's plan (approve_all_plans gives each plan one)."""
    return Indicator.objects.get(result__plan_id=report.plan_id)


def realise(report, value: str = "1 dokumen") -> None:
    """The report's owner reports the realisation of its plan's indicator."""
    report_update_realisations(report=report, actor=report.employee.user,
                               items=[{"indicator": indicator_of(report).pk, "value": value, "note": ""}])


def agency_forum(cycle):
    """A forum member for the whole agency (so every unit of the fixture can be reviewed)."""
    user = UserFactory(username="tim.penilai")
    CycleRole.objects.get_or_create(cycle=cycle, user=user, role=CycleRole.Role.FORUM_MEMBER, unit=cycle.units.get())
    return user


def ratifier_of(cycle):
    user = UserFactory(username="pejabat.penetap")
    CycleRole.objects.get_or_create(cycle=cycle, user=user, role=CycleRole.Role.RATIFYING_OFFICIAL)
    return user


def issued_evaluation(org, cycle, *, period: str = "annual", predicate: str = "good", approve: bool = True):
    """Plans approved (unless done already), the period started, every unit predicate set, every
    assessment rated as expected and submitted, and every unit issued by the agency's forum."""
    if approve:
        approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr, period)
    set_unit_predicates(evaluation, predicate)
    rate_all(evaluation)
    forum = agency_forum(cycle)
    for review in UnitReview.objects.filter(evaluation=evaluation):
        issue_unit(review, forum)
    return evaluation


def finalise(evaluation) -> None:
    """Every employee accepts (signs) the issued result: all final."""
    for assessment in Assessment.objects.filter(evaluation=evaluation).select_related("member__employee__user"):
        perform(assessment, "accept", actor=assessment.member.employee.user)


def ratified_evaluation(org, cycle, *, period: str = "annual", approve: bool = True):
    """Every unit of the period issued, accepted and ratified by the cycle's ratifying official."""
    evaluation = issued_evaluation(org, cycle, period=period, approve=approve)
    finalise(evaluation)
    official = ratifier_of(cycle)
    for review in UnitReview.objects.filter(evaluation=evaluation):
        unit_review_ratify(review=review, actor=official)
    return evaluation


# Feedback: colleagues' (360) and the public's (tests/api/test_feedback_api.py, test_public_links_api.py,
# tests/test_public_feedback.py) ----------------------------------------------------------------------

BERAKHLAK = ("service_orientation", "accountability", "competence", "harmony", "loyalty", "adaptability", "collaboration")


def berakhlak(rating: str = "as_expected", **overrides) -> dict:
    """A rating of each of the seven BerAKHLAK values: ``rating``, except those named."""
    return {value: overrides.get(value, rating) for value in BERAKHLAK}


def feedback_request_url(request=None, action: str | None = None) -> str:
    if request is None:
        return f"{API}/feedback-requests/"
    return f"{API}/feedback-requests/{request.pk}/" + (f"{action}/" if action else "")


def invite(user, assessment, *invitees):
    """``user`` asks, through the API, ``invitees`` for feedback on the assessed employee."""
    return english(user).post(assessment_url(assessment, "feedback-requests"),
                              {"invitees": [e.pk for e in invitees]}, format="json")


def colleague_feedback(assessment, answers: list[tuple], inviter=None) -> list:
    """The rater (or ``inviter``) invites each (invitee, rating, comment) of ``answers`` and each
    answers with ``rating`` on all seven values, through the services; returns the requests."""
    inviter = inviter or assessment.member.rater.user
    requests = []
    for invitee, rating, comment in answers:
        (request,) = feedback_invite(assessment=assessment, actor=inviter, invitee_ids=[invitee.pk])
        requests.append(feedback_answer(request=request, actor=invitee.user, ratings=berakhlak(rating), comment=comment))
    return requests


def public_link(hr, *, unit=None, employee=None):
    """HR's live public feedback link of a unit (or of an employee at a counter)."""
    return link_issue(actor=hr, unit=unit, employee=employee)


_public_addresses = iter(range(1, 2**24))


def public_answers(link, *ratings: int, comment: str = "") -> None:
    """Members of the public, each from their own address, rate the link's service now."""
    for rating in ratings:
        n = next(_public_addresses)
        public_feedback_submit(link=link, rating=rating, comment=comment, language="id",
                               address=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")


# Notifications, delivery, webhooks and delegations (tests/notifications/, tests/org/test_delegations.py,
# tests/workflow/test_deadlines.py, tests/api/test_preferences_delegations_webhooks_api.py) ----------------------------


def type_of(document) -> str:
    """The type name notifications use: a flow document's ``document_type`` ("plan"), else the
    model's name ("delegation")."""
    return getattr(document, "document_type", None) or document._meta.model_name


def notice_to(user, event: str, document=None):
    """The one notification of ``event`` to ``user`` (about ``document`` when given)."""
    notices = Notification.objects.filter(recipient=user, event=event)
    if document is not None:
        notices = notices.filter(document_type=type_of(document), document_id=document.pk)
    return notices.get()


def notices_about(document, event: str | None = None) -> list[tuple[int, str]]:
    """(recipient id, event) of every notification about ``document``, oldest first."""
    notices = Notification.objects.filter(document_type=type_of(document), document_id=document.pk)
    if event is not None:
        notices = notices.filter(event=event)
    return list(notices.order_by("id").values_list("recipient_id", "event"))


def listed_deliveries(user, notification) -> list[tuple[str, str]]:
    """(channel, status) of a notification as GET /notifications/ shows it to its recipient."""
    response = client_for(user).get(f"{API}/notifications/", {"page_size": 200})
    assert response.status_code == 200
    (listed,) = [n for n in response.json()["results"] if n["id"] == notification.pk]
    return [(d["channel"], d["status"]) for d in listed["deliveries"]]


def register_webhook(hr, url: str, events: list[str] | None = None) -> dict:
    """HR registers a webhook through the API; the answer carries the secret (shown once)."""
    response = client_for(hr).post(f"{API}/webhooks/", {"url": url, "events": events or []}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def mails_to(user, *, containing: str = "") -> list:
    """The e-mails sent to ``user`` (whose body contains ``containing``)."""
    return [m for m in mail.outbox if m.to == [user.email] and containing in m.body]


def document_link(document) -> str:
    return f"{settings.KINERJA_SITE_URL.rstrip('/')}/d/{type_of(document)}/{document.pk}/"


def division_staff(org, cycle, *names: str) -> list:
    """More staff of org.division, rated by kabid, in ``cycle`` (joined after it opened): colleagues
    of org.employee whom a rater may invite to give feedback (someone of another division may not)."""
    from processes.models import CycleMember

    staff = []
    for name in names:
        employee = EmployeeFactory(name=name, position__unit=org.division, position__superior=org.kabid.position)
        CycleMember.objects.create(cycle=cycle, employee=employee, unit=org.division, position=employee.position,
                                   rater=org.kabid, rater_position=org.kabid.position, raters_superior=org.kepala,
                                   raters_superior_position=org.kepala.position)
        staff.append(employee)
    return staff
