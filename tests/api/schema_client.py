"""Requests to the API as its OpenAPI schema describes it, through Schemathesis and the WSGI app,
signed in as a given user (tests/api/test_issue14_schemathesis.py, test_issue14_schema_truth.py).

Sessions, not tokens: the session cookie and a CSRF secret sent as cookie and header, as the
pages' own scripts do.
"""

from __future__ import annotations

from contextlib import contextmanager

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

SCHEMA_PATH = "/api/v1/schema/"
CSRF_SECRET = "fuzz" * 8  # a session's CSRF secret: the cookie and the header carry it alike
RESOURCES = ("assessments", "cycle-members", "cycles", "delegations", "deliveries", "feedback-requests", "notifications",
             "objections", "plans", "public-links", "reports", "unit-reviews", "units", "webhooks", "service-accounts")


def session_of(user) -> dict:
    """The cookies of a signed-in session of ``user``."""
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_SECRET}


def headers() -> dict:
    return {"X-CSRFToken": CSRF_SECRET, "Accept-Language": "en"}


def visible_ids(cookies: dict) -> dict[str, int]:
    """The id of the first document of each resource that the session's user sees, by the
    resource's path ("/api/v1/plans/"). Sent with Django's test client: call it before
    ``connection_kept``, which that client would undo."""
    client = Client()
    client.cookies.load(cookies)
    ids = {}
    for resource in RESOURCES:
        response = client.get(f"/api/v1/{resource}/")
        listed = response.json() if response.status_code == 200 else []
        results = listed.get("results", []) if isinstance(listed, dict) else listed  # some lists are not paged
        if results and "id" in results[0]:
            ids[f"/api/v1/{resource}/"] = results[0]["id"]
    return ids


def id_for(operation, known: dict[str, int]) -> dict | None:
    """Path parameters naming a visible document for a detail operation, if one is known."""
    prefix = next((path for path in known if operation.path.startswith(path + "{id}")), None)
    return None if prefix is None else {"id": known[prefix]}


@contextmanager
def connection_kept():
    """Requests through the bare WSGI handler would close the database connection when they
    finish, and with it the test's transaction (PostgreSQL): keep it open, as Django's test
    client does (which connects the handlers again after each of its own requests: send none
    with it in here)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def load_schema():
    """The schema as served, its operations called through the WSGI app (inside ``connection_kept``)."""
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler())
