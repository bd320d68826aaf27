"""Celery tasks: they take ids (or nothing) and call services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .models import Cycle
from .services.cycles import cycle_populate
from .services.objections import assessments_lapse
from .services.progress import max_age, refresh_progress, release_refresh
from .services.reports import reports_open_month


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def cycle_populate_task(self, cycle_id: int) -> dict:
    try:
        cycle = cycle_populate(cycle_id)
    except (OperationalError, InterfaceError) as exc:  # the next run resumes where this one stopped
        raise self.retry(exc=exc) from exc
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


@shared_task(acks_late=True)
def refresh_progress_task(cycle_id: int) -> dict | None:
    """Recount one cycle's progress into its snapshot (queued by a stale read, by the opening)."""
    try:
        cycle = Cycle.objects.filter(pk=cycle_id).first()
        if cycle is None:
            return None
        snapshot = refresh_progress(cycle)
    finally:
        release_refresh(cycle_id)  # the next stale read may queue again
    return {"cycle": cycle_id, "seconds": snapshot.seconds}


@shared_task(acks_late=True)
def refresh_open_cycles_progress_task() -> int:
    """Every 30-60 s (beat): recount the progress of every cycle opening or open, so that HR's
    reads find a fresh snapshot. Nothing to do when snapshots are off (max age 0)."""
    if max_age() <= 0:
        return 0
    cycles = list(Cycle.objects.exclude(status__in=[Cycle.Status.DRAFT, Cycle.Status.CLOSED]).order_by("pk"))
    for cycle in cycles:
        refresh_progress(cycle)
    return len(cycles)
