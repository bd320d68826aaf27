"""HR's progress figures from a stored snapshot instead of a recount per request.

Counting a large cycle's documents takes about a second (1.2 million report index entries for
100,000 employees); HR's API and page read the cycle's ``ProgressSnapshot`` instead, which Celery
beat refreshes every 30-60 s (``refresh_open_cycles_progress_task``) and which a read of a stale
snapshot asks to refresh. ``KINERJA_PROGRESS_MAX_AGE`` (seconds) is how old a snapshot may be
before it counts as stale; 0 turns snapshots off: every read counts live.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from ..models import Cycle, ProgressSnapshot
from ..selectors import cycle_progress

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 60
# How long one queued refresh stands for every stale read of the cycle. Long enough to cover a
# refresh of a large cycle, short enough that a lost task is queued again soon.
REFRESH_LOCK_SECONDS = 60
BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError, TimeoutError)
# Decoded snapshots kept in this process, by cycle: (computed_at, data). Decoding a large cycle's
# snapshot (4 MB of JSON, 17 MB as Python objects for 100,000 people) costs more than 100 ms,
# while checking that the one held is still the stored one is a one-column read. Few cycles
# are open at a time; MEMO_CYCLES bounds the memory.
MEMO_CYCLES = 4
_decoded: dict[int, tuple[datetime.datetime, dict]] = {}
_decoded_lock = threading.Lock()  # threaded servers share the memo


def max_age() -> int:
    return int(getattr(settings, "KINERJA_PROGRESS_MAX_AGE", DEFAULT_MAX_AGE))


def refresh_lock_key(cycle_id: int) -> str:
    return f"kinerja:progress-refresh:{cycle_id}"


def refresh_progress(cycle: Cycle) -> ProgressSnapshot:
    """Count the cycle's progress now and store it as its snapshot (one upsert)."""
    computed_at = timezone.now()  # the counts are at least as old as the start of the counting
    started = time.perf_counter()
    data = cycle_progress(cycle)
    snapshot = ProgressSnapshot(cycle=cycle, computed_at=computed_at, data=data, seconds=round(time.perf_counter() - started, 3))
    # Refreshes race (beat, a stale read's, HR's "refresh now"), and on a large cycle a count that
    # started earlier may finish later: the stored snapshot is only ever replaced by a newer one.
    # Insert if there is none (a racing insert wins, no error), then replace one that is older.
    ProgressSnapshot.objects.bulk_create([snapshot], ignore_conflicts=True)
    ProgressSnapshot.objects.filter(cycle=cycle, computed_at__lt=computed_at).update(
        computed_at=computed_at, data=data, seconds=snapshot.seconds
    )
    with _decoded_lock:
        _decoded.pop(cycle.pk, None)
    return snapshot


def forget_decoded() -> None:
    """Drop this process's decoded snapshots (the next read of each decodes it again)."""
    with _decoded_lock:
        _decoded.clear()


def _stored(cycle: Cycle) -> tuple[datetime.datetime, dict] | None:
    """The cycle's stored snapshot as (computed_at, data), decoded once per process and version.
    The data is shared between reads: read it, never change it."""
    computed_at = ProgressSnapshot.objects.filter(cycle=cycle).values_list("computed_at", flat=True).first()
    if computed_at is None:
        return None
    held = _decoded.get(cycle.pk)
    if held is not None and held[0] == computed_at:
        return held
    row = ProgressSnapshot.objects.filter(cycle=cycle).values_list("computed_at", "data").first()
    if row is None:  # deleted in between (the cycle with it)
        return None
    with _decoded_lock:
        _decoded.pop(cycle.pk, None)
        while len(_decoded) >= MEMO_CYCLES:
            del _decoded[next(iter(_decoded))]  # the one decoded longest ago
        _decoded[cycle.pk] = row
    return row


def queue_refresh(cycle_id: int) -> bool:
    """Queue one background refresh of the cycle: a burst of stale reads queues it once (the
    cache lock stands until the task ends or REFRESH_LOCK_SECONDS pass). True if queued now."""
    from ..tasks import refresh_progress_task

    if max_age() <= 0:  # snapshots are off: every read counts live
        return False
    key = refresh_lock_key(cycle_id)
    if not cache.add(key, 1, timeout=REFRESH_LOCK_SECONDS):
        return False
    try:
        refresh_progress_task.delay(cycle_id)
    except BROKER_ERRORS as error:  # the broker is down: HR still gets the snapshot; beat refreshes later
        cache.delete(key)
        logger.warning("could not queue the progress refresh of cycle %s: %s", cycle_id, error)
        return False
    return True


def release_refresh(cycle_id: int) -> None:
    cache.delete(refresh_lock_key(cycle_id))


def progress_of(cycle: Cycle) -> dict:
    """``cycle_progress(cycle)`` as of its snapshot, with ``as_of`` (ISO time of the counting)
    and ``stale``. No snapshot yet: counted now and stored. Older than the max age: returned
    as is, marked stale, and a refresh is queued. Max age 0: counted live, nothing stored."""
    limit = max_age()
    if limit <= 0:
        as_of = timezone.now()
        return _with_freshness(cycle, cycle_progress(cycle), as_of, stale=False)
    stored = _stored(cycle)
    if stored is None:
        snapshot = refresh_progress(cycle)
        return _with_freshness(cycle, snapshot.data, snapshot.computed_at, stale=False)
    computed_at, data = stored
    stale = timezone.now() - computed_at > datetime.timedelta(seconds=limit)
    if stale:
        queue_refresh(cycle.pk)
    return _with_freshness(cycle, data, computed_at, stale=stale)


def _with_freshness(cycle: Cycle, data: dict, as_of: datetime.datetime, *, stale: bool) -> dict:
    # The cycle's own status and opening figures come from the row the caller already holds, so
    # that closing a cycle or the opening's progress shows at once; only the counts may lag.
    return {**data, "status": cycle.status, "opening": {"total": cycle.opening_total, "done": cycle.opening_done},
            "as_of": as_of.isoformat(), "stale": stale}
