"""Celery tasks: they take ids (or nothing) and call services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .services.cycles import cycle_populate
from .services.objections import assessments_lapse
from .services.reports import reports_open_month


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def cycle_populate_task(self, cycle_id: int) -> dict:
    try:
        cycle = cycle_populate(cycle_id)
    except (OperationalError, InterfaceError) as exc:  # the next run resumes where this one stopped
        raise self.retry(exc=exc)
    return {"cycle": cycle.pk, "status": cycle.status, "plans": cycle.opening_done}


@shared_task(acks_late=True)
def reports_open_month_task() -> int:
    """Daily: the current month's reports of every approved plan (creates only what is missing)."""
    today = timezone.localdate()
    return reports_open_month(year=today.year, month=today.month)


@shared_task(acks_late=True)
def deadlines_sweep_task() -> dict:
    """Every 15 minutes: reminders and escalations of open tasks, each once."""
    from workflow.deadlines import sweep

    return sweep()


@shared_task(acks_late=True)
def assessments_lapse_task() -> int:
    """Hourly: results whose objection window has passed become final."""
    return assessments_lapse()
