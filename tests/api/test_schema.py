"""The OpenAPI schema and the Swagger UI, served without any external CDN."""

import json

import pytest
from rest_framework.test import APIClient

from ..conftest import client_for
from .helpers import API

pytestmark = pytest.mark.django_db

ACTION_PATHS = [
    "/api/v1/plans/{id}/submit/",
    "/api/v1/plans/{id}/approve/",
    "/api/v1/plans/{id}/return/",
    "/api/v1/plans/{id}/amend/",
    "/api/v1/plans/{id}/history/",
    "/api/v1/cycles/{id}/open/",
    "/api/v1/cycles/{id}/progress/",
    "/api/v1/cycle-members/{id}/correct_reporting_line/",
    "/api/v1/notifications/{id}/read/",
]


def schema_for(client) -> dict:
    response = client.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_served_as_openapi_3(org):
    response = client_for(org.hr).get(f"{API}/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


def test_the_schema_lists_every_document_action(org):
    paths = schema_for(client_for(org.hr))["paths"]
    for path in ACTION_PATHS:
        assert "post" in paths[path] or "get" in paths[path], path
    assert set(paths["/api/v1/plans/{id}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/v1/plans/{id}/"] and "delete" not in paths["/api/v1/plans/{id}/"]


def test_the_schema_documents_the_plan_content_body(org):
    components = schema_for(client_for(org.hr))["components"]["schemas"]
    assert components["ResultKindEnum"]["enum"] == ["main", "additional"]
    assert components["AspectEnum"]["enum"] == ["quantity", "quality", "time"]
    assert "results" in components["PatchedPlanContentRequest"]["properties"]


def test_the_schema_documents_token_authentication(org):
    schemes = schema_for(client_for(org.hr))["components"]["securitySchemes"]
    assert any(s.get("type") == "apiKey" and s.get("name") == "Authorization" for s in schemes.values())


def test_the_schema_is_the_same_whoever_asks_for_it(org):
    anonymous = schema_for(APIClient())
    assert anonymous["paths"]["/api/v1/cycles/"]["get"]["operationId"] == "cycles_list"
    assert anonymous == schema_for(client_for(org.hr))


def test_the_docs_page_is_html_served_without_an_external_cdn(org):
    response = client_for(org.hr).get(f"{API}/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    # The set-up script, which names the schema, is served apart (the CSP refuses inline scripts).
    set_up = client_for(org.hr).get(f"{API}/docs/", {"script": ""})
    assert set_up["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in set_up.content.decode()
    for host in ("cdn.jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert host not in html
