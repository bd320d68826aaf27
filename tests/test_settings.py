"""Settings: production refuses to start without its secrets; Indonesian first, Jakarta time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import base

ROOT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.SECRET_KEY == 'prod-secret-key-for-the-test', s.ALLOWED_HOSTS, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
)


def start_production(tmp_path, code="import django; django.setup()", **overrides) -> subprocess.CompletedProcess:
    """Start Django in a fresh interpreter with the production settings and a controlled environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="kinerja.example.go.id",
        KINERJA_AUDIT_KEY="prod-audit-key-for-the-test-0123456789",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = start_production(tmp_path, DJANGO_SECRET_KEY=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_secret_key(tmp_path):
    result = start_production(tmp_path, code=PRINT_SETTINGS, DJANGO_SECRET_KEY="prod-secret-key-for-the-test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True ['kinerja.example.go.id'] True True"


@pytest.mark.parametrize("missing", ["DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_hosts_or_database(tmp_path, missing):
    result = start_production(tmp_path, DJANGO_SECRET_KEY="prod-secret-key-for-the-test", **{missing: None})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_ignores_a_debug_flag_from_the_environment(tmp_path):
    result = start_production(
        tmp_path, code=PRINT_SETTINGS, DJANGO_SECRET_KEY="prod-secret-key-for-the-test", DJANGO_DEBUG="true"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_the_base_settings_are_indonesian_first_with_english_and_jakarta_time():
    assert base.TIME_ZONE == "Asia/Jakarta"
    assert base.LANGUAGE_CODE == "id"
    assert [code for code, _ in base.LANGUAGES] == ["id", "en"]
    assert base.USE_I18N and base.USE_TZ
    assert "django.middleware.locale.LocaleMiddleware" in base.MIDDLEWARE


def test_the_running_settings_keep_the_same_language_and_time_zone(settings):
    assert settings.TIME_ZONE == "Asia/Jakarta"
    assert settings.LANGUAGE_CODE == "id"
    assert "en" in dict(settings.LANGUAGES)
