"""My notification preferences (e-mail may be turned off, in-app may not) and HR's webhooks
(registered with a secret shown once, deleted by deactivation, HR only)."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from notifications.models import WebhookEndpoint

from ..conftest import client_for
from .helpers import API, listed_deliveries, mails_to, notice_to, register_webhook, submitted_plan

pytestmark = pytest.mark.django_db

PREFERENCES = f"{API}/me/preferences/"
WEBHOOKS = f"{API}/webhooks/"


# Preferences ------------------------------------------------------------------------------------


def test_by_default_notifications_come_in_app_and_by_email(org):
    response = client_for(org.kabid.user).get(PREFERENCES)
    assert response.status_code == 200
    assert response.json() == {"in_app": True, "email": True}


def test_turning_email_off_is_kept(org):
    client = client_for(org.kabid.user)
    assert client.patch(PREFERENCES, {"email": False}, format="json").json() == {"in_app": True, "email": False}
    assert client.get(PREFERENCES).json() == {"in_app": True, "email": False}


def test_in_app_cannot_be_turned_off(org):
    client = client_for(org.kabid.user)
    response = client.patch(PREFERENCES, {"in_app": False}, format="json")
    assert response.status_code == 200
    assert response.json()["in_app"] is True
    assert client.get(PREFERENCES).json() == {"in_app": True, "email": True}


def test_a_preference_that_is_not_a_boolean_is_refused(org):
    response = client_for(org.kabid.user).patch(PREFERENCES, {"email": "kadang-kadang"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_preferences_need_a_logged_in_user():
    assert APIClient().get(PREFERENCES).status_code in (401, 403)


def test_with_email_off_the_rater_is_told_in_app_only(org, cycle, approved_chain, django_capture_on_commit_callbacks):
    client_for(org.kabid.user).patch(PREFERENCES, {"email": False}, format="json")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    assert mails_to(org.kabid.user) == []
    notification = notice_to(org.kabid.user, "plan.submitted", plan)
    assert listed_deliveries(org.kabid.user, notification) == [("in_app", "sent")]


def test_turning_email_off_does_not_silence_other_people(org, cycle, approved_chain, django_capture_on_commit_callbacks):
    client_for(org.kabid.user).patch(PREFERENCES, {"email": False}, format="json")
    plan = submitted_plan(org, cycle, approved_chain)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.kabid.user).post(f"{API}/plans/{plan.pk}/approve/")
    assert len(mails_to(org.employee.user)) == 1


# Webhooks ---------------------------------------------------------------------------------------


def test_hr_registers_a_webhook_and_sees_the_secret_only_once(org, webhook_receiver):
    client = client_for(org.hr)
    response = client.post(WEBHOOKS, {"url": webhook_receiver.url, "events": ["plan.submitted"]}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["url"] == webhook_receiver.url and created["events"] == ["plan.submitted"]
    assert created["is_active"] is True
    assert len(created["secret"]) >= 32
    assert WebhookEndpoint.objects.get(pk=created["id"]).secret == created["secret"]
    (listed,) = client.get(WEBHOOKS).json()["results"]
    assert listed["id"] == created["id"] and "secret" not in listed


def test_each_webhook_gets_its_own_secret(org, webhook_receiver):
    first = register_webhook(org.hr, webhook_receiver.url)
    second = register_webhook(org.hr, webhook_receiver.url + "/kedua")
    assert first["secret"] != second["secret"]


@pytest.mark.parametrize("who", ["kabid", "employee", "forum_member"])
def test_only_hr_manages_webhooks(org, webhook_receiver, who):
    hook = register_webhook(org.hr, webhook_receiver.url)
    user = org.forum_member if who == "forum_member" else getattr(org, who).user
    client = client_for(user)
    assert client.get(WEBHOOKS).status_code == 403
    assert client.post(WEBHOOKS, {"url": webhook_receiver.url, "events": []}, format="json").status_code == 403
    assert client.delete(f"{WEBHOOKS}{hook['id']}/").status_code == 403
    assert WebhookEndpoint.objects.filter(is_active=True).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://arsip.example.test/kinerja", "events": []}, "url"),
        ({"url": "bukan alamat", "events": []}, "url"),
        ({"url": "https://hr.example.test/hook", "events": "plan.submitted"}, "events"),
        ({"url": "https://hr.example.test/hook", "events": [42]}, "events"),
    ],
    ids=["not-http", "not-a-url", "events-not-a-list", "event-not-a-name"],
)
def test_a_webhook_with_a_bad_url_or_events_is_refused(org, webhook_receiver, body, field):
    response = client_for(org.hr).post(WEBHOOKS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_deleting_a_webhook_deactivates_it(org, webhook_receiver):
    hook = register_webhook(org.hr, webhook_receiver.url)
    client = client_for(org.hr)
    assert client.delete(f"{WEBHOOKS}{hook['id']}/").status_code == 204
    assert WebhookEndpoint.objects.get(pk=hook["id"]).is_active is False  # kept, for its deliveries' history
    assert client.get(WEBHOOKS).json()["results"] == []
    assert client.delete(f"{WEBHOOKS}{hook['id']}/").status_code == 404
