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
