"""GET /health/: the database, and where configured Redis and a Celery worker's heartbeat.

The heartbeat is written by a thread in every worker (config/celery_app.py), not by a task: a
task waits behind the queue's backlog (a slow webhook receiver), and a live worker then looked
gone. The queues each worker consumes are listed with the age of their last beat."""

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
    now = timezone.now()
    age = now - datetime.datetime.fromisoformat(beat)
    status = {"ok": age <= HEARTBEAT_MAX_AGE, "last_heartbeat": beat, "age_seconds": round(age.total_seconds(), 1)}
    queues = _queue_beats(now)
    if queues:
        status["queues"] = queues
    return status


def _queue_beats(now) -> dict:
    """{queue: seconds since a worker consuming it last beat} (informational)."""
    names = [queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", [])]
    try:
        beats = cache.get_many([f"{HEARTBEAT_KEY}:{name}" for name in names])
    except Exception:  # noqa: BLE001 - the overall beat above already answered
        return {}
    return {key.rsplit(":", 1)[1]: round((now - datetime.datetime.fromisoformat(value)).total_seconds(), 1)
            for key, value in beats.items() if value}


@never_cache
@require_GET
def health(request):
    checks = {"database": _database()}
    if settings.REDIS_URL:  # Redis and a worker count only where they are configured
        checks["redis"] = _redis()
        checks["worker"] = _worker()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
