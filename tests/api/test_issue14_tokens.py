"""API tokens end (issue 14): they expire, ``DELETE /api/v1/auth/token/`` revokes one, a password
change and a logout revoke them all; only a hash of each key is kept.

Before: DRF's authtoken, one key per user stored as is, valid for ever, through password changes
and logouts, with no way to revoke it."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_issue
from workflow.models import AuditEvent

from ..conftest import client_for
from .helpers import API

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's
TOKEN_URL = f"{API}/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def sign_in(username: str = "employee") -> dict:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def me(key: str):
    return with_token(key).get(f"{API}/me/")


# At rest -----------------------------------------------------------------------------------------


def test_the_database_keeps_a_hash_of_the_key_never_the_key(org):
    key = sign_in()["token"]
    token = ApiToken.objects.get(user=org.employee.user)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(key in value for value in stored)
    assert len(key) >= 40 and token.prefix == key[:8]


def test_issuing_a_token_is_audited_without_its_key(org):
    key = sign_in()["token"]
    event = AuditEvent.objects.get(document_type="api_token", action="issue")
    assert event.actor_id == org.employee.user.pk and event.origin["channel"] == "api"
    assert event.data["scopes"] == ["full"] and event.data["kind"] == "login"
    assert key not in str(event.data) and key[:8] not in str(event.data)


# Expiry ------------------------------------------------------------------------------------------


def test_a_sign_in_answers_the_expiry_twelve_hours_ahead_and_the_full_scope(org):
    before = timezone.now()
    body = sign_in()
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert datetime.timedelta(hours=12) <= expires - before <= datetime.timedelta(hours=12, minutes=1)
    assert body["scopes"] == ["full"]


def test_a_token_works_until_it_expires_and_is_refused_after(org):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = sign_in()["token"]
    with time_machine.travel(start + datetime.timedelta(hours=11, minutes=59), tick=False):
        assert me(key).status_code == 200
    with time_machine.travel(start + datetime.timedelta(hours=12, seconds=1), tick=False):
        refused = me(key)
    assert refused.status_code == 401
    assert "kedaluwarsa" in refused.json()["detail"]


def test_the_lifetime_is_the_kinerja_token_ttl_setting(org, settings):
    settings.KINERJA_TOKEN_TTL = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = sign_in()["token"]
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        assert me(key).status_code == 401


# Revocation by its holder -------------------------------------------------------------------------


def test_delete_revokes_the_callers_token_and_no_other(org):
    first, second = sign_in()["token"], sign_in()["token"]
    response = with_token(first).delete(TOKEN_URL)
    assert response.status_code == 204
    assert me(first).status_code == 401
    assert me(second).status_code == 200
    token = ApiToken.objects.get(revoked_at__isnull=False)
    assert token.revoked_reason == "owner"
    event = AuditEvent.objects.get(document_type="api_token", document_id=token.pk, action="revoke")
    assert event.data["reason"] == "owner" and event.actor_id == org.employee.user.pk


def test_delete_without_a_token_is_refused_and_revokes_nothing(org):
    sign_in()
    assert APIClient().delete(TOKEN_URL).status_code == 401
    session = APIClient()
    session.force_login(org.employee.user)
    assert session.delete(TOKEN_URL).status_code == 401  # a session has no token to revoke
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_delete_with_an_unknown_token_is_a_401(org):
    assert with_token("not-a-key").delete(TOKEN_URL).status_code == 401


def test_a_retried_delete_with_the_revoked_token_is_a_401_and_revokes_nothing_more(org):
    client = with_token(sign_in()["token"])
    first = client.delete(TOKEN_URL, HTTP_IDEMPOTENCY_KEY="logout-1")
    again = client.delete(TOKEN_URL, HTTP_IDEMPOTENCY_KEY="logout-1")
    assert first.status_code == 204 and again.status_code == 401  # the token no longer speaks for anyone
    assert AuditEvent.objects.filter(document_type="api_token", action="revoke").count() == 1


# Password change and logout -----------------------------------------------------------------------


def test_a_password_change_revokes_every_token_of_the_user(org):
    keys = [sign_in()["token"], sign_in()["token"]]
    other = sign_in("colleague")["token"]
    user = org.employee.user
    user.set_password("a-new-secret-456")
    user.save()
    assert [me(key).status_code for key in keys] == [401, 401]
    assert me(other).status_code == 200
    assert set(ApiToken.objects.filter(user=user).values_list("revoked_reason", flat=True)) == {"password_changed"}
    assert AuditEvent.objects.filter(document_type="api_token", action="revoke", data__reason="password_changed").count() == 2


def test_a_password_changed_around_django_still_ends_the_tokens(org):
    """A password written straight into the table (an import, a directory sync) skips every
    signal: the token's fingerprint of the password it was issued under no longer matches."""
    key = sign_in()["token"]
    type(org.employee.user).objects.filter(pk=org.employee.user.pk).update(password=make_password("synced-elsewhere-1"))
    assert me(key).status_code == 401


def test_saving_the_user_without_a_new_password_keeps_the_tokens(org):
    key = sign_in()["token"]
    user = org.employee.user
    user.email = "baru@example.go.id"
    user.save()
    assert me(key).status_code == 200


def test_logging_out_of_the_pages_revokes_the_persons_sign_in_tokens(org):
    key = sign_in()["token"]
    browser = Client()
    browser.force_login(org.employee.user)
    assert browser.post("/logout/").status_code == 302
    assert me(key).status_code == 401
    assert ApiToken.objects.get().revoked_reason == "logout"


def test_an_inactive_users_token_is_refused(org):
    key = sign_in()["token"]
    type(org.employee.user).objects.filter(pk=org.employee.user.pk).update(is_active=False)
    assert me(key).status_code == 401


# Cost --------------------------------------------------------------------------------------------


def test_a_token_request_costs_no_more_queries_than_one_the_test_client_authenticates(org, cycle):
    key = token_issue(user=org.kabid.user).key
    fresh = type(org.kabid.user).objects.get(pk=org.kabid.user.pk)
    with CaptureQueriesContext(connection) as by_client:
        assert client_for(fresh).get(f"{API}/tasks/").status_code == 200
    with CaptureQueriesContext(connection) as by_token:
        assert with_token(key).get(f"{API}/tasks/").status_code == 200
    assert len(by_token) <= len(by_client)


def test_an_administrator_revokes_a_token_from_the_admin(org):
    key = sign_in()["token"]
    root = type(org.hr).objects.create_superuser("root", "root@example.go.id", "root-pass-12345")
    browser = Client()
    browser.force_login(root)
    token = ApiToken.objects.get()
    response = browser.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert me(key).status_code == 401
    assert AuditEvent.objects.get(document_type="api_token", action="revoke").actor_id == root.pk
