"""Tests: the embedded defaults, or PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-insecure-key-0123456789abcdef")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
# Tests drive Celery tasks in-process; the tests that need a real worker start one themselves
# (with these variables set for the worker process).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")  # noqa: F405
LANGUAGE_CODE = "id"
KINERJA_PROGRESS_MAX_AGE = 0  # progress counted live: tests see each transition at once
KINERJA_AUDIT_KEY = env("KINERJA_AUDIT_KEY", default="test-only-audit-key-0123456789abcdef")
# Static files found per request from the apps' and static/ folders (whitenoise): the tests need no
# collectstatic, and no test client scans STATIC_ROOT when it starts.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The tests' webhook receivers listen on 127.0.0.1 (tests/conftest.py WebhookReceiver).
KINERJA_WEBHOOK_ALLOW_PRIVATE = True
