"""The outbox: notifications written with the change, turned into deliveries after the commit."""

from __future__ import annotations

import logging
from functools import partial
from typing import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from .endpoints import (  # noqa: F401  (the webhook services, long imported from here)
    ENDPOINTS_CACHE_KEY,
    active_endpoints,
    endpoints_for,
    forget_endpoints,
    webhook_check,
    webhook_deactivate,
    webhook_register,
)
from .models import Delivery, Notification

logger = logging.getLogger(__name__)
# Only the broker being unreachable is tolerated here; any other error is a bug and is raised.
BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError, TimeoutError)
HAND_OVER_CHUNK = 500
# Default of settings.KINERJA_HANDOVER_GRACE_SECONDS.
HANDOVER_GRACE_SECONDS = 300


def notify_bulk(items: Iterable[tuple[object, str, int | None]]) -> list[Notification]:
    """Write notifications for (notice, document_type, document_id) triples in one INSERT, in the
    caller's transaction, and hand them to Celery after the commit (never inside it)."""
    rows = outbox_rows(items)
    if not rows:
        return []
    notifications = Notification.objects.bulk_create(rows)
    hand_over_after_commit(notifications)
    return notifications


def outbox_rows(items: Iterable[tuple[object, str, int | None]]) -> list[Notification]:
    """Unsaved notifications for (notice, document_type, document_id) triples (the engine
    inserts them with the rest of a transition's writes)."""
    return [
        Notification(recipient_id=notice.recipient_id, event=notice.event, document_type=document_type,
                     document_id=document_id, data=notice.data)
        for notice, document_type, document_id in items
        if notice.recipient_id is not None
    ]


def hand_over_after_commit(notifications: list[Notification]) -> None:
    """Publish saved notifications once the caller's transaction commits. Robust: a broker that
    is down must not fail the committed action; the sweep hands the rows over once it is back."""
    if notifications:
        transaction.on_commit(partial(hand_over, [n.pk for n in notifications]), robust=True)


def hand_over(notification_ids: list[int]) -> int:
    """Queue notifications on Celery in chunks; returns how many the broker accepted.

    Publishing is all the request does: the worker marks the rows handed over when it creates
    their deliveries (no UPDATE and commit of its own on the request's path), and the sweep
    hands over again what no worker took within the grace period.
    """
    from .tasks import dispatch_notifications

    handed = 0
    for start in range(0, len(notification_ids), HAND_OVER_CHUNK):
        chunk = notification_ids[start:start + HAND_OVER_CHUNK]
        try:
            dispatch_notifications.delay(chunk)
        except BROKER_ERRORS as error:  # the broker is down: the sweep will hand these over
            logger.warning("could not hand over %s notifications: %s", len(chunk), error)
            continue
        handed += len(chunk)
    return handed


def materialise_deliveries(notification_ids: list[int]) -> list[int]:
    """The e-mail and webhook deliveries of notifications (created once however often this
    runs), marking the notifications handed over; returns the ids of those still pending."""
    notifications = list(Notification.objects.filter(pk__in=notification_ids)
                         .values_list("pk", "recipient_id", "event", "document_type", "document_id"))
    recipients = {recipient for _pk, recipient, _event, _kind, _document in notifications}
    # One query: the recipients with an address who did not turn e-mail off.
    by_email = set(
        get_user_model().objects.filter(pk__in=recipients).exclude(email="")
        .exclude(notification_preference__email=False).values_list("pk", flat=True)
    )
    # Each event goes to the endpoints that want it and whose agency scope holds its document.
    endpoints = endpoints_for([(pk, event, kind, document, recipient) for pk, recipient, event, kind, document in notifications])
    rows = []
    for pk, recipient, _event, _kind, _document in notifications:
        if recipient in by_email:
            rows.append(Delivery(notification_id=pk, channel=Delivery.Channel.EMAIL))
        rows.extend(Delivery(notification_id=pk, channel=Delivery.Channel.WEBHOOK, endpoint_id=endpoint_id)
                    for endpoint_id in endpoints[pk])
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        # Handed over = its deliveries exist: from here on the delivery sweep looks after them.
        Notification.objects.filter(pk__in=notification_ids, handed_over_at__isnull=True).update(handed_over_at=timezone.now())
    return list(Delivery.objects.filter(notification_id__in=notification_ids, status=Delivery.Status.PENDING,
                                        next_attempt_at__isnull=True).values_list("pk", flat=True))


def handover_grace() -> timezone.timedelta:
    """How long a notification may wait in the queue for a worker before the sweep publishes it
    again: well beyond a normal backlog, so that the sweep does not duplicate queued work."""
    return timezone.timedelta(seconds=getattr(settings, "KINERJA_HANDOVER_GRACE_SECONDS", HANDOVER_GRACE_SECONDS))


def unhanded_notifications(now=None) -> list[int]:
    """Notifications no worker has taken within the grace period (the broker was down when they
    were published, or the process died between the commit and publishing)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(handed_over_at__isnull=True, created_at__lt=now - handover_grace())
        .values_list("pk", flat=True)[:20000]
    )


def deliveries_due(now=None) -> list[int]:
    """Pending deliveries whose retry is overdue, or that have waited too long (their worker died).

    With a broker, a retry is queued with its countdown when it is scheduled: the sweep takes it
    only once it is overdue by the hand-over grace (its task was lost: broker down, worker killed).
    Taking it as soon as it is due would queue it a second time while its own task waits in the
    worker, and a busy queue would fill with duplicates that each find nothing to do. In-process
    (no broker) no countdown runs, so the sweep is the retry and takes it when it is due."""
    from celery import current_app

    now = now or timezone.now()
    stale = now - timezone.timedelta(seconds=settings.KINERJA_DELIVERY_STALE_SECONDS)
    grace = 0 if current_app.conf.task_always_eager else settings.KINERJA_HANDOVER_GRACE_SECONDS
    overdue = now - timezone.timedelta(seconds=grace)
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .filter(Q(next_attempt_at__lte=overdue) | Q(next_attempt_at__isnull=True, created_at__lt=stale))
        .values_list("pk", flat=True)[:20000]
    )


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_for_user(user):
    return Notification.objects.filter(recipient=user)
