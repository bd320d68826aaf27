"""Token authentication and GET /api/v1/me/."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import key_hash

from ..conftest import client_for
from .helpers import API

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The token endpoint is throttled per client; start each test with a clean count."""
    cache.clear()
    yield
    cache.clear()


def test_a_user_gets_a_token_with_the_right_password(api, org):
    response = api.post(f"{API}/auth/token/", {"username": "employee", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    # Only the key's hash is kept (accounts/tokens.py).
    assert ApiToken.objects.get(user=org.employee.user).key_hash == key_hash(response.json()["token"])


def test_asking_twice_issues_two_tokens_as_a_key_is_never_shown_again(api, org):
    first = api.post(f"{API}/auth/token/", {"username": "employee", "password": PASSWORD}, format="json").json()
    second = api.post(f"{API}/auth/token/", {"username": "employee", "password": PASSWORD}, format="json").json()
    assert first["token"] != second["token"]
    assert ApiToken.objects.filter(user=org.employee.user).count() == 2


def test_the_token_authenticates_the_user_on_other_endpoints(api, org):
    token = api.post(f"{API}/auth/token/", {"username": "kabid", "password": PASSWORD}, format="json").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(f"{API}/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "kabid"


def test_a_wrong_password_is_refused_with_field_errors_and_no_token(api, org):
    response = api.post(f"{API}/auth/token/", {"username": "employee", "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"errors"} and body["errors"]
    assert not ApiToken.objects.filter(user=org.employee.user).exists()


def test_a_token_request_without_a_password_names_the_missing_field(api, org):
    response = api.post(f"{API}/auth/token/", {"username": "employee"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_an_unknown_token_is_refused(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(f"{API}/me/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_me_without_credentials_is_refused_with_a_detail(api, org):
    response = api.get(f"{API}/me/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_me_shows_the_user_and_their_employee_record(org):
    body = client_for(org.employee.user).get(f"{API}/me/").json()
    assert body["id"] == org.employee.user.pk
    assert body["username"] == "employee"
    assert body["employee"]["id"] == org.employee.pk
    assert body["employee"]["nip"] == org.employee.nip
    assert body["employee"]["name"] == "Staf A1"
    assert body["employee"]["unit"] == org.division.pk
    assert body["roles"] == []


def test_me_shows_the_hr_role_with_its_unit(org):
    body = client_for(org.hr).get(f"{API}/me/").json()
    assert body["employee"] is None
    assert body["roles"] == [{"role": "hr", "unit": org.agency.pk, "unit_name": "Badan"}]


def test_me_shows_the_forum_member_role_of_the_cycle(org, cycle):
    body = client_for(org.forum_member).get(f"{API}/me/").json()
    assert body["roles"] == [
        {"role": "forum_member", "cycle": cycle.pk, "unit": org.division.pk, "unit_name": "Bidang A"}
    ]
