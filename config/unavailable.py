"""The 503 answer: JSON ``{"detail"}`` under /api/, a small page elsewhere, with ``Retry-After``.

Given when the database is unreachable and when a request waited too long in the queue
(config/middleware.py). Rendered without the request's context processors, which read the
database, and without the site's base template, for the same reason.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# A lost connection, a refused one, a server shutting down, a lock or statement timeout: worth
# trying again in a moment. Errors in the request's own data (IntegrityError, DataError) are not.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable_message() -> str:
    return _("The database is unavailable for a moment. Please try again shortly.")


def overloaded_message() -> str:
    return _("The server is busy. Please try again shortly.")


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def unavailable_response(request, message: str, *, retry_after: int = RETRY_AFTER_SECONDS) -> HttpResponse:
    if is_api(request):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request) -> HttpResponse:
    """Django's ``handler500``: an unreachable database met outside any view (a middleware
    loading the session or the user) still answers 503 with Retry-After; anything else is a
    plain 500, as JSON under /api/ (no template that reads the database either way)."""
    import sys

    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        return unavailable_response(request, database_unavailable_message())
    message = _("Something went wrong on our side; it has been logged. Please try again.")
    if is_api(request):
        return JsonResponse({"detail": message}, status=500)
    return HttpResponse(render_to_string("503.html", {"message": message}), status=500)
