"""Issue 14: a body the API cannot use is a 400 that says why, never a 500 (api/parsers.py).

Each test sends the attack first: a deeply nested body was a RecursionError (a 500) on every
endpoint that reads one, the anonymous token endpoint too; a lone surrogate or an infinite number
reached the database; a body had no size limit.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from processes.models import Evidence, MonthlyReport, Plan, PlanResult
from processes.services.reports import evidence_add

from ..conftest import client_for, plan_of
from .helpers import API, english, open_reports, plan_url, report_url, result_body

pytestmark = pytest.mark.django_db


def nested(depth: int, inner: str = "1") -> str:
    """JSON text of ``depth`` arrays, one inside the other."""
    return "[" * depth + inner + "]" * depth


def raw(client: APIClient, method: str, url: str, body, content_type: str = "application/json"):
    """Send ``body`` (text or bytes) as it is: the test client would otherwise encode it."""
    client.raise_request_exception = False  # a 500 is a response here, so the assertion says so
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return getattr(client, method)(url, body, content_type=content_type)


def refusal(response) -> str:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    messages = (message for listed in response.json()["errors"].values() for message in listed)
    return " ".join(messages).replace("\xa0", " ")  # sizes are written with a no-break space


# Too deep ------------------------------------------------------------------------------------------


def test_a_deeply_nested_body_to_the_anonymous_token_endpoint_is_a_400():
    body = '{"username": ' + nested(50_000, '"kepala"') + ', "password": "x"}'
    response = raw(APIClient(), "post", f"{API}/auth/token/", body)
    assert "nested more than 32 levels" in refusal(response)


def test_a_deeply_nested_plan_report_objection_or_preferences_body_is_a_400(org, cycle):
    reports = open_reports(cycle)
    report = reports[org.employee.pk]
    body = '{"realisations": ' + nested(100_000) + "}"
    for method, url in [("patch", report_url(report)), ("patch", plan_url(plan_of(cycle, org.colleague))),
                        ("post", f"{API}/objections/"), ("patch", f"{API}/me/preferences/")]:
        owner = org.colleague if "plans" in url else org.employee
        assert "nested more than" in refusal(raw(client_for(owner.user), method, url, body)), url
    assert MonthlyReport.objects.get(pk=report.pk).version == report.version


def test_thirty_two_levels_are_read_and_thirty_three_are_not(org):
    client = client_for(org.employee.user)
    # The body's object is the first level: "x" holds 31 more, then 32.
    kept = raw(client, "patch", f"{API}/me/preferences/", '{"email": false, "x": ' + nested(31) + "}")
    assert kept.status_code == 200 and kept.json()["email"] is False
    refused = raw(client, "patch", f"{API}/me/preferences/", '{"email": true, "x": ' + nested(32) + "}")
    assert "nested more than 32 levels" in refusal(refused)


def test_the_depth_limit_is_a_setting(org, settings):
    settings.KINERJA_JSON_MAX_DEPTH = 3
    client = client_for(org.employee.user)
    assert raw(client, "patch", f"{API}/me/preferences/", '{"email": true, "x": [[1]]}').status_code == 200
    assert "more than 3 levels" in refusal(raw(client, "patch", f"{API}/me/preferences/", '{"email": true, "x": [[[1]]]}'))


# Too large -----------------------------------------------------------------------------------------


def test_a_body_over_the_size_limit_is_a_400_naming_the_limit(org):
    body = '{"email": true, "padding": "' + "x" * (1024 * 1024) + '"}'
    assert "larger than 1.0 MB" in refusal(raw(client_for(org.employee.user), "patch", f"{API}/me/preferences/", body))
    assert "larger than 1.0 MB" in refusal(raw(APIClient(), "post", f"{API}/auth/token/", body))


def test_the_size_limit_is_a_setting_and_holds_for_forms_too(org, settings):
    settings.KINERJA_JSON_MAX_BYTES = 100
    client = client_for(org.employee.user)
    assert raw(client, "patch", f"{API}/me/preferences/", '{"email": true}').status_code == 200
    padded = '{"email": true, "padding": "' + "x" * 100 + '"}'
    assert "larger than 100 bytes" in refusal(raw(client, "patch", f"{API}/me/preferences/", padded))
    form = "email=true&padding=" + "x" * 100
    assert "larger than" in refusal(raw(client, "patch", f"{API}/me/preferences/", form, "application/x-www-form-urlencoded"))


def test_a_form_with_too_many_fields_is_a_400(org):
    form = "&".join(f"f{n}=1" for n in range(1500))
    response = raw(client_for(org.employee.user), "patch", f"{API}/me/preferences/", form, "application/x-www-form-urlencoded")
    assert "too many fields" in refusal(response)


# Not JSON, not text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body, reason", [
    (b'{"email": "\xff\xfe"}', "not valid UTF-8 text"),
    (b"{email: true", "not valid JSON"),
    (b'{"email": NaN}', "not valid JSON"),
    (b'{"email": true, "n": 1e999}', "out of range"),
    (b'{"email": true, "n": ' + b"9" * 5000 + b"}", "not valid JSON"),
], ids=["invalid-utf8", "malformed", "nan", "infinite", "huge-integer"])
def test_a_body_that_is_not_valid_json_text_is_a_400_in_the_errors_shape(org, body, reason):
    response = raw(client_for(org.employee.user), "patch", f"{API}/me/preferences/", body)
    assert reason in refusal(response)
    assert set(response.json()["errors"]) == {"non_field_errors"}


def test_a_body_of_another_media_type_is_a_415_not_a_500(org):
    response = raw(client_for(org.employee.user), "patch", f"{API}/me/preferences/", "email=true", "text/plain")
    assert response.status_code == 415 and response.json()["detail"]


# Text the database cannot store ----------------------------------------------------------------------


@pytest.mark.parametrize("title, message", [
    ("Laporan\x00", "Null characters are not allowed."),
    ("Laporan\x1b[31m", "Control characters are not allowed"),
    ("Laporan\x85", "Control characters are not allowed"),
], ids=["nul", "escape", "c1-control"])
def test_a_bad_character_anywhere_in_a_plan_is_a_400_naming_where(org, cycle, title, message):
    plan = plan_of(cycle, org.employee)
    indicator = {"description": "Laporan", "target": title, "aspect": "time"}
    body = {"results": [result_body(), result_body(indicators=[indicator])]}
    response = english(org.employee.user).patch(plan_url(plan), body, format="json")
    assert response.status_code == 400
    assert message in response.json()["errors"]["results[1].indicators[0].target"][0]
    assert not PlanResult.objects.filter(plan=plan).exists() and Plan.objects.get(pk=plan.pk).version == plan.version


def test_a_lone_surrogate_escape_is_refused_before_the_database_sees_it(org, cycle):
    plan = plan_of(cycle, org.employee)
    body = '{"results": [{"title": "Laporan \\ud83d", "kind": "main", "indicators": []}]}'
    response = raw(client_for(org.employee.user), "patch", plan_url(plan), body)
    assert response.json()["errors"] == {"results[0].title": ["The text holds an invalid character (a lone surrogate)."]}


def test_tabs_and_line_breaks_are_text(org, cycle):
    plan = plan_of(cycle, org.employee)
    body = {"results": [result_body("Laporan\tkeuangan\r\nbulanan")]}
    response = english(org.employee.user).patch(plan_url(plan), body, format="json")
    assert response.status_code == 200, response.content
    assert PlanResult.objects.get(plan=plan).title == "Laporan\tkeuangan\r\nbulanan"


def test_a_bad_character_in_a_key_is_refused_too(org):
    response = raw(client_for(org.employee.user), "patch", f"{API}/me/preferences/", '{"email": true, "e\\u0000mail": 1}')
    assert "A name in the body: Null characters are not allowed." in refusal(response)


def test_a_nul_in_an_anonymous_login_is_a_400_not_a_500():
    response = raw(APIClient(), "post", f"{API}/auth/token/", '{"username": "kepala\\u0000", "password": "x"}')
    assert response.json()["errors"] == {"username": ["Null characters are not allowed."]}


def test_a_nul_in_a_multipart_field_or_file_name_is_a_400(org, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = open_reports(cycle)[org.employee.pk]
    client = english(org.employee.user)
    pdf = SimpleUploadedFile("notulen.pdf", b"%PDF-1.4 notulen", content_type="application/pdf")
    named = client.post(report_url(report, "evidence"), {"file": pdf, "name": "Notulen\x00"}, format="multipart")
    assert named.status_code == 400 and named.json()["errors"]["name"] == ["Null characters are not allowed."]
    assert not Evidence.objects.exists()
    # Django's multipart parsing drops what is not printable from a file's name ...
    escaped = SimpleUploadedFile("notulen\x07.pdf", b"%PDF-1.4 notulen", content_type="application/pdf")
    response = client.post(report_url(report, "evidence"), {"file": escaped}, format="multipart")
    assert response.status_code == 201 and response.json()["name"] == "notulen.pdf"
    # ... and the service refuses such a name from any other caller.
    escaped = SimpleUploadedFile("notulen\x07.pdf", b"%PDF-1.4 notulen", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        evidence_add(report=report, actor=org.employee.user, upload=escaped)
    assert refused.value.message_dict == {"file": ["The file's name: Control characters are not allowed (tabs and line breaks are)."]}


def test_the_refusal_is_in_the_users_language():
    client = APIClient()
    client.raise_request_exception = False
    response = client.post(f"{API}/auth/token/", nested(100), content_type="application/json", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == ["Isi JSON bersarang lebih dari 32 tingkat."]


def test_a_bad_string_in_a_list_of_strings_is_reported_once_under_the_list(org):
    body = '{"email": true, "tags": ["a\\u0000", "b", "c\\u0000"], "rows": [{"note": "d\\u0001"}]}'
    response = raw(client_for(org.employee.user), "patch", f"{API}/me/preferences/", body)
    assert response.json()["errors"] == {
        "tags": ["Null characters are not allowed."],
        "rows[0].note": ["Control characters are not allowed (tabs and line breaks are)."],
    }
