"""HR sends a failed delivery of its own agency again (API, page, command): audited on the
delivery's chain, back to pending with a new series of attempts, sent after the commit."""

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from notifications.models import Delivery, DeliveryAttempt
from notifications.services import materialise_deliveries, notify_bulk
from workflow.flows import Notice
from workflow.models import AuditEvent

from ..api.helpers import API, mails_to, register_webhook
from ..conftest import client_for
from ..factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def failed_email(user, *, failed_at=None) -> Delivery:
    """An e-mail to ``user`` given up after its attempts (as the worker leaves it)."""
    (notification,) = notify_bulk([(Notice(user.pk, "task.reminder", {"document": "SKP"}), "", None)])
    (delivery_id,) = materialise_deliveries([notification.pk])
    Delivery.objects.filter(pk=delivery_id).update(status="failed", attempts=6, last_error="SMTPServerDisconnected")
    attempt = DeliveryAttempt.objects.create(delivery_id=delivery_id, succeeded=False, error="SMTPServerDisconnected")
    if failed_at is not None:
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(at=failed_at)
    return Delivery.objects.get(pk=delivery_id)


@pytest.fixture
def other_agencys_hr(org):
    """HR of the regional secretariat: another agency than the one the organisation's staff work in."""
    user = UserFactory(username="hr_setda")
    RoleAssignmentFactory(user=user, unit=org.sekda.position.unit)
    return user


def resend(user, delivery):
    return client_for(user).post(f"{API}/deliveries/{delivery.pk}/resend/", format="json")


def events_of(delivery):
    return list(AuditEvent.objects.filter(document_type="delivery", document_id=delivery.pk).values_list("action", "actor_id", "data"))


# API --------------------------------------------------------------------------------------------


def test_hr_resends_a_failed_email_which_is_sent_after_the_commit_and_audited(org, django_capture_on_commit_callbacks):
    delivery = failed_email(org.kabid.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = resend(org.hr, delivery)
        assert mails_to(org.kabid.user) == []  # nothing leaves inside the transaction
    assert response.status_code == 200, response.content
    assert len(mails_to(org.kabid.user)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")  # a new series of attempts
    assert events_of(delivery) == [("resend", org.hr.pk, {"attempts_before": 6, "last_error": "SMTPServerDisconnected"})]


def test_hr_of_another_agency_gets_404_and_nothing_changes(org, other_agencys_hr):
    delivery = failed_email(org.kabid.user)
    assert resend(other_agencys_hr, delivery).status_code == 404
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 6)
    assert events_of(delivery) == []
    listed = client_for(other_agencys_hr).get(f"{API}/deliveries/?status=failed").json()["results"]
    assert delivery.pk not in [row["id"] for row in listed]


def test_someone_who_is_not_hr_may_not_list_deliveries(org):
    assert client_for(org.kabid.user).get(f"{API}/deliveries/").status_code == 403


def test_resending_a_pending_delivery_is_a_conflict_and_changes_nothing(org):
    delivery = failed_email(org.kabid.user)
    Delivery.objects.filter(pk=delivery.pk).update(status="pending", attempts=2)
    response = resend(org.hr, delivery)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert events_of(delivery) == []


def test_the_list_of_failed_deliveries_shows_the_agencys_failed_ones_only(org):
    failed = failed_email(org.kabid.user)
    pending = failed_email(org.employee.user)
    Delivery.objects.filter(pk=pending.pk).update(status="pending")
    rows = client_for(org.hr).get(f"{API}/deliveries/?status=failed").json()["results"]
    assert [(row["id"], row["channel"], row["status"], row["attempts"]) for row in rows] == [(failed.pk, "email", "failed", 6)]


def test_an_unknown_status_filter_is_a_400(org):
    response = client_for(org.hr).get(f"{API}/deliveries/?status=lost")
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_hr_resends_a_failed_webhook_of_an_endpoint_it_registered(org, webhook_receiver, django_capture_on_commit_callbacks):
    hook = register_webhook(org.hr, webhook_receiver.url)
    (notification,) = notify_bulk([(Notice(org.kabid.user.pk, "task.reminder", {"document": "SKP"}), "", None)])
    materialise_deliveries([notification.pk])
    delivery = notification.deliveries.get(endpoint_id=hook["id"])
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert resend(org.hr, delivery).status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len(webhook_receiver.requests) == 1


# Page -------------------------------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_hrs_page_lists_a_failed_delivery_and_its_button_sends_it_again(org, django_capture_on_commit_callbacks):
    delivery = failed_email(org.kabid.user)
    client = page_client(org.hr)
    page = client.get("/hr/deliveries/")
    assert page.status_code == 200
    assert org.kabid.user.email in page.content.decode() and "SMTPServerDisconnected" in page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/hr/deliveries/", {"delivery": delivery.pk})
    assert response.status_code == 302
    assert len(mails_to(org.kabid.user)) == 1
    assert [action for action, _actor, _data in events_of(delivery)] == ["resend"]


def test_hr_of_another_agency_cannot_resend_from_the_page(org, other_agencys_hr):
    delivery = failed_email(org.kabid.user)
    client = page_client(other_agencys_hr)
    assert org.kabid.user.email not in client.get("/hr/deliveries/").content.decode()
    assert client.post("/hr/deliveries/", {"delivery": delivery.pk}).status_code == 404
    assert client.post("/hr/deliveries/", {"delivery": "x"}).status_code == 400
    delivery.refresh_from_db()
    assert delivery.status == "failed"


# Command ----------------------------------------------------------------------------------------


def test_the_command_resends_by_id_as_the_system(org, django_capture_on_commit_callbacks):
    delivery = failed_email(org.kabid.user)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resend_deliveries", "--id", str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    (event,) = AuditEvent.objects.filter(document_type="delivery", document_id=delivery.pk)
    assert (event.action, event.actor_id, event.origin["channel"]) == ("resend", None, "command")


def test_the_command_resends_what_failed_since_a_time_and_leaves_older_failures(org, django_capture_on_commit_callbacks):
    now = timezone.now()
    recent = failed_email(org.kabid.user, failed_at=now - datetime.timedelta(hours=1))
    old = failed_email(org.employee.user, failed_at=now - datetime.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resend_deliveries", "--failed-since", (now - datetime.timedelta(days=1)).isoformat())
    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.status, old.status) == ("sent", "failed")


def test_the_command_refuses_a_delivery_that_has_not_failed(org):
    delivery = failed_email(org.kabid.user)
    Delivery.objects.filter(pk=delivery.pk).update(status="sent")
    with pytest.raises(CommandError):
        call_command("resend_deliveries", "--id", str(delivery.pk))
    assert events_of(delivery) == []
