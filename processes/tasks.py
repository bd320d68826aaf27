"""Celery tasks: they take ids (or nothing) and call services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .models import BulkRun, Cycle
from .services.bulk_runs import resume_stalled
from .services.cycles import cycle_populate
from .services.evaluations import evaluation_populate
from .services.objections import assessments_lapse
from .services.progress import max_age, refresh_progress, release_refresh
from .services.report_runs import reports_open_month_run


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def cycle_populate_task(self, cycle_id: int, attempt: int | None = None) -> dict:
    try:
        cycle = cycle_populate(cycle_id, attempt=attempt)
    except (OperationalError, InterfaceError) as exc:  # the next run resumes where this one stopped
        raise self.retry(exc=exc) from exc
    return {"cycle": cycle.pk, "status": cycle.status, "plans": cycle.opening_done}


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def bulk_run_task(self, run_id: int, attempt: int) -> dict | None:
    """One attempt of a bulk run (queued by its start, the sweep or HR's resume)."""
    run = BulkRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    try:
        if run.kind == BulkRun.Kind.CYCLE_OPEN:
            cycle = cycle_populate(int(run.target), attempt=attempt)
            return {"run": run_id, "cycle": cycle.pk, "status": cycle.status, "plans": cycle.opening_done}
        if run.kind == BulkRun.Kind.EVALUATION_START:
            return {"run": run_id, "assessments": evaluation_populate(int(run.target), attempt=attempt)}
        if run.kind == BulkRun.Kind.REPORTS_OPEN_MONTH:
            year, month = (int(part) for part in run.target.split("-"))
            return {"run": run_id, "reports": reports_open_month_run(year=year, month=month, attempt=attempt)}
    except (OperationalError, InterfaceError) as exc:  # the same attempt goes on where it stopped
        raise self.retry(exc=exc) from exc
    return None


@shared_task(acks_late=True)
def bulk_runs_sweep_task() -> int:
    """Every minute: resume the bulk runs whose progress has stalled (each once)."""
    return resume_stalled()


@shared_task(acks_late=True)
def reports_open_month_task() -> int:
    """Daily: the current month's reports of every approved plan (creates only what is missing)."""
    today = timezone.localdate()
    return reports_open_month_run(year=today.year, month=today.month)


@shared_task(acks_late=True)
def changes_take_effect_task() -> dict:
    """Daily: moves and leaves recorded ahead of their date take effect on it
    (processes/services/membership.py)."""
    from .services.membership import changes_take_effect

    return changes_take_effect()


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
