"""Issue 14: a Content-Security-Policy on every page, strict for scripts. The pages carry no inline
script and no event-handler attribute (their behaviour is in static/js/), and Swagger UI serves its
set-up script apart, so the policy can refuse what an injection would add."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from config.csp import DEFAULT_POLICY, parse_policy

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def policy_of(response) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in response["Content-Security-Policy"].split(";"))}


def test_the_templates_are_found():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_has_an_inline_script_or_an_event_handler_attribute(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "move the script to static/js/ (the CSP refuses inline scripts)"
    assert not HANDLER_ATTRIBUTE.search(text), "use a data- attribute and static/js/app.js (the CSP refuses on...= handlers)"


def test_the_scripts_moved_out_of_the_pages_are_static_files_the_pages_load():
    for script, template in [("app.js", "base.html"), ("plan-form.js", "web/work/plan_detail.html"),
                             ("predicate-preview.js", "web/work/assessment_detail.html"),
                             ("evidence-dropzone.js", "web/work/report_detail.html")]:
        assert (ROOT / "static" / "js" / script).is_file()
        assert f"{{% static 'js/{script}' %}}" in (ROOT / "templates" / template).read_text()


@pytest.mark.django_db
def test_every_page_carries_the_policy_which_allows_scripts_from_the_site_only():
    response = Client().get("/login/")
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"] and policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_the_public_feedback_form_carries_it_too(org):
    from processes.services.public_feedback import link_issue

    link = link_issue(actor=org.hr, unit=org.division)
    assert policy_of(Client().get(f"/f/{link.token}/"))["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_swagger_ui_loads_its_set_up_script_from_the_site_instead_of_inline():
    page = Client().get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not INLINE_SCRIPT.search(html)
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert any("swagger-ui-bundle" in src for src in sources)
    set_up = next(src for src in sources if "script=" in src)
    script = Client().get(set_up.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_report_only_sends_the_policy_under_its_reporting_header(settings):
    settings.CONTENT_SECURITY_POLICY, settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None, {"DIRECTIVES": parse_policy(DEFAULT_POLICY)}
    response = Client().get("/login/")
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_the_settings_in_force_enforce_the_default_policy():
    assert django_settings.CONTENT_SECURITY_POLICY == {"DIRECTIVES": parse_policy(DEFAULT_POLICY)}
    assert "csp.middleware.CSPMiddleware" in django_settings.MIDDLEWARE
