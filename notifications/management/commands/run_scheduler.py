"""The embedded scheduler: runs the beat schedule's sweeps in this process, for `make run`
(no Redis, no Celery beat). In production run `celery -A config beat` instead."""

import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Runs the scheduled sweeps (reports, lapsing windows, reminders, deliveries) in-process."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every sweep once and stop")

    def handle(self, *args, once=False, **options):
        current_app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery is lazy)
        schedule = settings.CELERY_BEAT_SCHEDULE
        next_run = {name: 0.0 for name in schedule}
        self.stdout.write(f"scheduler: {', '.join(schedule)}")
        while True:
            now = time.monotonic()
            for name, entry in schedule.items():
                if now >= next_run[name]:
                    try:
                        current_app.tasks[entry["task"]].apply()
                    except Exception as error:  # a failing sweep must not stop the others
                        self.stderr.write(f"scheduler: {name} failed: {error}")
                    next_run[name] = now + float(entry["schedule"])
            if once:
                return
            time.sleep(5)
