"""Idempotency-Key on every write of the API (api/idempotent.py): a retry replays the first
answer and changes nothing twice, whatever the endpoint."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.views import APIView

from api.accounts import TokenView
from api.idempotent import IdempotentWrites
from notifications.models import WebhookEndpoint
from org.models import Delegation
from processes.models import Evidence, MonthlyReport, UnitReview
from workflow.models import AuditEvent, IdempotencyRecord

from ..conftest import client_for, plan_of
from ..lifecycle import approve_all_plans, start_evaluation
from .helpers import API, at, open_reports, report_url, review_url
from .routes import api_routes

pytestmark = pytest.mark.django_db

# Anonymous: no user owns a key there (see api/idempotent.py).
NOT_IDEMPOTENT = {TokenView}


def send(user, method: str, url: str, body=None, *, key: str):
    return getattr(client_for(user), method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def twice(user, method: str, url: str, body=None, *, key: str = "retry-1"):
    """The same request sent twice with the same key, as a client retrying after a lost answer."""
    return send(user, method, url, body, key=key), send(user, method, url, body, key=key)


def events_of(document) -> int:
    return AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk).count()


# Every write route -----------------------------------------------------------------------------


def test_every_write_route_of_the_api_goes_through_the_idempotency_mechanism():
    write_routes = [route for route in api_routes() if route.write_methods]
    assert len(write_routes) > 20, "the URL walk found the API's write routes"
    missing = [
        f"{route.pattern} {route.view.__name__} {route.write_methods}"
        for route in write_routes
        if route.view not in NOT_IDEMPOTENT
        # before APIView in the MRO, or its initial() would never run
        and not (issubclass(route.view, IdempotentWrites)
                 and route.view.__mro__.index(IdempotentWrites) < route.view.__mro__.index(APIView))
    ]
    assert missing == []


def test_the_token_login_is_the_only_write_left_out_and_still_answers_with_a_key(api, org):
    assert {route.view for route in api_routes() if route.write_methods} - NOT_IDEMPOTENT
    body = {"username": "employee", "password": "secret-pass-123"}
    first = api.post(f"{API}/auth/token/", body, format="json", HTTP_IDEMPOTENCY_KEY="login")
    again = api.post(f"{API}/auth/token/", body, format="json", HTTP_IDEMPOTENCY_KEY="login")
    assert first.status_code == again.status_code == 200
    assert not IdempotencyRecord.objects.exists()


# Samples of the writes beyond plain transitions ------------------------------------------------


def test_setting_the_unit_predicate_twice_with_one_key_answers_once_and_audits_once(org, cycle):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    review = UnitReview.objects.get(evaluation=evaluation, unit=org.division)
    before = events_of(review)
    first, again = twice(org.kepala.user, "post", review_url(review, "set_unit_predicate"), {"unit_predicate": "good"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["unit_predicate"] == "good"
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert events_of(review) == before + 1


def test_starting_a_report_twice_with_one_key_starts_one_and_replays_the_created_answer(org, cycle):
    approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    with at(2, 3):
        first, again = twice(org.employee.user, "post", f"{API}/reports/", {"plan": plan.pk, "month": 1})
    assert (first.status_code, again.status_code) == (201, 201)  # without the key the second is a 200
    assert again.json() == first.json()
    assert MonthlyReport.objects.filter(plan=plan, month=1).count() == 1


def test_adding_a_link_as_evidence_twice_with_one_key_adds_one(org, cycle):
    report = open_reports(cycle)[org.employee.pk]
    url = report_url(report, "evidence")
    first, again = twice(org.employee.user, "post", url, {"url": "https://drive.example.go.id/bukti/1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert report.evidence.count() == 1


def test_deleting_evidence_twice_with_one_key_replays_the_deletion_instead_of_a_404(org, cycle):
    report = open_reports(cycle)[org.employee.pk]
    link = client_for(org.employee.user).post(report_url(report, "evidence"), {"url": "https://x.example/1"}, format="json")
    before = events_of(report)
    first, again = twice(org.employee.user, "delete", report_url(report, f"evidence/{link.json()['id']}"))
    assert first.status_code == again.status_code == 204
    assert not Evidence.objects.filter(report=report).exists()
    assert events_of(report) == before + 1


def leave(org, **changes) -> dict:
    today = timezone.localdate()
    return {"delegate": org.colleague.pk, "start": today.isoformat(), "end": (today + datetime.timedelta(days=7)).isoformat(),
            "reason": "Cuti tahunan"} | changes


def test_creating_a_delegation_twice_with_one_key_creates_one(org):
    first, again = twice(org.kabid.user, "post", f"{API}/delegations/", leave(org))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Delegation.objects.count() == 1
    assert AuditEvent.objects.filter(document_type="delegation", action="create").count() == 1


def test_a_refused_write_spends_no_key_so_the_corrected_retry_runs(org):
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    refused = send(org.kabid.user, "post", f"{API}/delegations/", leave(org, end=yesterday), key="leave-1")
    assert refused.status_code == 400 and not Delegation.objects.exists()
    assert not IdempotencyRecord.objects.filter(key="leave-1").exists()
    corrected = send(org.kabid.user, "post", f"{API}/delegations/", leave(org), key="leave-1")
    assert corrected.status_code == 201 and Delegation.objects.count() == 1


def test_registering_a_webhook_twice_with_one_key_registers_one_and_replays_its_secret(org):
    body = {"url": "https://hooks.example.go.id/kinerja", "events": []}
    first, again = twice(org.hr, "post", f"{API}/webhooks/", body)
    assert first.status_code == again.status_code == 201
    assert again.json()["secret"] == first.json()["secret"] == WebhookEndpoint.objects.get().secret


def test_the_same_key_on_another_endpoint_is_a_conflict_and_changes_nothing(org):
    send(org.hr, "post", f"{API}/webhooks/", {"url": "https://hooks.example.go.id/a", "events": []}, key="shared")
    response = send(org.hr, "patch", f"{API}/me/preferences/", {"email": False}, key="shared")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert client_for(org.hr).get(f"{API}/me/preferences/").json()["email"] is True


def test_a_key_longer_than_255_characters_is_a_400_and_changes_nothing(org):
    response = send(org.kabid.user, "post", f"{API}/delegations/", leave(org), key="k" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert not Delegation.objects.exists()
    assert send(org.kabid.user, "post", f"{API}/delegations/", leave(org), key="k" * 255).status_code == 201
