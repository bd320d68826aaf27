"""Bulk work that resumes by itself: the run's progress record, its lease, and its resumption.

A run is started (or resumed) by bumping its ``attempts`` (the lease) and handing
``(target, attempt)`` to Celery after the commit. Each chunk of the work runs in ``chunk``: it
locks the run row, goes on only while its attempt is still the current one, and moves the
heartbeat with its progress in the chunk's own transaction, so the record never claims more than
was committed. The sweep resumes a run whose heartbeat has not moved for
``KINERJA_BULK_STALL_SECONDS`` by an atomic UPDATE that only one sweep can win; HR may resume one
at any time. The work itself skips what is already done, so a resumed run creates nothing twice.
"""

from __future__ import annotations

import datetime
import logging
from contextlib import contextmanager
from functools import partial
from typing import Iterator

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import BROKER_ERRORS
from workflow.engine import UNCHANGED, edit
from workflow.errors import InvalidTransition
from workflow.locking import lock_rows

from ..models import BulkRun, Cycle

logger = logging.getLogger(__name__)
Kind, Status = BulkRun.Kind, BulkRun.Status
# Default of settings.KINERJA_BULK_STALL_SECONDS.
STALL_SECONDS = 300
# The sweep gives up on a run that failed or stalled this many times (HR may still resume it):
# a run that kills its worker every time must not be restarted for ever.
SWEEP_MAX_ATTEMPTS = 10
ERROR_MAX = 2000


class Superseded(Exception):
    """The run was resumed by someone else since this attempt started: this worker stops."""


def stall_seconds() -> int:
    return int(getattr(settings, "KINERJA_BULK_STALL_SECONDS", STALL_SECONDS))


def run_begin(*, kind: str, target: str, cycle: Cycle | None = None, total: int = 0) -> BulkRun:
    """Start the run of ``target`` (or start it again), in the caller's transaction: a new
    attempt, running, its heartbeat now. Queue it with ``queue_after_commit``."""
    run = lock_rows(BulkRun.objects.filter(kind=kind, target=target)).first()
    if run is None:
        run = BulkRun.objects.create(kind=kind, target=target, cycle=cycle)
    run.status, run.attempts, run.heartbeat_at = Status.RUNNING, run.attempts + 1, timezone.now()
    run.total, run.finished_at, run.last_error = total or run.total, None, ""
    run.save(update_fields=["status", "attempts", "heartbeat_at", "total", "finished_at", "last_error"])
    return run


def run_of(kind: str, target) -> BulkRun | None:
    return BulkRun.objects.filter(kind=kind, target=str(target)).first()


def queue_after_commit(run: BulkRun) -> None:
    transaction.on_commit(partial(queue, run.pk, run.attempts))


def queue(run_id: int, attempt: int) -> bool:
    """Hand the run to Celery. A broker that is down must not fail what has committed: the run is
    left waiting (no heartbeat), and the next sweep resumes it."""
    from ..tasks import bulk_run_task

    try:
        bulk_run_task.delay(run_id, attempt)
    except BROKER_ERRORS as error:
        logger.warning("bulk run %s: could not hand attempt %s to the broker: %s", run_id, attempt, error)
        BulkRun.objects.filter(pk=run_id, attempts=attempt).exclude(status=Status.FINISHED).update(heartbeat_at=None)
        return False
    return True


class Lease:
    """What a chunk holds: the locked run row of its attempt."""

    def __init__(self, run: BulkRun):
        self.run = run

    def progress(self, *, done: int, total: int | None = None) -> None:
        fields = {"done": done, "heartbeat_at": timezone.now(), "status": Status.RUNNING}
        if total is not None:
            fields["total"] = total
        BulkRun.objects.filter(pk=self.run.pk).update(**fields)


@contextmanager
def chunk(run_id: int, attempt: int) -> Iterator[Lease]:
    """One chunk of a run's work in its own transaction, under the run's row lock; raises
    ``Superseded`` when another attempt has taken the run over (or it has finished)."""
    with transaction.atomic():
        run = lock_rows(BulkRun.objects.filter(pk=run_id, attempts=attempt).exclude(status=Status.FINISHED)).first()
        if run is None:
            raise Superseded(run_id)
        yield Lease(run)


def run_finish(run_id: int, attempt: int, *, done: int | None = None) -> bool:
    """Mark the attempt's run finished (in the caller's transaction, with the work's last write)."""
    fields = {"status": Status.FINISHED, "finished_at": timezone.now(), "heartbeat_at": timezone.now(), "last_error": ""}
    if done is not None:
        fields["done"] = done
    return bool(BulkRun.objects.filter(pk=run_id, attempts=attempt).exclude(status=Status.FINISHED).update(**fields))


def run_fail(run_id: int, attempt: int, error: BaseException) -> None:
    """Record why the attempt stopped; the sweep resumes the run once it is stalled."""
    try:
        BulkRun.objects.filter(pk=run_id, attempts=attempt).exclude(status=Status.FINISHED).update(
            status=Status.FAILED, heartbeat_at=timezone.now(), last_error=f"{type(error).__name__}: {error}"[:ERROR_MAX],
        )
    except DatabaseError:  # the database is what failed: the stalled heartbeat says enough
        logger.exception("bulk run %s: could not record the failure", run_id)


