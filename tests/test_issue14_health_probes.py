"""Issue 14: three probes for three questions. /health/live/ (the process answers, no I/O) and
/health/ready/ (the database answers) are what load balancers use; a worker that has been away,
an unreachable Redis or the minutes after a deploy no longer take web nodes out. /health/ goes on
reporting the worker, Redis and the queues, for monitoring."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from web import health as health_module
from web.health import HEARTBEAT_KEY

pytestmark = pytest.mark.django_db

UNUSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down_and_no_worker(settings):
    """The state after a deploy with the worker not yet up, or with Redis down: no heartbeat."""
    settings.REDIS_URL = UNUSED_REDIS
    settings.CELERY_BROKER_URL = UNUSED_REDIS
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


@pytest.fixture
def database_down(monkeypatch):
    """The database refuses every query the probes make."""
    class Refusing:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health_module.connection, "cursor", lambda: Refusing())


def test_the_probes_have_their_own_addresses():
    assert (reverse("health-live"), reverse("health-ready"), reverse("health")) == ("/health/live/", "/health/ready/", "/health/")


def test_without_a_worker_or_redis_the_load_balancers_probes_stay_healthy(redis_down_and_no_worker):
    """The attack: one background fault took every web node out of the load balancer."""
    assert Client().get("/health/ready/").status_code == 200
    assert Client().get("/health/live/").status_code == 200


def test_monitoring_still_sees_the_missing_worker_and_redis(redis_down_and_no_worker):
    response = Client().get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["redis"]["ok"] is False and body["worker"] == {"ok": False, "error": "no heartbeat yet"}
    assert "backlog" not in body  # the broker does not answer: nothing made up


def test_a_worker_gone_for_ten_minutes_is_monitorings_business_only(settings):
    settings.REDIS_URL = UNUSED_REDIS
    cache.set(HEARTBEAT_KEY, (timezone.now() - datetime.timedelta(minutes=10)).isoformat())
    try:
        assert Client().get("/health/").status_code == 503
        assert Client().get("/health/ready/").status_code == 200
    finally:
        cache.delete(HEARTBEAT_KEY)


def test_ready_answers_the_database_state():
    response = Client().get("/health/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": {"ok": True}}


def test_ready_is_503_when_the_database_does_not_answer_and_live_is_not_asked(database_down):
    ready = Client().get("/health/ready/")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": {"ok": False, "error": "OperationalError"}}
    assert Client().get("/health/live/").status_code == 200  # a database outage is no reason to restart the process


def test_live_reads_nothing(django_assert_num_queries, settings):
    settings.REDIS_URL = UNUSED_REDIS  # were the cache or Redis asked, this would wait on port 1
    with django_assert_num_queries(0):
        response = Client().get("/health/live/")
    assert response.json() == {"status": "ok"}


def test_the_probes_answer_a_load_balancer_that_uses_a_nodes_address_as_host(settings):
    """A probe's Host is the node's address, which ALLOWED_HOSTS does not list: still answered."""
    settings.ALLOWED_HOSTS = ["kinerja.example.go.id"]
    for path in ("/health/live/", "/health/ready/"):
        assert Client().get(path, HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert Client().get("/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400  # the pages still check it


def test_the_probes_are_not_redirected_to_https_and_are_never_shed(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.KINERJA_REQUEST_DEADLINE_SECONDS = 1
    long_ago = f"t={timezone.now().timestamp() - 60:.3f}"
    for path in ("/health/live/", "/health/ready/"):
        assert Client().get(path, HTTP_X_REQUEST_START=long_ago).status_code == 200
    assert Client().get("/login/").status_code == 301  # a page over plain HTTP is redirected


def test_the_probes_answer_head_refuse_post_and_are_never_cached():
    for path in ("/health/live/", "/health/ready/"):
        assert Client().head(path).status_code == 200
        assert Client().post(path).status_code == 405
        assert "no-cache" in Client().get(path)["Cache-Control"]


def test_monitoring_lists_the_backlog_of_each_queue_on_a_redis_broker(settings, monkeypatch):
    settings.REDIS_URL = UNUSED_REDIS
    settings.CELERY_BROKER_URL = "redis://broker.example:6379/0"
    seen = []

    class Pipe:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def llen(self, key):
            seen.append(key)

        def execute(self):
            return [{"email": 7, "email\x06\x163": 2}.get(key, 0) for key in seen]

    class FakeRedis:
        def pipeline(self, transaction):
            return Pipe()

    monkeypatch.setattr("redis.Redis.from_url", lambda url, **kw: FakeRedis() if "broker" in url else _refuse())
    body = Client().get("/health/").json()
    assert body["backlog"]["email"] == 9  # the plain queue and its priority steps
    assert body["backlog"]["webhooks"] == 0
    assert set(body["backlog"]) == {"default", "email", "webhooks", "sweeps", "bulk"}


def _refuse():
    raise ConnectionError("down")
