"""Benchmarks: the product's settings plus the viewflow.workflow reference flow (bench/)."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="bench-only-insecure-key-0123456789abcdef")
KINERJA_AUDIT_KEY = env("KINERJA_AUDIT_KEY", default="bench-only-audit-key-0123456789abcdef")
DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "viewflow", "viewflow.workflow", "bench.vfapproval"]
VIEWFLOW = {"AUTOREGISTER": False}  # no viewflow site middleware: only its workflow engine is measured
# A transition is measured up to handing its outbox to the broker (an in-memory one here);
# delivering is benchmark 5's business.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
