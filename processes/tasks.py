"""Celery tasks: they take ids and call services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services.cycles import cycle_populate


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def cycle_populate_task(self, cycle_id: int) -> dict:
    try:
        cycle = cycle_populate(cycle_id)
    except (OperationalError, InterfaceError) as exc:  # the next run resumes where this one stopped
        raise self.retry(exc=exc)
    return {"cycle": cycle.pk, "status": cycle.status, "plans": cycle.opening_done}
