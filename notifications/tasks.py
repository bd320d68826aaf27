"""Delivery tasks: they take ids, are safe to run twice, and retry with capped backoff."""

from collections import Counter

from celery import shared_task
from django.utils import timezone

from .delivery import attempt_many, backoff
from .services import BROKER_ERRORS, deliveries_due, hand_over, materialise_deliveries, unhanded_notifications


@shared_task(acks_late=True, ignore_result=True)
def dispatch_notifications(notification_ids: list[int]) -> dict:
    """Create the notifications' deliveries (which marks them handed over) and send them."""
    return _deliver(materialise_deliveries(notification_ids))


@shared_task(acks_late=True, ignore_result=True)
def deliver_many(delivery_ids: list[int]) -> dict:
    return _deliver(delivery_ids)


def _deliver(delivery_ids: list[int]) -> dict:
    results = attempt_many(delivery_ids)
    outcomes = Counter(outcome for outcome, _attempts in results.values())
    outcomes["skipped"] += len(set(delivery_ids) - results.keys())
    for delivery_id, (outcome, attempts) in results.items():
        if outcome == "retry":
            schedule_retry(delivery_id, attempts)
    return {outcome: count for outcome, count in outcomes.items() if count}


def schedule_retry(delivery_id: int, attempts: int) -> None:
    from celery import current_app

    if current_app.conf.task_always_eager:
        # In-process (no broker) a countdown is not honoured: the retry would run at once and
        # hold the request; the scheduler's delivery sweep picks it up when next_attempt_at comes.
        return
    try:
        deliver_many.apply_async(([delivery_id],), countdown=backoff(attempts).total_seconds())
    except BROKER_ERRORS:  # the broker is down: the sweep retries once next_attempt_at has come
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
    from django.core.cache import cache

    now = timezone.now().isoformat()
    cache.set("kinerja:worker-heartbeat", now, 3600)
    return now
