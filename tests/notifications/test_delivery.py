"""Delivery of notifications by e-mail and webhook: after the commit, once, retried with capped
backoff, every attempt recorded, failed visibly; nothing lost when the broker is down."""

import datetime
import smtplib

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import delivery as delivery_module
from notifications.delivery import attempt, attempt_many, backoff, event_id
from notifications.models import Delivery, DeliveryAttempt
from notifications.services import deliveries_due, materialise_deliveries, notify_bulk, unhanded_notifications
from notifications.tasks import deliver_many, deliveries_sweep, dispatch_notifications
from notifications.webhooks import EVENT_ID_HEADER
from workflow.flows import Notice

from ..api.helpers import (
    API,
    JAKARTA,
    document_link,
    listed_deliveries,
    mails_to,
    notice_to,
    register_webhook,
    submitted_plan,
)
from ..conftest import client_for

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)
SECONDS = datetime.timedelta(seconds=1)


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def raters_notice(org, plan):
    return notice_to(org.kabid.user, "plan.submitted", plan)


def undelivered_submission(org, cycle, approved_chain):
    """The employee submits; the commit's hand-over is not run (the test plays the worker):
    the rater's notification and its deliveries exist, nothing is attempted yet."""
    plan = submitted_plan(org, cycle, approved_chain)
    notification = raters_notice(org, plan)
    materialise_deliveries([notification.pk])
    return plan, notification


# E-mail, once -----------------------------------------------------------------------------------


