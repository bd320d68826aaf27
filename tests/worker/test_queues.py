"""Queues that isolate, through real workers (one per queue) and Redis: a webhook receiver that
sleeps 10 s holds only the webhooks worker; e-mails go out on time and /health/ stays green."""

from __future__ import annotations

import os
import time

import pytest
from django.test import Client

from notifications.models import Delivery, Notification, WebhookEndpoint
from notifications.services import forget_endpoints

from .conftest import sent_mails, wait_for
from .test_delivery_worker import submit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL): a worker cannot see SQLite's in-memory test database"),
]


@pytest.fixture
def shared_cache(redis_server, worker_env, settings):
    """This process and the workers share the test's Redis as their cache (the heartbeat)."""
    worker_env["REDIS_URL"] = redis_server.url
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}}


def test_a_receiver_that_sleeps_holds_neither_the_emails_nor_health(
    org, cycle, approved_chain, shared_cache, start_worker, receiver_factory, mailbox
):
    slow = receiver_factory(hold_first=10)
    endpoint = WebhookEndpoint.objects.create(url=slow.url, secret="s", events=["plan.submitted"], timeout_seconds=5)
    forget_endpoints()
    start_worker(["email"])
    start_worker(["webhooks"])

    started = time.monotonic()
    submit(org, cycle, approved_chain, org.employee)
    submit(org, cycle, approved_chain, org.colleague)
    wait_for(lambda: len(sent_mails(mailbox)) >= 2, timeout=15, what="both e-mails")
    assert time.monotonic() - started < 8  # on time, though the receiver holds its first webhook 10 s
    assert slow.first_arrived.wait(10)
    webhooks = Delivery.objects.filter(endpoint=endpoint)
    assert webhooks.filter(status=Delivery.Status.SENT).count() < 2  # the slow webhook is still on its way
    assert Notification.objects.filter(event="plan.submitted", recipient=org.kabid.user).count() == 2

    response = Client().get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert {"email", "webhooks"} <= set(body["worker"]["queues"])

    # The receiver answers again: the timed-out webhook is retried, and both arrive in the end.
    wait_for(lambda: webhooks.filter(status=Delivery.Status.SENT).count() == 1, timeout=20, what="the second webhook")
    timed_out = webhooks.exclude(status=Delivery.Status.SENT).get()
    assert timed_out.attempts == 1 and "timed out" in timed_out.last_error.lower()
