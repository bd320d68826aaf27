"""Health probes, three of them, for three different questions:

- ``GET /health/live/``: the process answers (no I/O). A process that does not is restarted.
- ``GET /health/ready/``: the database answers. What a load balancer asks before it sends a web
  node requests: the web needs its database and nothing else to serve them.
- ``GET /health/``: for monitoring, the database, and where configured Redis, a Celery worker's
  heartbeat and the queues. A missing worker or Redis is a fault to look at, not a reason to take
  web nodes out of the load balancer (the web goes on without both: config/cache.py, the outbox),
  so only this probe reports them.

The first two are answered by ProbeMiddleware, first in MIDDLEWARE, before the host check, the
HTTPS redirect and the request deadline: a load balancer probes with a node's address as Host,
over plain HTTP, and must not be shed in a burst. Their answers hold nothing about the request.

The heartbeat is written by a thread in every worker (config/celery_app.py), not by a task: a
task waits behind the queue's backlog (a slow webhook receiver), and a live worker then looked
gone. The queues each worker consumes are listed with the age of their last beat.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

HEARTBEAT_KEY = "kinerja:worker-heartbeat"
HEARTBEAT_MAX_AGE = datetime.timedelta(seconds=120)
# kombu's Redis transport keeps a queue's prioritised messages in keys of their own (name + sep + step).
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


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


def _backlog() -> dict | None:
    """{queue: messages waiting} on a Redis broker (informational: a growing backlog is the sign
    of too few workers for a queue), or None where the broker is not Redis or does not answer."""
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not broker.startswith(("redis://", "rediss://")):
        return None
    import redis

    names = [queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", [])]
    try:
        client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1)
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                for key in (name, *(f"{name}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)):
                    pipe.llen(key)
            lengths = pipe.execute()
    except Exception:  # noqa: BLE001 - the redis check reports the outage
        return None
    per_queue = len(_PRIORITY_STEPS) + 1
    return {name: sum(lengths[i * per_queue:(i + 1) * per_queue]) for i, name in enumerate(names)}


@never_cache
@require_GET
def health(request):
    """For monitoring: 503 when any configured part is unwell (not for load balancers: /health/ready/)."""
    checks = {"database": _database()}
    if settings.REDIS_URL:  # Redis and a worker count only where they are configured
        checks["redis"] = _redis()
        checks["worker"] = _worker()
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    if settings.REDIS_URL and (backlog := _backlog()) is not None:
        body["backlog"] = backlog
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_safe
def live(request):
    """The process answers: nothing is read, so only a stuck or dead process fails it."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    """The database answers: 200, else 503 (the node is taken out until it does)."""
    database = _database()
    return JsonResponse({"status": "ok" if database["ok"] else "unavailable", "database": database},
                        status=200 if database["ok"] else 503)


PROBES = {"/health/live/": live, "/health/ready/": ready}


class ProbeMiddleware:
    """Answers the load balancers' probes before any other middleware (see the module's docstring);
    every other request passes through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        return self.get_response(request) if probe is None else probe(request)
