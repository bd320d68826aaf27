"""The external services the suite runs on when they are configured (CI sets both)."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

pytestmark = pytest.mark.django_db


def test_ci_runs_the_suite_on_postgresql_and_redis():
    if not os.environ.get("KINERJA_REQUIRE_SERVICES"):
        pytest.skip("the embedded defaults (SQLite, no Redis); CI sets KINERJA_REQUIRE_SERVICES")
    assert connection.vendor == "postgresql"
    assert settings.REDIS_URL and "RedisCache" in settings.CACHES["default"]["BACKEND"]


def test_the_cache_round_trips_a_value():
    cache.set("kinerja-test-key", {"ok": 1}, 10)
    assert cache.get("kinerja-test-key") == {"ok": 1}
    cache.delete("kinerja-test-key")
    assert cache.get("kinerja-test-key") is None
