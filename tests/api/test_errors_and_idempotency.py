"""Errors are JSON and never a 500 for bad input; Idempotency-Key replays the first answer."""

import pytest

from processes.models import Plan
from workflow.models import AuditEvent, IdempotencyRecord

from ..conftest import client_for, fill_plan, plan_of
from .helpers import API, plan_url, result_body, submitted_plan

pytestmark = pytest.mark.django_db


def safe_client(user):
    """A client that returns a 500 as a response instead of raising the server's exception."""
    client = client_for(user)
    client.raise_request_exception = False
    return client


def approve_events(plan) -> int:
    return AuditEvent.objects.filter(document_type="plan", document_id=plan.pk, action="approve").count()


# Idempotency -----------------------------------------------------------------------------------


def test_a_retried_approve_returns_the_first_answer_and_changes_nothing(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    version = plan.version
    client = client_for(org.kabid.user)
    first = client.post(plan_url(plan, "approve"), {"comment": "OK"}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    second = client.post(plan_url(plan, "approve"), {"comment": "OK"}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert approve_events(plan) == 1
    assert Plan.objects.get(pk=plan.pk).version == version + 1
    assert Plan.objects.get(pk=plan.pk).revision == 1


def test_without_a_key_a_repeated_approve_is_a_conflict(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client = client_for(org.kabid.user)
    assert client.post(plan_url(plan, "approve")).status_code == 200
    response = client.post(plan_url(plan, "approve"))
    assert response.status_code == 409 and response.json()["status"] == "approved"
    assert approve_events(plan) == 1


def test_the_same_key_on_another_path_is_a_conflict(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client = client_for(org.kabid.user)
    client.post(plan_url(plan, "approve"), HTTP_IDEMPOTENCY_KEY="shared-key")
    other = submitted_plan(org, cycle, approved_chain, employee=org.colleague)
    response = client.post(plan_url(other, "approve"), HTTP_IDEMPOTENCY_KEY="shared-key")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["detail"]
    assert Plan.objects.get(pk=other.pk).status == "submitted"


def test_a_refused_request_keeps_no_record_so_its_key_may_be_retried(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client = client_for(org.kabid.user)
    refused = client.post(plan_url(plan, "return"), HTTP_IDEMPOTENCY_KEY="return-1")
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="return-1").exists()
    retried = client.post(plan_url(plan, "return"), {"comment": "Perbaiki"}, format="json", HTTP_IDEMPOTENCY_KEY="return-1")
    assert retried.status_code == 200 and retried.json()["status"] == "returned"


def test_keys_belong_to_their_user(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client_for(org.kabid.user).post(plan_url(plan, "approve"), HTTP_IDEMPOTENCY_KEY="k")
    colleague_plan = plan_of(cycle, org.colleague)
    fill_plan(colleague_plan, supports=approved_chain["kabid_result"])
    response = client_for(org.colleague.user).post(plan_url(colleague_plan, "submit"), HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 200 and response.json()["status"] == "submitted"


# Errors ----------------------------------------------------------------------------------------


def test_malformed_json_is_a_json_400(org, cycle):
    plan = plan_of(cycle, org.employee)
    response = safe_client(org.employee.user).patch(plan_url(plan), "{results: [", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"results": "not a list"},
        {"results": [{"title": "t", "kind": "main", "supports": "abc", "indicators": []}]},
        {"results": [{"id": "x", "title": "t", "kind": "main", "indicators": []}]},
        {"results": [{"title": "t", "kind": "main", "indicators": [{"id": "x", "description": "d", "target": "1", "aspect": "time"}]}]},
        {"results": [{"title": "t", "kind": "main", "supports": 987654, "indicators": []}]},
        {"results": [{"title": "t", "kind": "main", "indicators": "none"}]},
        {"results": [["a list", "not an object"]]},
        {},
        [1, 2],
    ],
    ids=["results-str", "supports-str", "result-id-str", "indicator-id-str", "supports-unknown", "indicators-str",
         "result-list", "empty", "body-list"],
)
def test_a_bad_plan_body_is_a_400_with_errors(org, cycle, body):
    plan = plan_of(cycle, org.employee)
    response = safe_client(org.employee.user).patch(plan_url(plan), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Plan.objects.get(pk=plan.pk).version == plan.version


@pytest.mark.parametrize(
    "query", ["cycle=abc", "status=bogus", "employee=x", "unit=1.5.2"], ids=["cycle", "status", "employee", "unit"]
)
def test_a_bad_plan_filter_is_a_400_with_errors(org, cycle, query):
    response = safe_client(org.hr).get(f"{API}/plans/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/plans/abc/"),
        ("get", "/plans/999999/"),
        ("get", "/plans/99999999999999999999/"),
        ("post", "/plans/abc/submit/"),
        ("post", "/plans/999999/approve/"),
        ("get", "/plans/999999/history/"),
        ("get", "/cycles/abc/progress/"),
        ("post", "/cycles/999999/open/"),
        ("post", "/cycle-members/abc/correct_reporting_line/"),
        ("post", "/notifications/abc/read/"),
        ("post", "/notifications/999999/read/"),
    ],
)
def test_unknown_or_malformed_ids_are_a_json_404(org, cycle, method, path):
    response = getattr(safe_client(org.hr), method)(f"{API}{path}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_non_string_comment_is_a_400_on_comment(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    response = safe_client(org.kabid.user).post(plan_url(plan, "approve"), {"comment": {"a": 1}}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()["errors"]
    assert Plan.objects.get(pk=plan.pk).status == "submitted"


def test_a_correction_naming_an_unknown_or_malformed_rater_is_a_400(org, cycle):
    member = plan_of(cycle, org.employee).member
    client = safe_client(org.hr)
    for rater in ("abc", 987654, [1]):
        response = client.post(
            f"{API}/cycle-members/{member.pk}/correct_reporting_line/", {"rater": rater, "reason": "x"}, format="json"
        )
        assert response.status_code == 400, rater
        assert "rater" in response.json()["errors"]


def test_a_method_the_resource_does_not_offer_is_a_json_405(org, cycle):
    response = safe_client(org.employee.user).delete(plan_url(plan_of(cycle, org.employee)))
    assert response.status_code == 405
    assert response.json()["detail"]


def test_an_out_of_range_id_in_a_plan_filter_is_not_a_500(org, cycle):
    response = safe_client(org.hr).get(f"{API}/plans/?cycle=99999999999999999999")
    assert response.status_code in (200, 400)


def test_an_out_of_range_supports_id_is_a_400(org, cycle):
    body = {"results": [result_body(supports=99999999999999999999)]}
    response = safe_client(org.employee.user).patch(plan_url(plan_of(cycle, org.employee)), body, format="json")
    assert response.status_code == 400


def test_a_404_says_not_found_in_the_users_language_without_naming_the_model(org, cycle):
    from ..conftest import client_for

    client = client_for(org.employee.user)
    indonesian = client.get("/api/v1/plans/999999/", HTTP_ACCEPT_LANGUAGE="id")
    english = client.get("/api/v1/plans/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert indonesian.status_code == english.status_code == 404
    assert english.json() == {"detail": "Not found."}
    assert indonesian.json()["detail"] != "Not found." and "Plan" not in indonesian.json()["detail"]
