"""Sending one delivery over its channel, recording the attempt, scheduling the retry."""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation

from .messages import render
from .models import Delivery, DeliveryAttempt, Notification
from .webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

logger = logging.getLogger(__name__)


def backoff(attempts: int) -> datetime.timedelta:
    """Exponential, capped: 30 s, 60 s, 120 s, ... up to the cap."""
    seconds = min(settings.KINERJA_DELIVERY_BACKOFF_BASE * 2 ** max(attempts - 1, 0), settings.KINERJA_DELIVERY_BACKOFF_CAP)
    return datetime.timedelta(seconds=seconds)


def event_id(delivery: Delivery) -> str:
    return f"kinerja-{delivery.notification_id}-{delivery.pk}"


def document_link(notification: Notification) -> str:
    if not notification.document_type:
        return settings.KINERJA_SITE_URL
    return f"{settings.KINERJA_SITE_URL.rstrip('/')}/d/{notification.document_type}/{notification.document_id}/"


def _language(notification: Notification) -> str:
    employee = getattr(notification.recipient, "employee", None)
    return employee.language if employee is not None else settings.LANGUAGE_CODE


def send_email(delivery: Delivery) -> None:
    notification = delivery.notification
    language = _language(notification)
    message = render(notification.event, notification.data, language)
    with translation.override(language):
        subject = f"[Kinerja] {message[:90]}"
        body = f"{message}\n\n{document_link(notification)}\n"
    email = EmailMessage(
        subject, body, to=[notification.recipient.email],
        # A stable id: a mail system that sees the message twice can tell it is the same one.
        headers={"Message-ID": f"<{event_id(delivery)}@kinerja>"},
    )
    email.send(fail_silently=False)


def webhook_body(delivery: Delivery) -> bytes:
    notification = delivery.notification
    return json.dumps({
        "id": event_id(delivery),
        "event": notification.event,
        "created_at": notification.created_at.isoformat(),
        "document": {"type": notification.document_type, "id": notification.document_id,
                     "url": document_link(notification)},
        "recipient": {"id": notification.recipient_id, "username": notification.recipient.username},
        "data": notification.data,
    }, sort_keys=True).encode()


def send_webhook(delivery: Delivery) -> None:
    body = webhook_body(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(delivery.endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "kinerja-webhook/1",
        EVENT_ID_HEADER: event_id(delivery),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, timestamp, body),
    })
    with urllib.request.urlopen(request, timeout=settings.KINERJA_WEBHOOK_TIMEOUT) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(delivery.endpoint.url, response.status, "not 2xx", response.headers, None)


SENDERS = {Delivery.Channel.EMAIL: send_email, Delivery.Channel.WEBHOOK: send_webhook}


def attempt(delivery_id: int) -> str:
    """Try one delivery once: "sent", "retry", "failed", or "skipped" (already sent, failed, or
    being sent by another worker right now).

    The row stays locked while it is sent and is marked sent in the same transaction, so a task
    delivered twice (a worker died after the broker handed it over) finds it sent and skips it.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient__employee", "endpoint")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        now = timezone.now()
        if delivery.channel == Delivery.Channel.WEBHOOK and not delivery.endpoint.is_active:
            # HR deactivated the endpoint since: nothing more goes there, visibly.
            delivery.status, delivery.last_error = Delivery.Status.FAILED, "endpoint deactivated"
            delivery.save(update_fields=["status", "last_error"])
            return "failed"
        delivery.attempts += 1
        try:
            SENDERS[delivery.channel](delivery)
        except Exception as error:  # any failure of the channel is recorded and retried
            logger.warning("delivery %s (%s) failed: %s", delivery.pk, delivery.channel, error)
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if delivery.attempts >= settings.KINERJA_DELIVERY_MAX_ATTEMPTS:
                delivery.status, outcome = Delivery.Status.FAILED, "failed"
            else:
                delivery.next_attempt_at, outcome = now + backoff(delivery.attempts), "retry"
            DeliveryAttempt.objects.create(delivery=delivery, succeeded=False, error=delivery.last_error)
        else:
            delivery.status, delivery.sent_at, delivery.last_error, outcome = Delivery.Status.SENT, now, "", "sent"
            DeliveryAttempt.objects.create(delivery=delivery, succeeded=True)
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "sent_at", "last_error"])
    return outcome
