"""GET /health/: the database always; Redis and a worker's heartbeat where Redis is configured."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from notifications.tasks import worker_heartbeat
from web.health import HEARTBEAT_KEY

pytestmark = pytest.mark.django_db

UNUSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def heartbeat():
    """Write the worker's heartbeat as the worker_heartbeat task does (removed afterwards)."""
    def beat(age: datetime.timedelta) -> None:
        cache.set(HEARTBEAT_KEY, (timezone.now() - age).isoformat())

    yield beat
    cache.delete(HEARTBEAT_KEY)


def health() -> tuple[int, dict]:
    response = Client().get("/health/")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_on_the_embedded_defaults_health_checks_the_database_only(settings):
    settings.REDIS_URL = ""  # as `make run` has it (CI sets REDIS_URL for the suite)
    status, body = health()
    assert status == 200
    assert body == {"status": "ok", "database": {"ok": True}}


def test_health_is_never_cached():
    assert "no-cache" in Client().get("/health/")["Cache-Control"]


def test_health_answers_only_get():
    assert Client().post("/health/").status_code == 405


def test_an_unreachable_redis_makes_health_unavailable(settings):
    settings.REDIS_URL = UNUSED_REDIS
    status, body = health()
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": True}
    assert body["redis"]["ok"] is False and body["redis"]["error"]


def test_a_fresh_heartbeat_shows_the_worker_alive(settings, heartbeat):
    settings.REDIS_URL = UNUSED_REDIS
    heartbeat(datetime.timedelta(seconds=30))
    _status, body = health()
    assert body["worker"]["ok"] is True
    assert 29 <= body["worker"]["age_seconds"] <= 60


def test_a_heartbeat_ten_minutes_old_shows_the_worker_gone(settings, heartbeat):
    settings.REDIS_URL = UNUSED_REDIS
    heartbeat(datetime.timedelta(minutes=10))
    status, body = health()
    assert status == 503
    assert body["worker"]["ok"] is False
    assert body["worker"]["age_seconds"] >= 600


def test_without_any_heartbeat_the_worker_is_not_ok(settings):
    settings.REDIS_URL = UNUSED_REDIS
    cache.delete(HEARTBEAT_KEY)
    _status, body = health()
    assert body["worker"] == {"ok": False, "error": "no heartbeat yet"}


def test_the_worker_heartbeat_task_writes_what_health_reads(settings):
    settings.REDIS_URL = UNUSED_REDIS
    try:
        worker_heartbeat()
        assert health()[1]["worker"]["ok"] is True
    finally:
        cache.delete(HEARTBEAT_KEY)
