"""The month's reports sweep as a bulk run: chunks with progress, resumed if a worker dies."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction

from ..models import BulkRun, Plan
from . import bulk_runs
from .reports import reports_create

logger = logging.getLogger(__name__)


def reports_open_month_run(*, year: int, month: int, attempt: int | None = None, chunk_size: int | None = None) -> int:
    """Every approved plan of the year's open cycles gets the month's report (what exists is
    skipped). Without ``attempt`` (the beat), the month's run starts again: plans approved since
    the last sweep get theirs; with one (the sweep resuming a stalled run), that attempt goes on.
    Returns how many reports this attempt created."""
    chunk_size = chunk_size or settings.KINERJA_BULK_CHUNK_SIZE
    # The plans whose period touches the month (reports_create checks each again).
    first = datetime.date(year, month, 1)
    plans = (Plan.objects.filter(cycle__year=year, cycle__status="open", revision__gt=0, start__lt=_next_month(first),
                                 end__gte=first))
    if attempt is None:
        with transaction.atomic():
            run = bulk_runs.run_begin(kind=BulkRun.Kind.REPORTS_OPEN_MONTH, target=f"{year}-{month:02d}", total=plans.count())
        attempt = run.attempts
    else:
        run = bulk_runs.run_of(BulkRun.Kind.REPORTS_OPEN_MONTH, f"{year}-{month:02d}")
        if run is None:  # a task of a run that no longer exists: nothing to do
            return 0
    created = done = last = 0
    try:
        while True:
            with bulk_runs.chunk(run.pk, attempt) as lease:
                chunk = list(plans.filter(pk__gt=last).order_by("pk")
                             .select_related("cycle", "member", "member__employee", "member__rater")[:chunk_size])
                if not chunk:
                    bulk_runs.run_finish(run.pk, attempt, done=done)
                    break
                created += len(reports_create(chunk, month))
                done, last = done + len(chunk), chunk[-1].pk
                lease.progress(done=done)
    except bulk_runs.Superseded:
        logger.info("reports of %s-%02d: attempt %s was superseded; the newer one goes on", year, month, attempt)
    except Exception as error:
        bulk_runs.run_fail(run.pk, attempt, error)
        raise
    return created


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
