"""Settings of bench/faults.py's stack: production's, with the delivery sweep on a short beat
so that a recovery shows in seconds rather than a minute (the interval in
KINERJA_BENCH_SWEEP_SECONDS). Every other setting comes from the environment as in production."""

from config.settings.production import *  # noqa: F403
from config.settings.production import CELERY_BEAT_SCHEDULE, STORAGES, env

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "hand-over-deliveries": {"task": "notifications.tasks.deliveries_sweep",
                             "schedule": env.float("KINERJA_BENCH_SWEEP_SECONDS", default=2.0)},
}
# The stack is driven over plain HTTP on the loopback, without collectstatic: no HTTPS redirect, and
# static names unhashed (the manifest's names need collectstatic).
SECURE_SSL_REDIRECT = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The benchmark's webhook receiver listens on the loopback.
KINERJA_WEBHOOK_ALLOW_PRIVATE = True
