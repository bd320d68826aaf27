"""Issue 14: the OpenAPI schema tells the truth (api/schema.py, api/cycle_progress.py, /me/).

What was false: every history endpoint was documented as a page of events and answers a plain
list; progress was documented as a cycle; /me/ named only its "id"; a rating or predicate not
given yet ("") was outside its documented choices; no error answer was documented at all.

The sweep below answers every GET of the schema, as each role, for a document of each kind that
the role sees, and checks each answer against the schema (Schemathesis' response validation).
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from processes.models import Assessment, Plan
from processes.services.objections import objection_file
from processes.services.reports import evidence_add, reports_open_month

from ..conftest import client_for, plan_of
from .helpers import agency_forum, issued_evaluation, public_link, upload
from .schema_client import connection_kept, headers, id_for, load_schema, session_of, visible_ids

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    """Generated once for the module (a second or two each time); reading it writes nothing."""
    with django_db_blocker.unblock(), connection_kept():
        return load_schema()


@pytest.fixture
def year(org, cycle, settings, tmp_path, django_capture_on_commit_callbacks):
    """A document of each kind: plans approved, January's reports (one with evidence), the annual
    result issued, an objection filed, a public feedback link."""
    settings.MEDIA_ROOT = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = issued_evaluation(org, cycle)
        reports_open_month(year=cycle.year, month=1)
        report = cycle.reports.get(employee=org.employee, month=1)
        evidence_add(report=report, actor=org.employee.user, upload=upload())
        assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
        objection_file(assessment=assessment, actor=org.employee.user, reasons="Capaian saya di atas target")
        public_link(org.hr, unit=org.division)
    return cycle


def documented(schema, method: str, path: str) -> dict:
    return schema.raw_schema["paths"][path][method]


def validate_every_get(schema, user) -> list[str]:
    """Every GET of the schema as ``user``: on a document the user sees where the path names one;
    the failures, as 'operation status: reason'."""
    cookies = session_of(user)
    known = visible_ids(cookies)
    checked, failures = 0, []
    with connection_kept():
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.method.upper() != "GET" or "{evidence_id}" in operation.path:
                continue
            path_parameters = id_for(operation, known) if "{" in operation.path else {}
            if path_parameters is None:
                continue
            response = operation.Case(path_parameters=path_parameters, cookies=cookies, headers=headers(), query={}).call()
            checked += 1
            try:
                operation.validate_response(response)
            except BaseException as error:  # noqa: BLE001 - Schemathesis raises a group of every violation
                reasons = [str(e).splitlines()[0:3] for e in getattr(error, "exceptions", [error])]
                failures.append(f"{operation.label} {response.status_code}: {reasons}")
    assert checked > 20
    return failures


# Real answers against the schema ---------------------------------------------------------------------


def test_every_get_answers_what_the_schema_says_to_hr(org, year, schema):
    assert validate_every_get(schema, org.hr) == []


def test_every_get_answers_what_the_schema_says_to_the_employee_and_the_rater(org, year, schema):
    assert validate_every_get(schema, org.employee.user) == []
    assert validate_every_get(schema, org.kabid.user) == []


def test_every_get_answers_what_the_schema_says_to_the_forum(org, year, schema):
    assert validate_every_get(schema, agency_forum(year)) == []


def test_error_answers_are_what_the_schema_documents(org, cycle, schema):
    plan = plan_of(cycle, org.employee)
    operations = schema["/api/v1/plans/{id}/approve/"]["POST"], schema["/api/v1/plans/"]["GET"]
    approve, listing = operations
    cases = [
        (listing, org.hr, {}, {"status": "bogus"}, 400),
        (schema["/api/v1/plans/{id}/"]["GET"], org.hr, {"id": 987654321}, {}, 404),
        (approve, org.kabid.user, {"id": plan.pk}, {}, 409),  # a draft cannot be approved
        (schema["/api/v1/deliveries/"]["GET"], org.employee.user, {}, {}, 403),
    ]
    for operation, user, path, query, status in cases:
        cookies = session_of(user)
        with connection_kept():
            response = operation.Case(path_parameters=path, query=query, cookies=cookies, headers=headers()).call()
            assert response.status_code == status, (operation.label, response.text)
            operation.validate_response(response)
    assert Plan.objects.get(pk=plan.pk).status == "draft"


# What the schema says -----------------------------------------------------------------------------------


def test_every_operation_documents_its_error_answers(schema):
    for path, methods in schema.raw_schema["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            bad = responses["400"]["content"]["application/json"]["schema"]
            assert bad == {"$ref": "#/components/schemas/BadRequest"}, (method, path)
            assert "503" in responses and "Retry-After" in responses["503"]["headers"]
            if "{id}" in path:
                assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}
            if method != "get" and path != "/api/v1/auth/token/":
                assert responses["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ConflictError"}
                assert "403" in responses, (method, path)
    errors = schema.raw_schema["components"]["schemas"]["BadRequest"]
    assert errors["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_the_anonymous_token_endpoint_documents_no_permission_error_but_its_throttle(schema):
    responses = documented(schema, "post", "/api/v1/auth/token/")["responses"]
    assert {"400", "429", "503"} <= set(responses) and not {"401", "403", "409"} & set(responses)


def test_every_history_is_a_plain_list_of_audit_events_without_filters(schema):
    histories = [path for path in schema.raw_schema["paths"] if path.endswith("/history/")]
    assert len(histories) >= 7
    for path in histories:
        operation = documented(schema, "get", path)
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
            "type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}}
        assert [p["name"] for p in operation.get("parameters", [])] == ["id"]


def test_progress_documents_its_counts(schema):
    response = documented(schema, "get", "/api/v1/cycles/{id}/progress/")["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CycleProgress"}
    progress = schema.raw_schema["components"]["schemas"]["CycleProgress"]
    assert {"cycle", "status", "opening", "documents", "overdue_tasks", "public_feedback", "as_of", "stale"} <= set(progress["required"])


def test_me_documents_every_field_it_answers(org, schema):
    me = schema.raw_schema["components"]["schemas"]["Me"]
    answered = client_for(org.employee.user).get("/api/v1/me/").json()
    assert set(me["properties"]) == set(answered)
    employee = schema.raw_schema["components"]["schemas"]["MeEmployee"]
    assert set(employee["properties"]) == set(answered["employee"])


def test_a_rating_or_predicate_not_given_yet_is_a_documented_value(schema):
    assessment = schema.raw_schema["components"]["schemas"]["Assessment"]["properties"]
    for field in ("predicate", "rated_predicate", "results_rating", "behaviour_rating", "changed_by"):
        choices = [ref["$ref"] for ref in assessment[field].get("oneOf", [])]
        assert "#/components/schemas/BlankEnum" in choices, field


def test_the_schema_is_served_to_anyone_as_valid_openapi():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.") and datetime.date.today()
