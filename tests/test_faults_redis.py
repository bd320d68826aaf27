"""Redis is optional for the web: while the cache's Redis is down, token login, an action and the
public form answer as usual (their throttles allow the request) and a warning is logged; once
Redis is back the throttles count again. A Redis server of the test's own is stopped mid-test."""

from __future__ import annotations

import logging
import shutil

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.test import APIClient

from api.throttling import ScopedRateThrottle
from processes.models import PublicFeedback

from .api.helpers import API, plan_url, public_link
from .conftest import fill_plan, plan_of
from .factories import UserFactory
from .worker.conftest import RedisServer, _require

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's


def redis_cache(url: str, down_seconds: float) -> dict:
    """The project's cache settings (config/settings/base.py) pointed at the test's Redis."""
    return {"default": {"BACKEND": "config.cache.DegradingRedisCache", "LOCATION": url,
                        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "DOWN_SECONDS": down_seconds}}}


@pytest.fixture
def redis(tmp_path):
    if not shutil.which("redis-server"):
        _require("needs a redis-server binary")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache_on(redis, monkeypatch):
    """The cache on the test's Redis; ``down_seconds`` 0: the cache tries Redis on every call.
    The login throttle allows 2 a minute (DRF reads its rates once, into the class)."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    with override_settings(CACHES=redis_cache(redis.url, 0)):
        cache.clear()
        yield redis


def token_login(username: str):
    return APIClient().post(f"{API}/auth/token/", {"username": username, "password": PASSWORD}, format="json")


def test_token_login_answers_while_redis_is_down_and_a_warning_is_logged(cache_on, caplog):
    user = UserFactory(username="pegawai")
    cache_on.stop()
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        responses = [token_login(user.username) for _ in range(3)]  # over the 2/min limit: nothing counts
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].json()["token"]
    assert any("unreachable" in record.getMessage() for record in caplog.records)


def test_the_login_throttle_counts_again_once_redis_is_back(cache_on):
    user = UserFactory(username="pegawai")
    cache_on.stop()
    assert token_login(user.username).status_code == 200
    cache_on.start()
    assert [token_login(user.username).status_code for _ in range(3)] == [200, 200, 429]


def test_an_action_answers_while_redis_is_down(cache_on, org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_login('employee').json()['token']}")
    cache_on.stop()
    response = client.post(plan_url(plan, "submit"), {"comment": "Mohon persetujuan"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"


def test_the_public_form_takes_a_rating_while_redis_is_down(cache_on, org, settings):
    settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS = "1/hour"
    link = public_link(org.hr, unit=org.division)
    cache_on.stop()
    statuses = [Client().post(f"/f/{link.token}/", {"rating": 5}, REMOTE_ADDR="203.0.113.7").status_code for _ in range(2)]
    assert statuses == [200, 200]
    assert PublicFeedback.objects.count() == 2


def test_a_redis_that_stays_down_is_tried_and_reported_once_per_period(redis, caplog):
    with override_settings(CACHES=redis_cache(redis.url, 60)):
        redis.stop()
        with caplog.at_level(logging.WARNING, logger="config.cache"):
            values = [cache.get("kinerja:any", "missing") for _ in range(20)]
            assert cache.add("kinerja:lock", 1) is False  # a lock that cannot be taken is not taken
            assert cache.incr("kinerja:count") == 1  # a throttle's count starts again
    assert values == ["missing"] * 20
    assert len([r for r in caplog.records if r.name == "config.cache"]) == 1