def current_attempt(run_id: int) -> int:
    return BulkRun.objects.filter(pk=run_id).values_list("attempts", flat=True).get()


def claim(run_id: int, *, stalled_before: datetime.datetime | None = None) -> int | None:
    """Take the run over for a new attempt: one atomic UPDATE, so of two sweeps (or two clicks)
    only one wins. With ``stalled_before``, only if its heartbeat has not moved since (or it was
    never handed over). Returns the new attempt, or None if there was nothing to take."""
    runs = BulkRun.objects.filter(pk=run_id).exclude(status=Status.FINISHED)
    if stalled_before is not None:
        runs = runs.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stalled_before), attempts__lt=SWEEP_MAX_ATTEMPTS)
    if not runs.update(attempts=F("attempts") + 1, heartbeat_at=timezone.now(), status=Status.RUNNING, last_error=""):
        return None
    return current_attempt(run_id)


def stalled_runs() -> list[int]:
    cutoff = timezone.now() - datetime.timedelta(seconds=stall_seconds())
    return list(
        BulkRun.objects.exclude(status=Status.FINISHED).filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
        .filter(attempts__lt=SWEEP_MAX_ATTEMPTS)
        # A cycle that moved on (closed) cannot take the resume's edit: its runs are not the sweep's.
        .filter(Q(cycle__isnull=True) | Q(cycle__status__in=["opening", "open"]))
        .order_by("pk").values_list("pk", flat=True)
    )


def resume_stalled() -> int:
    """The sweep: resume every run whose heartbeat has not moved for the stall time, each once
    however many sweeps run at once. A cycle's run is resumed as an edit of the cycle by the
    system (audited on the cycle's trail); the others are logged."""
    resumed = 0
    for run_id in stalled_runs():
        try:
            resumed += _resume_stalled(run_id)
        except Exception:  # one run that cannot be resumed must not stop the others
            logger.exception("bulk run %s: could not resume", run_id)
    return resumed


def _resume_stalled(run_id: int) -> int:
    run = BulkRun.objects.get(pk=run_id)
    stalled_before = timezone.now() - datetime.timedelta(seconds=stall_seconds())
    if run.cycle_id is None:
        with transaction.atomic():
            attempt = claim(run_id, stalled_before=stalled_before)
            if attempt is None:
                return 0
            transaction.on_commit(partial(queue, run_id, attempt))
        logger.info("bulk run %s (%s %s): resumed, attempt %s", run_id, run.kind, run.target, attempt)
        return 1
    resumed = edit(run.cycle, "resume_stalled_work", actor=None,
                   change=partial(_claim_on_cycle, [run_id], stalled_before=stalled_before))
    return 1 if resumed.event is not None else 0


def cycle_resume(*, cycle: Cycle, actor, origin: dict | None = None) -> list[BulkRun]:
    """HR resumes the cycle's unfinished bulk work (its opening, an evaluation period's
    assessments) now, whatever its heartbeat: an edit of the cycle, so it is audited and two
    resumes serialise. Nothing unfinished is a 409."""
    resumed: dict = {}

    def change(flow) -> dict:
        locked = flow.document
        if locked.status == Cycle.Status.OPENING and not BulkRun.objects.filter(kind=Kind.CYCLE_OPEN, target=str(locked.pk)).exists():
            # Opened before runs were recorded: its opening gets a run now.
            run_begin(kind=Kind.CYCLE_OPEN, target=str(locked.pk), cycle=locked, total=locked.opening_total)
        run_ids = list(BulkRun.objects.filter(cycle=locked).exclude(status=Status.FINISHED).order_by("pk").values_list("pk", flat=True))
        if not run_ids:
            raise InvalidTransition(_("Nothing to resume: the cycle's bulk work is finished."), status=locked.status,
                                    allowed_actions=flow.allowed_actions(actor))
        data = _claim_on_cycle(run_ids, flow)
        resumed["runs"] = run_ids
        return data

    edit(cycle, "resume_bulk_work", actor=actor, change=change, origin=origin)
    return list(BulkRun.objects.filter(pk__in=resumed["runs"]).order_by("pk"))


def _claim_on_cycle(run_ids: list[int], flow, *, stalled_before: datetime.datetime | None = None):
    """Claim the runs under the cycle's lock and queue each after the commit; what the cycle's
    audit event records (or UNCHANGED when another sweep got there first)."""
    claimed = []
    for run_id in run_ids:
        attempt = claim(run_id, stalled_before=stalled_before)
        if attempt is None:
            continue
        run = BulkRun.objects.get(pk=run_id)
        claimed.append({"run": run.pk, "kind": run.kind, "target": run.target, "attempt": attempt, "done": run.done, "total": run.total})
        flow.after_commit(partial(queue, run_id, attempt))
    if not claimed:
        return UNCHANGED
    return {"resumed": claimed}
