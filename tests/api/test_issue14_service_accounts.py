"""Service accounts with scoped tokens, and HR revoking a person's tokens (issue 14).

An integration gets a service account from HR: it holds HR's role over a unit of HR's scope,
cannot sign in with a password, and acts only through tokens limited to ``read`` or
``webhooks``. HR revokes a person's tokens within its agency; HR of another agency gets 404."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, ServiceAccount
from accounts.tokens import token_issue
from org.models import Unit
from workflow.models import AuditEvent

from ..conftest import client_for
from ..factories import RoleAssignmentFactory, UserFactory
from .helpers import API

pytestmark = pytest.mark.django_db

ACCOUNTS = f"{API}/service-accounts/"
SCOPE_MESSAGE = "cakupan token"  # "This token's scope does not allow this request." in Indonesian


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_hr(org):
    """HR of the secretariat, another agency of the same government."""
    user = UserFactory(username="hr_setda")
    RoleAssignmentFactory(user=user, unit=Unit.objects.get(code="SETDA"))
    return user


def create(hr, unit, scopes, **extra):
    return client_for(hr).post(ACCOUNTS, {"name": "SIMPEG payroll", "unit": unit.pk, "scopes": scopes, **extra}, format="json")


def account_with(hr, unit, scopes) -> tuple[dict, str]:
    response = create(hr, unit, scopes)
    assert response.status_code == 201, response.content
    body = response.json()
    return body["account"], body["token"]["key"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# Creating one ------------------------------------------------------------------------------------


def test_hr_creates_a_service_account_and_sees_its_key_once(org):
    account, key = account_with(org.hr, org.agency, ["read"])
    assert account["scopes"] == ["read"] and account["unit"] == org.agency.pk
    assert account["username"].startswith("svc-")
    detail = client_for(org.hr).get(f"{ACCOUNTS}{account['id']}/").json()
    assert key not in str(detail)
    assert detail["tokens"] == [{"prefix": key[:8], "created_at": detail["tokens"][0]["created_at"],
                                 "expires_at": detail["tokens"][0]["expires_at"]}]
    assert with_token(key).get(f"{API}/me/").json()["roles"] == [{"role": "hr", "unit": org.agency.pk, "unit_name": "Badan"}]


def test_the_creation_is_audited_with_the_role_grant_and_the_token(org):
    account, _ = account_with(org.hr, org.agency, ["read", "webhooks"])
    service = ServiceAccount.objects.get(pk=account["id"])
    created = AuditEvent.objects.get(document_type="service_account", document_id=service.pk, action="create")
    assert created.actor_id == org.hr.pk and created.data["scopes"] == ["read", "webhooks"]
    grant = AuditEvent.objects.get(document_type="role_assignment", action="grant", document_id=service.user.org_roles.get().pk)
    assert grant.actor_id == org.hr.pk
    issued = AuditEvent.objects.get(document_type="api_token", action="issue", data__user=service.user_id)
    assert issued.actor_id == org.hr.pk and issued.data["kind"] == "service"


def test_only_hr_creates_service_accounts_and_is_told_so_before_its_input_is_read(org):
    response = client_for(org.employee.user).post(ACCOUNTS, {"scopes": "nonsense"}, format="json")
    assert response.status_code == 403
    assert client_for(org.employee.user).get(ACCOUNTS).status_code == 403
    assert not ServiceAccount.objects.exists()


def test_a_unit_outside_hr_scope_is_refused_like_a_unit_that_does_not_exist(org):
    outside = create(org.hr, Unit.objects.get(code="SETDA"), ["read"])
    missing = client_for(org.hr).post(ACCOUNTS, {"name": "x", "unit": 999999, "scopes": ["read"]}, format="json")
    assert outside.status_code == missing.status_code == 400
    assert outside.json()["errors"]["unit"] == missing.json()["errors"]["unit"]


@pytest.mark.parametrize("scopes", [[], ["full"], ["admin"], ["read", "write"], "read"])
def test_a_service_account_takes_only_the_narrow_scopes(org, scopes):
    response = create(org.hr, org.agency, scopes)
    assert response.status_code == 400 and "scopes" in response.json()["errors"]
    assert not ServiceAccount.objects.exists()


@pytest.mark.parametrize("days", [0, 366, -1])
def test_a_token_lives_between_one_day_and_the_maximum(org, days):
    response = create(org.hr, org.agency, ["read"], expires_in_days=days)
    assert response.status_code == 400 and "expires_in_days" in response.json()["errors"]


def test_a_service_token_expires_after_the_days_hr_gave_it(org):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = create(org.hr, org.agency, ["read"], expires_in_days=7)
        key = response.json()["token"]["key"]
    with time_machine.travel(start + datetime.timedelta(days=6, hours=23), tick=False):
        assert with_token(key).get(f"{API}/me/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(days=7, minutes=1), tick=False):
        assert with_token(key).get(f"{API}/me/").status_code == 401


def test_a_service_account_cannot_sign_in_with_a_password(org):
    account, _ = account_with(org.hr, org.agency, ["read"])
    for password in ["", "!", "secret-pass-123"]:
        response = APIClient().post(f"{API}/auth/token/", {"username": account["username"], "password": password or "x"}, format="json")
        assert response.status_code == 400


# What its scopes allow -----------------------------------------------------------------------------


def test_a_read_token_reads_what_hr_of_the_unit_reads(org, cycle):
    _, key = account_with(org.hr, org.agency, ["read"])
    response = with_token(key).get(f"{API}/cycles/{cycle.pk}/")
    assert response.status_code == 200 and response.json()["id"] == cycle.pk
    assert with_token(key).get(f"{API}/plans/?cycle={cycle.pk}").json()["count"] > 0


def test_a_read_token_changes_nothing(org, cycle):
    _, key = account_with(org.hr, org.agency, ["read"])
    client = with_token(key)
    for method, url in [("post", f"{API}/cycles/{cycle.pk}/close/"), ("post", f"{API}/webhooks/"), ("post", ACCOUNTS),
                        ("patch", f"{API}/me/preferences/")]:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code in (403, 404), (method, url, response.status_code)
    refused = client.post(f"{API}/webhooks/", {"url": "https://hooks.example.go.id/k"}, format="json")
    assert refused.status_code == 403 and SCOPE_MESSAGE in refused.json()["detail"]


def test_a_read_token_sees_nothing_of_another_agency(org, cycle, other_hr):
    _, key = account_with(other_hr, Unit.objects.get(code="SETDA"), ["read"])
    assert with_token(key).get(f"{API}/cycles/{cycle.pk}/").status_code == 404


def test_a_webhooks_token_reaches_the_webhooks_and_nothing_else(org, cycle):
    _, key = account_with(org.hr, org.agency, ["webhooks"])
    client = with_token(key)
    assert client.get(f"{API}/webhooks/").status_code == 200
    assert client.get(f"{API}/deliveries/").status_code == 200
    registered = client.post(f"{API}/webhooks/", {"url": "", "events": []}, format="json")
    assert registered.status_code == 400 and "url" in registered.json()["errors"]  # past the scope, to the service's checks
    assert client.get(f"{API}/cycles/{cycle.pk}/").status_code == 403
    assert client.get(f"{API}/me/").status_code == 403


def test_a_persons_sign_in_token_is_not_limited_by_scopes(org, cycle):
    key = token_issue(user=org.hr).key
    assert with_token(key).post(f"{API}/webhooks/", {"url": ""}, format="json").status_code == 400


# Managing one -------------------------------------------------------------------------------------


def test_hr_of_another_agency_gets_404_for_the_account_and_its_actions(org, other_hr):
    account, key = account_with(org.hr, org.agency, ["read"])
    stranger = client_for(other_hr)
    assert stranger.get(ACCOUNTS).json()["count"] == 0
    assert stranger.get(f"{ACCOUNTS}{account['id']}/").status_code == 404
    assert stranger.post(f"{ACCOUNTS}{account['id']}/tokens/", {}, format="json").status_code == 404
    assert stranger.post(f"{ACCOUNTS}{account['id']}/deactivate/", {}, format="json").status_code == 404
    assert with_token(key).get(f"{API}/me/").status_code == 200


def test_any_token_may_revoke_itself_whatever_its_scopes(org):
    _, key = account_with(org.hr, org.agency, ["read"])
    assert with_token(key).delete(f"{API}/auth/token/").status_code == 204
    assert with_token(key).get(f"{API}/me/").status_code == 401


def test_hr_issues_another_token_to_rotate_the_key(org):
    account, old = account_with(org.hr, org.agency, ["read"])
    response = client_for(org.hr).post(f"{ACCOUNTS}{account['id']}/tokens/", {"expires_in_days": 30}, format="json")
    assert response.status_code == 201
    new = response.json()["key"]
    assert new != old
    assert with_token(new).get(f"{API}/me/").status_code == 200
    assert ApiToken.objects.get(prefix=new[:8]).scope_set == {"read"}
    assert len(client_for(org.hr).get(f"{ACCOUNTS}{account['id']}/").json()["tokens"]) == 2


def test_deactivating_a_service_account_revokes_every_token(org):
    account, key = account_with(org.hr, org.agency, ["read"])
    response = client_for(org.hr).post(f"{ACCOUNTS}{account['id']}/deactivate/", {}, format="json")
    assert response.status_code == 200 and response.json()["deactivated_at"] and response.json()["tokens"] == []
    assert with_token(key).get(f"{API}/me/").status_code == 401
    assert ApiToken.objects.get().revoked_reason == "deactivated"
    again = client_for(org.hr).post(f"{ACCOUNTS}{account['id']}/tokens/", {}, format="json")
    assert again.status_code == 400


def test_hr_logging_out_leaves_the_service_accounts_tokens_alone(org):
    from django.test import Client

    _, key = account_with(org.hr, org.agency, ["read"])
    browser = Client()
    browser.force_login(org.hr)
    browser.post("/logout/")
    assert with_token(key).get(f"{API}/me/").status_code == 200


# HR revokes a person's tokens ---------------------------------------------------------------------


def revoke_url(user) -> str:
    return f"{API}/users/{user.pk}/revoke-tokens/"


def test_hr_revokes_every_token_of_an_employee_of_its_agency(org):
    keys = [token_issue(user=org.employee.user).key for _ in range(2)]
    response = client_for(org.hr).post(revoke_url(org.employee.user), format="json")
    assert response.status_code == 200 and response.json() == {"revoked": 2}
    assert [with_token(key).get(f"{API}/me/").status_code for key in keys] == [401, 401]
    events = AuditEvent.objects.filter(document_type="api_token", action="revoke")
    assert {event.actor_id for event in events} == {org.hr.pk} and {event.data["reason"] for event in events} == {"hr"}


def test_hr_of_another_agency_gets_404_and_the_tokens_stay(org, other_hr):
    key = token_issue(user=org.employee.user).key
    assert client_for(other_hr).post(revoke_url(org.employee.user), format="json").status_code == 404
    assert client_for(other_hr).post(f"{API}/users/999999/revoke-tokens/", format="json").status_code == 404
    assert with_token(key).get(f"{API}/me/").status_code == 200


def test_an_employee_may_not_revoke_anothers_tokens(org):
    key = token_issue(user=org.colleague.user).key
    assert client_for(org.employee.user).post(revoke_url(org.colleague.user), format="json").status_code == 403
    assert with_token(key).get(f"{API}/me/").status_code == 200


def test_hr_revokes_the_tokens_of_a_service_account_of_its_scope(org):
    account, key = account_with(org.hr, org.agency, ["read"])
    user = ServiceAccount.objects.get(pk=account["id"]).user
    assert client_for(org.hr).post(revoke_url(user), format="json").json() == {"revoked": 1}
    assert with_token(key).get(f"{API}/me/").status_code == 401
