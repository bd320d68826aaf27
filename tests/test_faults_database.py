"""Database faults answered cleanly: an unreachable database is a 503 with Retry-After (JSON for
the API, a small page for the pages), a connection a database restart closed is replaced before
the next request uses it, and an action whose answer can no longer be read after its commit
still answers 200 with the engine's copy (which an Idempotency-Key replays)."""

from __future__ import annotations

from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from api.plans import PlanViewSet
from processes.models import Plan
from workflow.models import AuditEvent

from .api.helpers import API, plan_url
from .conftest import client_for, fill_plan, plan_of
from .worker.conftest import _require


def database_down():
    """Every new use of a connection fails as it does while the server is down or restarting."""
    return mock.patch.object(BaseDatabaseWrapper, "ensure_connection",
                             side_effect=OperationalError("connection to server at 127.0.0.1 failed: Connection refused"))


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).key}")
    return client


@pytest.mark.django_db
def test_the_api_answers_503_json_with_retry_after_while_the_database_is_down(org):
    client = token_client(org.employee.user)
    with database_down():
        response = client.get(f"{API}/tasks/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"} and "basis data" in response.json()["detail"].lower()
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_an_api_write_while_the_database_is_down_is_a_503_too(org, cycle):
    plan = plan_of(cycle, org.employee)
    client = token_client(org.employee.user)
    with database_down():
        response = client.post(plan_url(plan, "submit"), {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    assert response.status_code == 503 and "Retry-After" in response
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT


@pytest.mark.django_db
def test_a_page_answers_a_small_503_page_in_indonesian_while_the_database_is_down(org):
    client = Client()
    client.force_login(org.employee.user)
    with database_down():
        response = client.get("/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Tidak tersedia sementara" in page and "Basis data" in page
    assert int(response["Retry-After"]) > 0


def test_pooled_connections_are_health_checked_before_a_request_uses_them():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_connection_closed_by_a_database_restart_is_replaced_before_the_next_request(org):
    if connection.vendor != "postgresql":
        _require("needs PostgreSQL (DATABASE_URL): the test ends the server side of the connection")
    client = token_client(org.employee.user)
    close_old_connections()  # what each request starts with in a real server (the test client skips it)
    assert client.get(f"{API}/me/").status_code == 200
    old_backend = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                         password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [old_backend])  # as a restart does to every connection

    close_old_connections()
    response = client.get(f"{API}/me/")

    assert response.status_code == 200 and response.json()["username"] == org.employee.user.username
    assert connection.connection.info.backend_pid != old_backend


@pytest.fixture
def submittable_plan(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    return plan


def read_after_commit_fails():
    return mock.patch.object(PlanViewSet, "document_after_action", side_effect=OperationalError("server closed the connection"))


@pytest.mark.django_db
def test_an_action_whose_answer_cannot_be_read_after_its_commit_still_answers_200(org, submittable_plan):
    with read_after_commit_fails():
        response = client_for(org.employee.user).post(plan_url(submittable_plan, "submit"), {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["partial"]) == (submittable_plan.pk, "submitted", True)
    submittable_plan.refresh_from_db()
    assert submittable_plan.status == Plan.Status.SUBMITTED and body["version"] == submittable_plan.version


@pytest.mark.django_db
def test_a_retry_with_the_same_idempotency_key_replays_the_answer_given_after_the_commit(org, submittable_plan):
    client = client_for(org.employee.user)
    with read_after_commit_fails():
        first = client.post(plan_url(submittable_plan, "submit"), {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-once")
    retry = client.post(plan_url(submittable_plan, "submit"), {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-once")
    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json() and retry.json()["status"] == "submitted"
    submits = AuditEvent.objects.filter(document_type=submittable_plan.document_type, document_id=submittable_plan.pk, action="submit")
    assert submits.count() == 1


class DatabaseDownInMiddleware:
    """A middleware that meets the unreachable database before any view runs (as the session or
    authentication middleware would)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("connection refused")


@pytest.mark.parametrize("path, json_answer", [("/api/v1/me/", True), ("/", False)])
def test_an_unreachable_database_met_outside_any_view_is_a_503_with_retry_after(db, settings, path, json_answer):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_faults_database.DatabaseDownInMiddleware"]
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 503 and response["Retry-After"]
    assert (response["Content-Type"] == "application/json") is json_answer


def test_any_other_error_outside_a_view_is_a_plain_500_that_reads_no_database(db, settings):
    class Broken:
        def __init__(self, get_response):
            pass

        def __call__(self, request):
            raise RuntimeError("a bug")

    with mock.patch("tests.test_faults_database.DatabaseDownInMiddleware", Broken):
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_faults_database.DatabaseDownInMiddleware"]
        response = Client(raise_request_exception=False).get("/api/v1/me/")
    assert response.status_code == 500 and response.json()["detail"]
