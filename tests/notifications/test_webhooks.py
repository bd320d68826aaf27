"""Webhooks: signed JSON events to the URLs HR registers, only the events asked for, none after
the webhook is deleted; a receiver can check who sent an event and that it is fresh."""

import datetime
import json

import pytest
import time_machine
from django.conf import settings

from notifications.delivery import attempt
from notifications.models import Delivery
from notifications.services import materialise_deliveries
from notifications.tasks import deliveries_sweep
from notifications.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from workflow.engine import perform

from ..api.helpers import API, JAKARTA, notice_to, register_webhook, submitted_plan
from ..conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_event(org, cycle, approved_chain, webhook_receiver, django_capture_on_commit_callbacks):
    """HR registers a webhook (keeping the secret); the employee submits; the receiver has the
    plan.submitted event. Returns (secret, the request received, the plan)."""
    secret = register_webhook(org.hr, webhook_receiver.url)["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    (request,) = webhook_receiver.requests
    return secret, request, plan


def signature_parts(request) -> tuple[str, bytes, str]:
    return request.headers[TIMESTAMP_HEADER], request.body, request.headers[SIGNATURE_HEADER]


def test_an_event_is_json_carrying_its_id_in_a_header_and_in_the_body(org, signed_event):
    _secret, request, plan = signed_event
    body = request.json()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers[EVENT_ID_HEADER] == body["id"]
    delivery = notice_to(org.kabid.user, "plan.submitted", plan).deliveries.get(channel="webhook")
    assert body["id"] == f"kinerja-{delivery.notification_id}-{delivery.pk}"
    assert body["event"] == "plan.submitted"
    assert body["document"] == {
        "type": "plan", "id": plan.pk, "url": f"{settings.KINERJA_SITE_URL.rstrip('/')}/d/plan/{plan.pk}/",
    }
    assert body["recipient"] == {"id": org.kabid.user_id, "username": "kabid"}
    assert body["data"]["employee"] == org.employee.name


def test_the_signature_verifies_with_the_secret_and_a_fresh_timestamp(signed_event):
    secret, request, _plan = signed_event
    timestamp, body, signature = signature_parts(request)
    assert signature.startswith("sha256=")
    assert verify(secret, timestamp, body, signature)


def test_the_signature_fails_for_a_changed_body(signed_event):
    secret, request, _plan = signed_event
    timestamp, body, signature = signature_parts(request)
    changed = json.loads(body)
    changed["data"]["employee"] = "Orang Lain"
    assert not verify(secret, timestamp, json.dumps(changed, sort_keys=True).encode(), signature)


def test_the_signature_fails_with_another_secret(signed_event):
    _secret, request, _plan = signed_event
    assert not verify("not-the-secret", *signature_parts(request))


def test_a_replayed_event_fails_once_its_timestamp_is_older_than_five_minutes(signed_event):
    secret, request, _plan = signed_event
    timestamp, body, signature = signature_parts(request)
    sent = int(timestamp)
    assert verify(secret, timestamp, body, signature, now=sent + 299)
    assert not verify(secret, timestamp, body, signature, now=sent + 301)
    # Nor can the replayer freshen the timestamp: it is signed with the body.
    assert not verify(secret, str(sent + 301), body, signature, now=sent + 301)


def test_a_webhook_registered_for_plan_submitted_gets_only_those_events(
    org, cycle, approved_chain, webhook_receiver, django_capture_on_commit_callbacks
):
    register_webhook(org.hr, webhook_receiver.url, ["plan.submitted"])
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    with django_capture_on_commit_callbacks(execute=True):
        perform(plan, "approve", actor=org.kabid.user)
    assert webhook_receiver.events() == ["plan.submitted"]
    approved = notice_to(org.employee.user, "plan.approved", plan)
    assert not approved.deliveries.filter(channel="webhook").exists()


def test_a_webhook_for_all_events_gets_each_event_of_the_action(
    org, cycle, approved_chain, webhook_receiver, django_capture_on_commit_callbacks
):
    register_webhook(org.hr, webhook_receiver.url)
    plan = submitted_plan(org, cycle, approved_chain)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.kabid.user).post(f"{API}/plans/{plan.pk}/return/", {"comment": "Target belum terukur"}, format="json")
    (request,) = webhook_receiver.requests
    assert request.json()["event"] == "plan.returned"
    assert request.json()["data"]["comment"] == "Target belum terukur"


def test_a_deleted_webhook_gets_no_more_events(org, cycle, approved_chain, webhook_receiver, django_capture_on_commit_callbacks):
    hook = register_webhook(org.hr, webhook_receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    assert client_for(org.hr).delete(f"{API}/webhooks/{hook['id']}/").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        perform(plan, "approve", actor=org.kabid.user)
    assert webhook_receiver.events() == ["plan.submitted"]
    assert not Delivery.objects.filter(endpoint_id=hook["id"], notification__event="plan.approved").exists()


def test_a_deleted_webhook_gets_no_retries_of_earlier_events_and_they_show_failed(org, cycle, approved_chain, webhook_receiver):
    hook = register_webhook(org.hr, webhook_receiver.url)
    webhook_receiver.status = 500
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)
    with time_machine.travel(start, tick=False):
        plan = submitted_plan(org, cycle, approved_chain)
        notification = notice_to(org.kabid.user, "plan.submitted", plan)
        materialise_deliveries([notification.pk])
        delivery = notification.deliveries.get(endpoint_id=hook["id"])
        assert attempt(delivery.pk) == "retry"
    assert client_for(org.hr).delete(f"{API}/webhooks/{hook['id']}/").status_code == 204
    webhook_receiver.status = 200
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        deliveries_sweep()  # the retry falls due after HR deleted the webhook
    assert [r.json()["id"] for r in webhook_receiver.requests if r.json()["event"] == "plan.submitted"
            and r.json()["document"]["id"] == plan.pk] == [f"kinerja-{notification.pk}-{delivery.pk}"]  # the first try only
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
