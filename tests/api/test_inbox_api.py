"""My open tasks and my notifications."""

import pytest

from notifications.models import Notification

from ..conftest import client_for, plan_of
from .helpers import API, submitted_plan

pytestmark = pytest.mark.django_db


def tasks_of(user) -> list[dict]:
    response = client_for(user).get(f"{API}/tasks/")
    assert response.status_code == 200
    return response.json()["results"]


def notifications_of(user, **params) -> dict:
    response = client_for(user).get(f"{API}/notifications/", params)
    assert response.status_code == 200
    return response.json()


# Tasks -----------------------------------------------------------------------------------------


def test_an_employee_has_a_task_to_submit_their_plan(org, cycle):
    plan = plan_of(cycle, org.employee)
    (task,) = tasks_of(org.employee.user)
    assert (task["document_type"], task["document_id"], task["actions"]) == ("plan", plan.pk, ["submit"])
    assert task["label"] == "SKP 2026 — Staf A1"
    assert task["due_at"].startswith("2026-01-31T23:59:59")
    assert task["on_behalf"] is False


def test_a_task_past_its_due_date_is_overdue(org, cycle):
    # The 2026 cycle's plan deadline (31 January) has passed by the test's clock.
    (task,) = tasks_of(org.employee.user)
    assert task["overdue"] is True


def test_after_submitting_the_rater_has_the_review_task_and_the_employee_none(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    assert tasks_of(org.employee.user) == []
    (task,) = tasks_of(org.kabid.user)
    assert (task["document_id"], task["role"], task["actions"]) == (plan.pk, "rater", ["approve", "return"])
    assert task["label"] == "SKP 2026 — Staf A1"
    assert task["overdue"] is False


def test_after_approval_the_raters_task_is_gone(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client_for(org.kabid.user).post(f"{API}/plans/{plan.pk}/approve/")
    assert tasks_of(org.kabid.user) == []
    assert tasks_of(org.employee.user) == []


def test_a_returned_plan_gives_the_employee_a_submit_task_again(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client_for(org.kabid.user).post(f"{API}/plans/{plan.pk}/return/", {"comment": "Perbaiki"}, format="json")
    (task,) = tasks_of(org.employee.user)
    assert (task["document_id"], task["actions"]) == (plan.pk, ["submit"])


def test_hr_without_an_employee_record_has_no_tasks(org, cycle):
    assert tasks_of(org.hr) == []


def test_someone_elses_tasks_are_not_listed(org, cycle):
    ids = {t["document_id"] for t in tasks_of(org.colleague.user)}
    assert ids == {plan_of(cycle, org.colleague).pk}


# Notifications ---------------------------------------------------------------------------------


def test_notifications_list_mine_with_the_unread_count(org, cycle, approved_chain):
    submitted_plan(org, cycle, approved_chain)
    body = notifications_of(org.kabid.user)
    events = [n["event"] for n in body["results"]]
    assert "plan.submitted" in events and "cycle.opened" in events
    assert body["unread_count"] == len(events) == Notification.objects.filter(recipient=org.kabid.user).count()
    assert all(n["read_at"] is None and n["message"] for n in body["results"])


def test_reading_a_notification_sets_read_at_and_lowers_the_unread_count(org, cycle):
    before = notifications_of(org.employee.user)
    notification = before["results"][0]
    response = client_for(org.employee.user).post(f"{API}/notifications/{notification['id']}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert Notification.objects.get(pk=notification["id"]).read_at is not None
    assert notifications_of(org.employee.user)["unread_count"] == before["unread_count"] - 1


def test_reading_a_notification_twice_keeps_the_first_read_time(org, cycle):
    notification = Notification.objects.filter(recipient=org.employee.user).first()
    client = client_for(org.employee.user)
    first = client.post(f"{API}/notifications/{notification.pk}/read/").json()["read_at"]
    second = client.post(f"{API}/notifications/{notification.pk}/read/").json()["read_at"]
    assert first == second


def test_someone_elses_notification_is_not_found_and_stays_unread(org, cycle):
    notification = Notification.objects.filter(recipient=org.colleague.user).first()
    response = client_for(org.employee.user).post(f"{API}/notifications/{notification.pk}/read/")
    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_notifications_filter_by_unread(org, cycle, approved_chain):
    submitted_plan(org, cycle, approved_chain)
    client = client_for(org.kabid.user)
    read = Notification.objects.filter(recipient=org.kabid.user, event="cycle.opened").get()
    client.post(f"{API}/notifications/{read.pk}/read/")
    unread = notifications_of(org.kabid.user, read_at__isnull="true")["results"]
    assert read.pk not in [n["id"] for n in unread]
    assert "plan.submitted" in [n["event"] for n in unread]
