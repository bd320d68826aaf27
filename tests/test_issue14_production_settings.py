"""Issue 14: production's settings. HSTS, the HTTPS redirect and the Content-Security-Policy come
from the environment with production defaults; static files are hashed and compressed; an e-mail
backend that delivers to no one stops start-up unless allowed; the demo seed refuses to run; and
each entry point (manage.py, wsgi, asgi, the Celery app) honours DJANGO_SETTINGS_MODULE."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from config import settings_module
from processes.demo import DemoRefused, demo_csv, seed_demo

ROOT = Path(__file__).resolve().parent.parent
SECRET = "prod-secret-key-for-the-issue14-tests-0123456789"
AUDIT_KEY = "audit-key-for-the-issue14-tests-0123456789abcdef"
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in %r}, default=str))"
)


def python(code: str, tmp_path, *, settings: str | None = "config.settings.production", cwd=ROOT, args=None, **overrides):
    """Run Python (``-c code``, or ``args``) in a fresh interpreter with production's environment;
    ``settings=None`` leaves DJANGO_SETTINGS_MODULE unset. An override of None removes a variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "KINERJA_", "CELERY_"))}
    env.update(DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="kinerja.example.go.id",
               DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}", KINERJA_AUDIT_KEY=AUDIT_KEY)
    if settings is not None:
        env["DJANGO_SETTINGS_MODULE"] = settings
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    command = [sys.executable, *(args or ["-c", code])]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def production_settings(tmp_path, *names, **overrides) -> dict:
    result = python(SHOW % (names,), tmp_path, **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# HTTPS and HSTS ---------------------------------------------------------------------------------


def test_production_redirects_to_https_and_sends_a_years_hsts_by_default(tmp_path):
    assert production_settings(
        tmp_path, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
        "SECURE_REDIRECT_EXEMPT", "SECURE_PROXY_SSL_HEADER",
    ) == {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
          "SECURE_HSTS_PRELOAD": False, "SECURE_REDIRECT_EXEMPT": ["^health/"],
          "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_hsts_and_the_https_redirect_are_set_from_the_environment(tmp_path):
    assert production_settings(
        tmp_path, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
        DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false", DJANGO_SECURE_HSTS_PRELOAD="true",
    ) == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 600, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
          "SECURE_HSTS_PRELOAD": True}


# Content-Security-Policy ------------------------------------------------------------------------


def test_production_enforces_a_policy_that_allows_scripts_from_the_site_only(tmp_path):
    found = production_settings(tmp_path, "CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    directives = found["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["base-uri"] == ["'self'"]
    assert found["CONTENT_SECURITY_POLICY_REPORT_ONLY"] is None


def test_the_policy_and_its_report_only_mode_come_from_the_environment(tmp_path):
    found = production_settings(
        tmp_path, "CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        DJANGO_CSP="default-src 'self'; img-src 'self' https://tiles.example; upgrade-insecure-requests",
        DJANGO_CSP_REPORT_ONLY="true", DJANGO_CSP_REPORT_URI="/csp-reports/",
    )
    assert found["CONTENT_SECURITY_POLICY"] is None
    assert found["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"] == {
        "default-src": ["'self'"], "img-src": ["'self'", "https://tiles.example"], "upgrade-insecure-requests": True,
        "report-uri": ["/csp-reports/"],
    }


@pytest.mark.parametrize("policy", ["default-src 'self'; scirpt-src 'self'", " ; "])
def test_a_policy_with_a_misspelt_directive_or_none_at_all_stops_start_up(tmp_path, policy):
    result = python("import django; django.setup()", tmp_path, DJANGO_CSP=policy)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_CSP" in result.stderr


# Static files -----------------------------------------------------------------------------------


def test_production_stores_static_files_compressed_under_hashed_names(tmp_path):
    storages = production_settings(tmp_path, "STORAGES")["STORAGES"]
    assert storages["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"  # uploads unchanged


def test_whitenoise_serves_static_files_right_after_the_security_middleware(settings):
    middleware = settings.MIDDLEWARE
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == \
        middleware.index("django.middleware.security.SecurityMiddleware") + 1


# E-mail -----------------------------------------------------------------------------------------


def test_production_sends_e_mail_by_smtp_by_default(tmp_path):
    found = production_settings(tmp_path, "EMAIL_BACKEND")
    assert found == {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}


@pytest.mark.parametrize("backend", ["console", "locmem", "filebased", "dummy"])
def test_production_refuses_to_start_with_an_e_mail_backend_that_delivers_to_no_one(tmp_path, backend):
    result = python("import django; django.setup()", tmp_path, DJANGO_EMAIL_BACKEND=f"django.core.mail.backends.{backend}.EmailBackend")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "KINERJA_ALLOW_CONSOLE_EMAIL" in result.stderr


def test_the_console_backend_starts_when_the_environment_says_it_is_meant(tmp_path):
    found = production_settings(tmp_path, "EMAIL_BACKEND", DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
                                KINERJA_ALLOW_CONSOLE_EMAIL="true")
    assert found == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


# The demo seed ----------------------------------------------------------------------------------


def test_seed_demo_refuses_to_run_under_production_settings(tmp_path):
    """The attack: the command set `demo12345` on a superuser `admin` of a real installation."""
    result = python("", tmp_path, args=["manage.py", "seed_demo"])
    assert result.returncode != 0
    # In the settings' language (Indonesian first).
    assert "Organisasi demo tidak dibuat dengan pengaturan produksi" in result.stderr
    assert "config.settings.production" in result.stderr
    assert "Demo ready" not in result.stdout


@pytest.mark.django_db
def test_seed_demo_creates_no_one_when_the_settings_are_productions(settings):
    settings.KINERJA_PRODUCTION = True
    with pytest.raises(CommandError, match="Organisasi demo tidak dibuat dengan pengaturan produksi"):
        call_command("seed_demo", stdout=io.StringIO())
    with pytest.raises(DemoRefused):
        seed_demo()
    with pytest.raises(DemoRefused):
        demo_csv()
    assert not get_user_model().objects.exists()


def test_make_run_seeds_through_the_command_that_refuses():
    makefile = (ROOT / "Makefile").read_text()
    assert "run: seed" in makefile and "$(BIN)/python manage.py seed_demo" in makefile


# Entry points and DJANGO_SETTINGS_MODULE --------------------------------------------------------

NAMED_AND_EXPECTED = [(None, "config.settings.local"), ("config.settings.production", "config.settings.production")]
WHICH = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_web_entry_points_run_production_settings_when_none_are_named(tmp_path, entry_point):
    """The attack: `gunicorn config.wsgi` without the variable ran development's settings (DEBUG on,
    a published key), because the Celery app imported first set its own default."""
    result = python(f"import {entry_point}; {WHICH}", tmp_path, settings=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_web_entry_points_honour_the_settings_named(tmp_path, entry_point):
    result = python(f"import {entry_point}; {WHICH}", tmp_path, settings="config.settings.test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "config.settings.test"


def test_an_empty_variable_counts_as_unset(tmp_path):
    result = python(f"import config.wsgi; {WHICH}", tmp_path, settings="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "config.settings.production"


@pytest.mark.parametrize(("named", "expected"), NAMED_AND_EXPECTED)
def test_manage_py_honours_the_settings_named_and_defaults_to_development(tmp_path, named, expected):
    result = python("", tmp_path, settings=named, args=["manage.py", "shell", "-v", "0", "-c", WHICH])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2] == expected


@pytest.mark.parametrize(("named", "expected"), NAMED_AND_EXPECTED)
def test_the_celery_app_honours_the_settings_named_and_installs_its_django_fixup(tmp_path, named, expected):
    code = ("from config.celery_app import app; from celery.fixups.django import DjangoFixup; "
            "print(any(isinstance(f, DjangoFixup) for f in app._fixups), app.conf.broker_url); " + WHICH)
    result = python(code, tmp_path, settings=named, REDIS_URL="redis://127.0.0.1:1/15")
    assert result.returncode == 0, result.stderr
    fixup, broker, module, _debug = result.stdout.split()
    assert (fixup, broker, module) == ("True", "redis://127.0.0.1:1/15", expected)


def test_a_web_entry_point_replaces_only_the_celery_apps_provisional_default(monkeypatch):
    monkeypatch.delenv(settings_module.VARIABLE, raising=False)
    monkeypatch.setattr(settings_module, "_provisional", None)
    assert settings_module.use_default(settings_module.DEVELOPMENT, provisional=True) == "config.settings.local"
    assert settings_module.use_default(settings_module.PRODUCTION) == "config.settings.production"
    assert settings_module.use_default(settings_module.DEVELOPMENT) == "config.settings.production"  # no longer provisional
    monkeypatch.setenv(settings_module.VARIABLE, "config.settings.test")
    monkeypatch.setattr(settings_module, "_provisional", None)
    assert settings_module.use_default(settings_module.PRODUCTION) == "config.settings.test"