def test_the_rater_is_emailed_after_the_commit_with_a_link_to_the_plan(
    org, cycle, approved_chain, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
        assert mail.outbox == []  # nothing leaves inside the transaction
    (message,) = mails_to(org.kabid.user)
    assert message.subject.startswith("[Kinerja] ") and org.employee.name in message.subject
    assert document_link(plan) in message.body
    delivery = raters_notice(org, plan).deliveries.get()
    assert (delivery.channel, delivery.status, delivery.attempts, delivery.last_error) == ("email", "sent", 1, "")
    assert delivery.sent_at is not None
    assert list(delivery.attempt_log.values_list("succeeded", "error")) == [(True, "")]


def test_a_delivery_attempted_twice_sends_one_email_and_skips_the_second_time(org, cycle, approved_chain):
    plan, notification = undelivered_submission(org, cycle, approved_chain)
    email = notification.deliveries.get(channel="email")
    mail.outbox.clear()
    assert attempt(email.pk) == "sent"
    assert attempt(email.pk) == "skipped"  # the broker redelivered the task: already sent
    assert len(mails_to(org.kabid.user, containing=document_link(plan))) == 1
    email.refresh_from_db()
    assert email.attempts == 1 and email.attempt_log.count() == 1


def test_a_dispatch_task_delivered_twice_creates_and_sends_each_delivery_once(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    notification = raters_notice(org, plan)
    mail.outbox.clear()
    dispatch_notifications([notification.pk])
    dispatch_notifications([notification.pk])
    assert len(mails_to(org.kabid.user, containing=document_link(plan))) == 1
    assert notification.deliveries.count() == 1


def email_deliveries(org, count: int) -> list[int]:
    """``count`` notifications to the organisation's people, their e-mail deliveries created
    (as the worker does first), none sent yet."""
    users = [org.kabid.user, org.employee.user, org.colleague.user, org.other_kabid.user, org.other_employee.user]
    notifications = notify_bulk(
        (Notice(users[n % len(users)].pk, "task.reminder", {"document": f"SKP {n}"}), "", None) for n in range(count)
    )
    return materialise_deliveries([n.pk for n in notifications])


def test_the_emails_of_a_batch_go_over_one_connection_and_are_marked_together(org, monkeypatch):
    monkeypatch.setattr(delivery_module, "EMAIL_BATCH", 3)
    ids = email_deliveries(org, 7)
    opened = []
    real_get_connection = delivery_module.get_connection
    monkeypatch.setattr(delivery_module, "get_connection", lambda **kw: opened.append(kw) or real_get_connection(**kw))
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        results = attempt_many(ids)
    assert results == {pk: ("sent", 1) for pk in ids}
    assert len(mail.outbox) == 7 and len(opened) == 1  # one connection for the task's e-mails
    # Per batch of 3: SELECT ... FOR UPDATE, one UPDATE, one INSERT of the attempts (and the
    # test transaction's savepoint and its release), not a round of queries per e-mail.
    assert len(queries) == 3 * 5
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", "attempts")) == {("sent", 1)}
    assert DeliveryAttempt.objects.filter(delivery__in=ids, succeeded=True).count() == 7
    assert attempt_many(ids) == {}  # delivered twice: all skipped, nothing sent again
    assert len(mail.outbox) == 7


def test_an_email_refused_amid_a_batch_is_retried_alone_and_every_attempt_is_recorded(org, monkeypatch):
    ids = email_deliveries(org, 5)
    refused = org.colleague.user.email
    real_send = locmem.EmailBackend.send_messages

    def send_messages(self, messages):
        if refused in messages[0].to:
            raise smtplib.SMTPRecipientsRefused({refused: (550, b"no such mailbox")})
        return real_send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)
    mail.outbox.clear()
    with time_machine.travel(T0, tick=False):
        results = attempt_many(ids)
    deliveries = Delivery.objects.filter(pk__in=ids)
    failing = deliveries.get(notification__recipient=org.colleague.user)
    assert results[failing.pk] == ("retry", 1)
    assert (failing.status, failing.attempts, failing.next_attempt_at) == ("pending", 1, T0 + backoff(1))
    assert "SMTPRecipientsRefused" in failing.last_error
    assert set(deliveries.exclude(pk=failing.pk).values_list("status", "attempts")) == {("sent", 1)}
    assert len(mail.outbox) == 4  # the others went out, over a connection opened again
    assert list(failing.attempt_log.values_list("succeeded", flat=True)) == [False]
    assert DeliveryAttempt.objects.filter(delivery__in=ids).count() == 5


def test_materialising_deliveries_twice_creates_each_once(org, cycle, approved_chain, webhook_receiver):
    hook = register_webhook(org.hr, webhook_receiver.url)
    plan = submitted_plan(org, cycle, approved_chain)
    notification = raters_notice(org, plan)
    first = materialise_deliveries([notification.pk])
    second = materialise_deliveries([notification.pk])
    assert sorted(first) == sorted(second) and len(first) == 2
    assert sorted(notification.deliveries.values_list("channel", "endpoint_id")) == [
        ("email", None), ("webhook", hook["id"]),
    ]


# Retries, backoff, failure ----------------------------------------------------------------------


def test_backoff_doubles_from_the_base_up_to_the_cap(settings):
    settings.KINERJA_DELIVERY_BACKOFF_BASE = 30
    settings.KINERJA_DELIVERY_BACKOFF_CAP = 300
    assert [backoff(n).total_seconds() for n in range(1, 8)] == [30, 60, 120, 240, 300, 300, 300]


def test_a_webhook_answering_500_is_retried_after_the_backoff_then_marked_failed(
    org, cycle, approved_chain, webhook_receiver, settings
):
    settings.KINERJA_DELIVERY_MAX_ATTEMPTS = 2
    settings.KINERJA_DELIVERY_BACKOFF_BASE = 30
    hook = register_webhook(org.hr, webhook_receiver.url)
    webhook_receiver.status = 500
    with time_machine.travel(T0, tick=False):
        _plan, notification = undelivered_submission(org, cycle, approved_chain)
        delivery = notification.deliveries.get(endpoint_id=hook["id"])
        assert attempt(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, T0 + 30 * SECONDS)
    with time_machine.travel(T0 + 31 * SECONDS, tick=False):
        assert attempt(delivery.pk) == "failed"
    assert attempt(delivery.pk) == "skipped"  # failed is final: nothing more is sent
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "500" in delivery.last_error
    log = list(delivery.attempt_log.values_list("at", "succeeded"))
    assert log == [(T0, False), (T0 + 31 * SECONDS, False)]
    assert all("500" in error for error in delivery.attempt_log.values_list("error", flat=True))
    assert len(webhook_receiver.requests) == 2
    assert ("webhook", "failed") in listed_deliveries(org.kabid.user, notification)


def test_the_sweep_resends_a_delivery_once_its_retry_is_due(
    org, cycle, approved_chain, webhook_receiver, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.KINERJA_DELIVERY_BACKOFF_BASE = 30
    hook = register_webhook(org.hr, webhook_receiver.url, ["plan.submitted"])
    webhook_receiver.status = 500
    monkeypatch.setattr(deliver_many, "apply_async", broker_down)  # the retry cannot be queued
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    delivery = raters_notice(org, plan).deliveries.get(endpoint_id=hook["id"])
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    monkeypatch.undo()
    webhook_receiver.status = 200

    def received() -> list[str]:
        return [r.headers[EVENT_ID_HEADER] for r in webhook_receiver.requests if r.json()["id"] == event_id(delivery)]

    with time_machine.travel(T0 + 10 * SECONDS, tick=False):
        deliveries_sweep()  # the retry is not due yet
    assert len(received()) == 1
    with time_machine.travel(T0 + 31 * SECONDS, tick=False):
        deliveries_sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert received() == [event_id(delivery)] * 2  # the same event id: the receiver can tell a retry
    assert list(delivery.attempt_log.values_list("succeeded", flat=True)) == [False, True]


def test_a_pending_delivery_nobody_attempted_is_due_once_it_is_stale(org, cycle, approved_chain, settings):
    settings.KINERJA_DELIVERY_STALE_SECONDS = 900
    with time_machine.travel(T0, tick=False):
        _plan, notification = undelivered_submission(org, cycle, approved_chain)
    email = notification.deliveries.get(channel="email")
    assert email.pk not in deliveries_due(now=T0 + 14 * 60 * SECONDS)
    assert email.pk in deliveries_due(now=T0 + 16 * 60 * SECONDS)  # its worker died: the sweep takes it


# Nothing lost -----------------------------------------------------------------------------------


def test_the_hand_over_to_celery_waits_for_the_commit(org, cycle, approved_chain, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(dispatch_notifications, "delay", lambda ids: queued.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
        assert queued == []
    notification = raters_notice(org, plan)
    assert queued == [[notification.pk]]
    notification.refresh_from_db()
    assert notification.handed_over_at is None  # the request only publishes: the worker marks it


def test_the_worker_marks_the_hand_over_and_the_sweep_leaves_queued_notifications_alone(
    org, cycle, approved_chain, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.KINERJA_HANDOVER_GRACE_SECONDS = 300
    queued = []
    monkeypatch.setattr(dispatch_notifications, "delay", lambda ids: queued.append(list(ids)))
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            plan = submitted_plan(org, cycle, approved_chain)
    notification = raters_notice(org, plan)
    # Published and waiting in the queue: the sweep does not publish it again within the grace.
    assert notification.pk not in unhanded_notifications(now=T0 + 299 * SECONDS)
    assert notification.pk in unhanded_notifications(now=T0 + 301 * SECONDS)  # no worker took it

    with time_machine.travel(T0 + 10 * SECONDS, tick=False):
        dispatch_notifications.run(queued[0])  # the worker picks it up
    notification.refresh_from_db()
    assert notification.handed_over_at == T0 + 10 * SECONDS
    assert notification.pk not in unhanded_notifications(now=T0 + 3600 * SECONDS)
    with time_machine.travel(T0 + 20 * SECONDS, tick=False):
        dispatch_notifications.run(queued[0])  # delivered twice: marked once, sent once
    notification.refresh_from_db()
    assert notification.handed_over_at == T0 + 10 * SECONDS
    assert list(notification.deliveries.values_list("channel", "status", "attempts")) == [("email", "sent", 1)]


def test_with_the_broker_down_the_action_succeeds_and_the_sweep_delivers_later(
    org, cycle, approved_chain, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.KINERJA_HANDOVER_GRACE_SECONDS = 300
    monkeypatch.setattr(dispatch_notifications, "delay", broker_down)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    assert plan.status == "submitted"
    notification = raters_notice(org, plan)
    assert notification.handed_over_at is None and not notification.deliveries.exists()
    assert mails_to(org.kabid.user) == []

    monkeypatch.undo()  # the broker is back
    with time_machine.travel(timezone.now() + 60 * SECONDS):
        deliveries_sweep()  # within the grace period: it could still be in the queue
    notification.refresh_from_db()
    assert notification.handed_over_at is None and not notification.deliveries.exists()
    with time_machine.travel(timezone.now() + (settings.KINERJA_HANDOVER_GRACE_SECONDS + 60) * SECONDS):
        deliveries_sweep()
    notification.refresh_from_db()
    assert notification.handed_over_at is not None
    assert len(mails_to(org.kabid.user, containing=document_link(plan))) == 1
    assert list(notification.deliveries.values_list("channel", "status")) == [("email", "sent")]


# What the notification list shows ---------------------------------------------------------------


def test_the_notification_list_shows_the_delivery_of_each_channel(
    org, cycle, approved_chain, webhook_receiver, settings, django_capture_on_commit_callbacks
):
    settings.KINERJA_DELIVERY_MAX_ATTEMPTS = 1  # failed at the first refusal
    register_webhook(org.hr, webhook_receiver.url, ["plan.submitted"])
    webhook_receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        plan = submitted_plan(org, cycle, approved_chain)
    assert listed_deliveries(org.kabid.user, raters_notice(org, plan)) == [
        ("in_app", "sent"), ("email", "sent"), ("webhook", "failed"),
    ]
    # kabid's own approval (in the fixture) was never handed over: its e-mail is still pending.
    approved = notice_to(org.kabid.user, "plan.approved")
    materialise_deliveries([approved.pk])
    assert listed_deliveries(org.kabid.user, approved) == [("in_app", "sent"), ("email", "pending")]


def test_the_notification_list_costs_the_same_for_few_and_many(org, cycle, webhook_receiver, django_capture_on_commit_callbacks):
    register_webhook(org.hr, webhook_receiver.url)

    def notify(count: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            notify_bulk((Notice(org.kabid.user_id, "task.reminder", {"document": f"SKP {n}"}), "", None) for n in range(count))

    def measure() -> tuple[int, int]:
        client = client_for(get_user_model().objects.get(pk=org.kabid.user_id))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/notifications/", {"page_size": 100})
        assert response.status_code == 200
        assert all(len(n["deliveries"]) == 3 for n in response.json()["results"] if n["event"] == "task.reminder")
        return response.json()["count"], len(queries)

    notify(2)
    few_count, few_queries = measure()
    notify(20)
    many_count, many_queries = measure()
    assert many_count == few_count + 20
    assert many_queries == few_queries


def test_with_a_broker_the_sweep_leaves_a_retry_to_its_own_queued_task_until_it_is_overdue(
    org, cycle, approved_chain, settings
):
    """A retry queued with its countdown is its own task's: the sweep queuing it again the moment
    it is due would fill a busy queue with duplicates. Only a retry overdue by the hand-over grace
    (its task was lost) is the sweep's."""
    from celery import current_app

    settings.KINERJA_HANDOVER_GRACE_SECONDS = 300
    with time_machine.travel(T0, tick=False):
        _plan, notification = undelivered_submission(org, cycle, approved_chain)
    email = notification.deliveries.get(channel="email")
    Delivery.objects.filter(pk=email.pk).update(attempts=1, next_attempt_at=T0 + 30 * SECONDS)
    eager = current_app.conf.task_always_eager
    try:
        current_app.conf.task_always_eager = False
        assert email.pk not in deliveries_due(now=T0 + 31 * SECONDS)  # due: its queued task takes it
        assert email.pk in deliveries_due(now=T0 + (30 + 301) * SECONDS)  # overdue: that task was lost
    finally:
        current_app.conf.task_always_eager = eager
    assert email.pk in deliveries_due(now=T0 + 31 * SECONDS)  # in-process, the sweep is the retry
