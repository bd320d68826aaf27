"""Delivery under faults: a database error in a delivery task is retried by Celery with a short
backoff (never lost, never left for the minutes-long sweep), and a slow or failing webhook
endpoint backs off on its own (per-endpoint timeout and circuit) without holding the others."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import InterfaceError, OperationalError

from notifications import delivery as delivery_module
from notifications import tasks as tasks_module
from notifications.delivery import attempt
from notifications.models import WebhookEndpoint
from notifications.services import materialise_deliveries, notify_bulk, webhook_check
from notifications.tasks import deliver_many, deliver_webhook, dispatch_notifications
from workflow.flows import Notice

from ..api.helpers import JAKARTA, document_link, mails_to, notice_to, register_webhook, submitted_plan

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)
SECONDS = datetime.timedelta(seconds=1)


def failing_once(monkeypatch, module, name, error):
    """Make ``module.name`` raise ``error`` on its first call only (PostgreSQL restarting), and
    record every call."""
    real, calls = getattr(module, name), []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def retry_countdowns(monkeypatch, task) -> list[float]:
    """The countdown of every retry the task asks Celery for (the task still retries)."""
    countdowns, real = [], task.retry

    def spy(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return real(*args, **kwargs)

    monkeypatch.setattr(task, "retry", spy)
    return countdowns


# Database errors ---------------------------------------------------------------------------------


def test_a_database_error_while_dispatching_is_retried_with_a_short_backoff_and_the_email_still_goes(
    org, cycle, approved_chain, monkeypatch
):
    plan = submitted_plan(org, cycle, approved_chain)
    notification = notice_to(org.kabid.user, "plan.submitted", plan)
    mail.outbox.clear()
    calls = failing_once(monkeypatch, tasks_module, "materialise_deliveries",
                         OperationalError("server closed the connection unexpectedly"))
    countdowns = retry_countdowns(monkeypatch, dispatch_notifications)
    dispatch_notifications.apply(args=[[notification.pk]]).get()
    assert len(calls) == 2  # the failed run and its retry
    assert len(countdowns) == 1 and 0 <= countdowns[0] <= 2  # seconds, not the sweep's minutes
    assert len(mails_to(org.kabid.user, containing=document_link(plan))) == 1
    assert notification.deliveries.get().status == "sent"


def test_an_interface_error_while_retrying_deliveries_is_retried_and_the_email_still_goes(org, cycle, approved_chain, monkeypatch):
    plan = submitted_plan(org, cycle, approved_chain)
    notification = notice_to(org.kabid.user, "plan.submitted", plan)
    (email_id,) = materialise_deliveries([notification.pk])
    mail.outbox.clear()
    calls = failing_once(monkeypatch, tasks_module, "attempt_many", InterfaceError("connection already closed"))
    deliver_many.apply(args=[[email_id]]).get()
    assert len(calls) == 2
    assert len(mails_to(org.kabid.user)) == 1


def test_delivery_tasks_back_off_database_errors_up_to_a_minute(settings):
    for task in (dispatch_notifications, deliver_many, deliver_webhook):
        assert {OperationalError, InterfaceError} <= set(task.autoretry_for)
        assert task.retry_backoff and task.retry_backoff_max <= 60 and task.max_retries >= 10


# Webhooks: per endpoint ---------------------------------------------------------------------------


def test_a_webhook_is_sent_with_its_endpoints_own_timeout(org, cycle, approved_chain, webhook_receiver, monkeypatch):
    hook = register_webhook(org.hr, webhook_receiver.url, ["plan.submitted"])
    WebhookEndpoint.objects.filter(pk=hook["id"]).update(timeout_seconds=3)
    timeouts, real = [], delivery_module.open_guarded

    def urlopen(request, timeout):
        timeouts.append(timeout)
        return real(request, timeout=timeout)

    monkeypatch.setattr(delivery_module, "open_guarded", urlopen)
    plan = submitted_plan(org, cycle, approved_chain)
    notification = notice_to(org.kabid.user, "plan.submitted", plan)
    materialise_deliveries([notification.pk])
    assert attempt(notification.deliveries.get(endpoint_id=hook["id"]).pk) == "sent"
    assert timeouts == [3]


@pytest.mark.parametrize("timeout, accepted", [(5, True), (1, True), (10, True), (0, False), (11, False), ("x", False)])
def test_an_endpoints_timeout_is_between_one_and_ten_seconds(timeout, accepted):
    from django.core.exceptions import ValidationError

    if accepted:
        assert webhook_check(url="https://example.org/hook", events=[], timeout_seconds=timeout)[2] == timeout
    else:
        with pytest.raises(ValidationError) as refused:
            webhook_check(url="https://example.org/hook", events=[], timeout_seconds=timeout)
        assert "timeout_seconds" in refused.value.message_dict


def test_a_new_endpoint_waits_five_seconds_at_most():
    assert WebhookEndpoint().timeout_seconds == 5


def test_after_three_failures_in_a_row_an_endpoints_deliveries_wait_without_calling_it(
    org, cycle, approved_chain, webhook_receiver, settings
):
    settings.KINERJA_WEBHOOK_BREAKER_THRESHOLD = 3
    settings.KINERJA_DELIVERY_BACKOFF_BASE = 30
    hook = register_webhook(org.hr, webhook_receiver.url)
    webhook_receiver.status = 500
    with time_machine.travel(T0, tick=False):
        notifications = notify_bulk((Notice(org.kabid.user.pk, "task.reminder", {"document": f"SKP {n}"}), "", None)
                                    for n in range(4))
        materialise_deliveries([n.pk for n in notifications])
        deliveries = [n.deliveries.get(endpoint_id=hook["id"]) for n in notifications]
        outcomes = [attempt(d.pk) for d in deliveries[:4]]
    assert outcomes == ["retry", "retry", "retry", "deferred"]
    assert len(webhook_receiver.requests) == 3  # the fourth did not wait on a failing endpoint
    endpoint = WebhookEndpoint.objects.get(pk=hook["id"])
    assert endpoint.consecutive_failures == 3 and endpoint.retry_after == T0 + 30 * SECONDS
    deferred = deliveries[3]
    deferred.refresh_from_db()
    assert (deferred.status, deferred.attempts, deferred.next_attempt_at) == ("pending", 0, endpoint.retry_after)

    webhook_receiver.status = 200
    with time_machine.travel(T0 + 31 * SECONDS, tick=False):
        assert attempt(deferred.pk) == "sent"  # the probe after the wait: the endpoint is back
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.retry_after) == (0, None)


def test_a_failing_endpoint_does_not_hold_the_deliveries_of_another(org, cycle, approved_chain, webhook_receiver, settings):
    settings.KINERJA_WEBHOOK_BREAKER_THRESHOLD = 1
    failing = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/unreachable", secret="s", timeout_seconds=1)
    healthy = register_webhook(org.hr, webhook_receiver.url)
    plan = submitted_plan(org, cycle, approved_chain)
    notification = notice_to(org.kabid.user, "plan.submitted", plan)
    from notifications.services import forget_endpoints

    forget_endpoints()
    materialise_deliveries([notification.pk])
    assert attempt(notification.deliveries.get(endpoint=failing).pk) == "retry"
    assert attempt(notification.deliveries.get(endpoint_id=healthy["id"]).pk) == "sent"

