"""Middleware that answers 503 instead of working or failing: a request that waited too long in
the queue, and a database that is unreachable."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from .unavailable import DATABASE_UNAVAILABLE, database_unavailable_message, overloaded_message, unavailable_response

logger = logging.getLogger(__name__)

# When the request entered the queue: a front proxy's `X-Request-Start: t=<epoch>` (nginx:
# `proxy_set_header X-Request-Start "t=${msec}";`), and gunicorn's own stamp where its worker
# holds the queue (config/queue_stamp.py, gthread workers).
PROXY_HEADER = "HTTP_X_REQUEST_START"
GUNICORN_HEADER = "HTTP_X_KINERJA_QUEUED_SINCE"


def epoch_seconds(value: str) -> float | None:
    """``t=1700000000.123`` (seconds, nginx's ``${msec}``), ``t=1700000000123`` (milliseconds) or
    ``t=1700000000123456`` (microseconds, Apache's ``%t``), with or without ``t=``; None if unreadable."""
    value = value.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number <= 0:  # NaN or nonsense
        return None
    if number > 1e14:
        return number / 1e6
    if number > 1e11:
        return number / 1e3
    return number


def queued_since(environ) -> float | None:
    """The earliest known time the request entered a queue (a client that sends the proxy's
    header itself can only make its own request look older, never younger than gunicorn's stamp)."""
    times = [epoch_seconds(environ[name]) for name in (PROXY_HEADER, GUNICORN_HEADER) if environ.get(name)]
    times = [t for t in times if t is not None]
    return min(times) if times else None


class RequestDeadlineMiddleware:
    """Refuses, before any work, a request that waited in the queue longer than
    ``KINERJA_REQUEST_DEADLINE_SECONDS``: its client has most likely given up, and working it
    would only make the requests behind it wait longer (an overloaded server then answers no one
    in time). 0 turns the check off. First in MIDDLEWARE: nothing reads the database before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        deadline = settings.KINERJA_REQUEST_DEADLINE_SECONDS
        since = queued_since(request.META) if deadline > 0 else None
        if since is not None:
            waited = time.time() - since
            if waited > deadline:
                logger.warning("shed %s %s: waited %.1fs in the queue (deadline %gs)", request.method, request.path, waited, deadline)
                return unavailable_response(request, overloaded_message(), retry_after=1)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 with Retry-After, not 500. The API's
    own views answer the same through api/errors.py (DRF handles their exceptions first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
            return unavailable_response(request, database_unavailable_message())
        return None
