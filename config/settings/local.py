"""Development on the embedded defaults (`make run`): SQLite, no Redis, mail to the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A development-only key; production.py has no default and refuses to start without one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
# The audit trail's key: a development-only value, like SECRET_KEY's (production has none).
KINERJA_AUDIT_KEY = env("KINERJA_AUDIT_KEY", default="dev-only-audit-key-change-me-0123456789abcdef")
