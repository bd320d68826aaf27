"""Refuse a request whose address, query string or stored header holds text the database cannot store.

A NUL in ``?q=`` or in a filter's value reached PostgreSQL (``icontains``, a CharFilter) as a
500; so would any parameter a view passes on. One check here, before any view, covers the API's
filters and the pages' searches alike: a 400 that names the parameter (JSON in the API's error
shape, ``{"errors": {name: [message]}}``; plain text for the pages). The rule of what may not be
stored is the services' (``processes.services.checks.text_problem``); request bodies are checked
by the API's parsers (api/parsers.py) and the services.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _

from processes.services.checks import text_problem

API_PREFIX = "/api/"
# Headers whose value is stored as sent (the key's record, workflow/idempotency.py); the user
# agent is cleaned where it is stored (config/request_origin.py).
STORED_HEADERS = ("Idempotency-Key",)


def query_errors(request) -> dict[str, list[str]]:
    """The parameters (and the path, and the headers kept as sent) whose text may not be stored, with why."""
    errors: dict[str, list[str]] = {}
    if problem := text_problem(request.path):
        errors["path"] = [problem]
    for header in STORED_HEADERS:
        if problem := text_problem(request.headers.get(header, "")):
            errors[header] = [problem]
    for name, values in request.GET.lists():
        if problem := text_problem(name):
            errors.setdefault("non_field_errors", []).append(_("A parameter's name: %(problem)s") % {"problem": problem})
            continue
        for value in values:
            if problem := text_problem(value):
                errors.setdefault(name, []).append(problem)
    return errors


class QueryStringGuardMiddleware:
    """After LocaleMiddleware, so that the refusal is in the user's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = query_errors(request)
        if not errors:
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return HttpResponse(json.dumps({"errors": errors}), status=400, content_type="application/json")
        lines = [f"{name}: {message}" for name, messages in errors.items() for message in messages]
        return HttpResponse("\n".join([_("Bad request."), *lines]), status=400, content_type="text/plain; charset=utf-8")
