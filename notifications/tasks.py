"""Delivery tasks: they take ids, are safe to run twice, and retry with capped backoff.

Each kind of work has its own queue (CELERY_TASK_ROUTES): e-mail (dispatch_notifications,
deliver_many), webhooks (deliver_webhook, one task per delivery, so that a slow receiver holds
one webhook worker slot, never the e-mails nor the other endpoints), and sweeps.

A database error (PostgreSQL restarting, a stale connection) is retried by Celery after a few
seconds, doubling up to a minute: the rows stay pending and nothing waits for the sweep.
"""

from collections import Counter
from functools import partial

from celery import Task, shared_task
from celery.exceptions import Retry
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from .delivery import attempt_many, attempt_webhook, backoff
from .models import Delivery
from .services import BROKER_ERRORS, deliveries_due, hand_over, materialise_deliveries, unhanded_notifications


class DatabaseRetryTask(Task):
    """Celery's autoretry of database errors: countdowns of 1, 2, 4 ... 60 s (with jitter). On a
    worker, Celery's Django fixup closes the broken connection after the failed run, so the retry
    opens a fresh one.

    In-process (eager, `make run`) Celery raises the Retry instead of running the task again when
    errors propagate: here the retry runs at once, as it would without propagation."""

    abstract = True
    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 1
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 30

    def apply(self, args=None, kwargs=None, **options):
        try:
            return super().apply(args, kwargs, **options)
        except Retry as retry:
            if retry.sig is None:
                raise
            return retry.sig.apply(retries=(options.get("retries") or 0) + 1)


@shared_task(acks_late=True, ignore_result=True, base=DatabaseRetryTask)
def dispatch_notifications(notification_ids: list[int]) -> dict:
    """Create the notifications' deliveries (which marks them handed over) and send them."""
    return _deliver(materialise_deliveries(notification_ids))


@shared_task(acks_late=True, ignore_result=True, base=DatabaseRetryTask)
def deliver_many(delivery_ids: list[int]) -> dict:
    return _deliver(delivery_ids)


@shared_task(acks_late=True, ignore_result=True, base=DatabaseRetryTask)
def deliver_webhook(delivery_id: int) -> str:
    """One webhook delivery (the webhooks queue): sent, retried after the backoff, or deferred
    while its endpoint's circuit is open."""
    outcome, attempts = attempt_webhook(delivery_id)
    _follow_up(delivery_id, outcome, attempts)
    return outcome


def _deliver(delivery_ids: list[int]) -> dict:
    """E-mails here, in batches; each webhook handed to the webhooks queue."""
    webhooks: list[int] = []
    results = attempt_many(delivery_ids, hand_webhook=webhooks.append)
    outcomes = Counter(outcome for outcome, _attempts in results.values())
    outcomes["skipped"] += len(set(delivery_ids) - results.keys() - set(webhooks))
    for delivery_id, (outcome, attempts) in results.items():
        _follow_up(delivery_id, outcome, attempts)
    outcomes["webhooks"] += queue_webhooks(sorted(webhooks))
    return {outcome: count for outcome, count in outcomes.items() if count}


def queue_webhooks(delivery_ids: list[int]) -> int:
    """A task per webhook delivery; a broker that is down leaves them to the sweep."""
    queued = 0
    for delivery_id in delivery_ids:
        try:
            deliver_webhook.delay(delivery_id)
        except BROKER_ERRORS:
            break
        queued += 1
    return queued


def _follow_up(delivery_id: int, outcome: str, attempts: int) -> None:
    if outcome == "retry":
        schedule_retry(delivery_id, attempts)
    elif outcome == "deferred":
        _schedule(delivery_id, Delivery.objects.filter(pk=delivery_id).values_list("next_attempt_at", flat=True).first())


def schedule_retry(delivery_id: int, attempts: int) -> None:
    _schedule(delivery_id, timezone.now() + backoff(attempts))


def _schedule(delivery_id: int, when) -> None:
    from celery import current_app

    if when is None or current_app.conf.task_always_eager:
        # In-process (no broker) a countdown is not honoured: the retry would run at once and
        # hold the request; the scheduler's delivery sweep picks it up when next_attempt_at comes.
        return
    countdown = max((when - timezone.now()).total_seconds(), 0)
    webhook = Delivery.objects.filter(pk=delivery_id, channel=Delivery.Channel.WEBHOOK).exists()
    try:
        if webhook:
            deliver_webhook.apply_async((delivery_id,), countdown=countdown)
        else:
            deliver_many.apply_async(([delivery_id],), countdown=countdown)
    except BROKER_ERRORS:  # the broker is down: the sweep retries once next_attempt_at has come
        pass


def send_again_after_commit(delivery_id: int) -> None:
    """Hand a delivery set back to pending (HR's resend) to its queue once the caller commits."""
    transaction.on_commit(partial(_hand_over_delivery, delivery_id), robust=True)


def _hand_over_delivery(delivery_id: int) -> None:
    try:
        deliver_many.delay([delivery_id])
    except BROKER_ERRORS:  # the sweep takes it once it is stale
        pass


@shared_task(ignore_result=True)
def deliveries_sweep() -> dict:
    """Hand over what was never handed over (broker or process down), and retries now due."""
    handed = hand_over(unhanded_notifications())
    due = deliveries_due()
    for start in range(0, len(due), 500):
        try:
            deliver_many.delay(due[start:start + 500])
        except BROKER_ERRORS:
            break
    return {"notifications": handed, "deliveries": len(due)}


@shared_task(ignore_result=True)
def worker_heartbeat() -> str:
    """The sweeps queue's heartbeat (beat, every 30 s). Every worker also beats from a thread of
    its own (config/celery_app.py), which a backlog of slow tasks cannot delay."""
    from django.core.cache import cache

    now = timezone.now().isoformat()
    cache.set("kinerja:worker-heartbeat", now, 3600)
    return now
