"""Issue 14: a NUL or a control character in the address or query string is a 400 before any view
(config/input_guard.py), for the API's filters and the pages' searches alike.

The attack: on PostgreSQL, HR's member search (``?q=`` with a NUL, an ``icontains`` filter) was a
500, as any parameter that reaches a query would be. (On SQLite a NUL is stored, so there the
page answered 200: these tests run on both, and CI runs them on PostgreSQL.)
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from .conftest import client_for

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.raise_request_exception = False
    return client


def api_client(user=None) -> APIClient:
    client = client_for(user) if user is not None else APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    client.raise_request_exception = False
    return client


def test_a_nul_in_hrs_member_search_is_a_400_naming_the_parameter(org, cycle):
    client = page_client(org.hr)
    url = f"/hr/cycles/{cycle.pk}/members/"
    assert client.get(url, {"q": "Staf"}).status_code == 200
    response = client.get(url, {"q": "Staf\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "q: Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("query, name, message", [
    ({"status": "draft\x00"}, "status", "Null characters are not allowed."),
    ({"cycle": "1\x00"}, "cycle", "Null characters are not allowed."),
    ({"q": "Staf\x1b"}, "q", "Control characters are not allowed (tabs and line breaks are)."),
    ({"page": "2\x7f"}, "page", "Control characters are not allowed (tabs and line breaks are)."),
], ids=["choice-filter", "id-filter", "unknown-parameter", "page"])
def test_a_bad_character_in_an_api_filter_is_a_json_400_naming_the_parameter(org, cycle, query, name, message):
    response = api_client(org.hr).get("/api/v1/plans/", query)
    assert response.status_code == 400
    assert response.json() == {"errors": {name: [message]}}


def test_a_bad_character_in_a_parameters_name_or_the_path_is_refused_too(org):
    client = api_client(org.hr)
    named = client.get("/api/v1/plans/?st%00atus=draft")
    assert named.status_code == 400 and named.json()["errors"]["non_field_errors"][0].startswith("A parameter's name:")
    path = client.get("/api/v1/plans/1%00/")
    assert path.status_code == 400 and path.json() == {"errors": {"path": ["Null characters are not allowed."]}}


def test_the_anonymous_token_endpoint_is_guarded_too():
    response = api_client().post("/api/v1/auth/token/?next=%00", {"username": "x", "password": "y"}, format="json")
    assert response.status_code == 400 and "next" in response.json()["errors"]


def test_tabs_and_line_breaks_in_a_search_are_text(org, cycle):
    response = page_client(org.hr).get(f"/hr/cycles/{cycle.pk}/members/", {"q": "Staf\tA1\r\n"})
    assert response.status_code == 200


def test_the_refusal_is_in_the_users_language(org):
    client = client_for(org.hr)
    client.raise_request_exception = False
    response = client.get("/api/v1/plans/", {"status": "draft\x00"}, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert response.json()["errors"]["status"] == ["Karakter null tidak diperbolehkan."]


def test_an_idempotency_key_with_a_nul_is_a_400_before_it_is_stored(org, cycle):
    response = api_client(org.employee.user).post("/api/v1/reports/", {"plan": 1, "month": 1}, format="json",
                                                  HTTP_IDEMPOTENCY_KEY="key\x00")
    assert response.status_code == 400
    assert response.json() == {"errors": {"Idempotency-Key": ["Null characters are not allowed."]}}
