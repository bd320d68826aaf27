"""GET /health/: the database, and where configured Redis and a Celery worker's heartbeat."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEARTBEAT_KEY = "kinerja:worker-heartbeat"
HEARTBEAT_MAX_AGE = datetime.timedelta(seconds=120)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as error:  # report, do not crash: this is what the probe is for
        return {"ok": False, "error": type(error).__name__}


def _redis() -> dict:
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def _worker() -> dict:
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    if not beat:
        return {"ok": False, "error": "no heartbeat yet"}
    age = timezone.now() - datetime.datetime.fromisoformat(beat)
    return {"ok": age <= HEARTBEAT_MAX_AGE, "last_heartbeat": beat, "age_seconds": round(age.total_seconds(), 1)}


@never_cache
@require_GET
def health(request):
    checks = {"database": _database()}
    if settings.REDIS_URL:  # Redis and a worker count only where they are configured
        checks["redis"] = _redis()
        checks["worker"] = _worker()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
