"""Sending deliveries over their channel (e-mails in batches), recording each attempt."""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from workflow.locking import lock_rows

from .messages import render
from .models import Delivery, DeliveryAttempt, Notification, WebhookEndpoint
from .webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, open_guarded, sign

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


def email_message(delivery: Delivery) -> EmailMessage:
    notification = delivery.notification
    language = _language(notification)
    message = render(notification.event, notification.data, language)
    with translation.override(language):
        subject = f"[Kinerja] {message[:90]}"
        body = f"{message}\n\n{document_link(notification)}\n"
    return EmailMessage(
        subject, body, to=[notification.recipient.email],
        # A stable id: a mail system that sees the message twice can tell it is the same one.
        headers={"Message-ID": f"<{event_id(delivery)}@kinerja>"},
    )


class Mailer:
    """One connection to the mail server for a batch of e-mails (an SMTP session costs a
    connect, EHLO and QUIT), opened when first needed and again after a failure, which may
    have broken it."""

    def __init__(self):
        self.connection = None

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        message.connection = self.connection
        try:
            message.send(fail_silently=False)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass
            self.connection = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    # Connects only to the host's checked public addresses (notifications/webhooks.py).
    with open_guarded(request, timeout=delivery.endpoint.timeout_seconds) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(delivery.endpoint.url, response.status, "not 2xx", response.headers, None)


# E-mails sent over one connection and marked in one transaction. A worker killed amid a batch
# leaves the batch pending, so at most this many e-mails can go out twice (with the same
# Message-ID); small enough for that, large enough to spare a commit per e-mail.
EMAIL_BATCH = 50


def attempt(delivery_id: int) -> str:
    """Try one delivery once: "sent", "retry", "failed", or "skipped" (already sent, failed, or
    being sent by another worker right now)."""
    return attempt_many([delivery_id]).get(delivery_id, ("skipped", 0))[0]


def attempt_many(delivery_ids: list[int], *, hand_webhook=None) -> dict[int, tuple[str, int]]:
    """Try each pending delivery once: {id: (outcome, attempts so far)}; ids missing were
    skipped (already sent, failed, or being sent by another worker right now).

    A row stays locked while it is sent and is marked sent in the same transaction, so a task
    delivered twice (a worker died after the broker handed it over) finds it sent and skips it.
    E-mails go first, in batches over one connection; then each webhook in a transaction of its
    own (a slow endpoint must not hold the e-mails' marks back).
    """
    results: dict[int, tuple[str, int]] = {}
    with Mailer() as mailer:
        for start in range(0, len(delivery_ids), EMAIL_BATCH):
            results.update(_email_batch(delivery_ids[start:start + EMAIL_BATCH], mailer))
    rest = [pk for pk in delivery_ids if pk not in results]
    if rest:
        for pk in Delivery.objects.filter(pk__in=rest, status=Delivery.Status.PENDING).exclude(
                channel=Delivery.Channel.EMAIL).order_by("pk").values_list("pk", flat=True):
            if hand_webhook is not None:  # the worker queues each on the webhooks queue instead
                hand_webhook(pk)
            else:
                results.update(_webhook(pk))
    return results


def _email_batch(delivery_ids: list[int], mailer: Mailer) -> dict[int, tuple[str, int]]:
    results, log, sent = {}, [], []
    with transaction.atomic():
        deliveries = lock_rows(
            Delivery.objects.select_related("notification__recipient__employee")
            .filter(pk__in=delivery_ids, status=Delivery.Status.PENDING, channel=Delivery.Channel.EMAIL),
            skip_locked=True,
        )
        for delivery in deliveries:
            delivery.attempts += 1
            try:
                mailer.send(email_message(delivery))
            except Exception as error:  # any failure of the channel is recorded and retried
                results[delivery.pk] = (_failed(delivery, error), delivery.attempts)
                log.append(DeliveryAttempt(delivery=delivery, succeeded=False, error=delivery.last_error))
            else:
                results[delivery.pk] = ("sent", delivery.attempts)
                log.append(DeliveryAttempt(delivery=delivery, succeeded=True))
                sent.append(delivery.pk)
        if sent:  # one UPDATE for the batch's successes (each row counts its own attempts)
            Delivery.objects.filter(pk__in=sent).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="", attempts=F("attempts") + 1)
        DeliveryAttempt.objects.bulk_create(log)
    return results


def _webhook(delivery_id: int) -> dict[int, tuple[str, int]]:
    """Send one webhook in a transaction of its own, unless its endpoint's circuit is open: then
    the delivery waits (no attempt counted) until the endpoint's retry_after."""
    deferred = _circuit_deferral(delivery_id)
    if deferred is not None:
        return deferred
    with transaction.atomic():
        delivery = lock_rows(
            Delivery.objects.select_related("notification__recipient", "endpoint")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING),
            skip_locked=True,
        ).first()
        if delivery is None:
            return {}
        if not delivery.endpoint.is_active:
            # HR deactivated the endpoint since: nothing more goes there, visibly.
            delivery.status, delivery.last_error = Delivery.Status.FAILED, "endpoint deactivated"
            delivery.save(update_fields=["status", "last_error"])
            return {delivery.pk: ("failed", delivery.attempts)}
        delivery.attempts += 1
        try:
            send_webhook(delivery)
        except Exception as error:  # any failure of the channel is recorded and retried
            outcome = _failed(delivery, error)
            DeliveryAttempt.objects.create(delivery=delivery, succeeded=False, error=delivery.last_error)
            _endpoint_failed(delivery.endpoint_id)
        else:
            delivery.status, delivery.sent_at, delivery.last_error, outcome = Delivery.Status.SENT, timezone.now(), "", "sent"
            delivery.save(update_fields=["status", "attempts", "sent_at", "last_error"])
            DeliveryAttempt.objects.create(delivery=delivery, succeeded=True)
            _endpoint_succeeded(delivery.endpoint_id)
    return {delivery.pk: (outcome, delivery.attempts)}


def breaker_threshold() -> int:
    return getattr(settings, "KINERJA_WEBHOOK_BREAKER_THRESHOLD", 3)


def _circuit_deferral(delivery_id: int) -> dict[int, tuple[str, int]] | None:
    """With the endpoint's circuit open, one delivery claims the probe once retry_after has come
    and the others wait: a failing receiver costs one timeout per backoff, not one per event.

    Each statement commits on its own (no transaction around them): the claim must not keep the
    endpoint's row locked while the probe waits on the receiver."""
    row = (Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, endpoint__isnull=False)
           .values("attempts", "endpoint_id", "endpoint__consecutive_failures", "endpoint__timeout_seconds").first())
    if row is None or row["endpoint__consecutive_failures"] < breaker_threshold():
        return None
    now = timezone.now()
    # The probe holds the circuit for its own timeout and a margin; its outcome sets what follows.
    lease = now + datetime.timedelta(seconds=row["endpoint__timeout_seconds"] + 5)
    claimed = WebhookEndpoint.objects.filter(
        Q(retry_after__isnull=True) | Q(retry_after__lte=now), pk=row["endpoint_id"],
        consecutive_failures__gte=breaker_threshold(),
    ).update(retry_after=lease)
    if claimed:
        return None
    wait = WebhookEndpoint.objects.filter(pk=row["endpoint_id"]).values_list("retry_after", flat=True).first() or lease
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(next_attempt_at=wait)
    return {delivery_id: ("deferred", row["attempts"])}


def _endpoint_failed(endpoint_id: int) -> None:
    """One more failure in a row; from the threshold on, the circuit opens for the backoff."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = WebhookEndpoint.objects.filter(pk=endpoint_id).values_list("consecutive_failures", flat=True).first() or 0
    if failures >= breaker_threshold():
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(
            retry_after=timezone.now() + backoff(failures - breaker_threshold() + 1))


def _endpoint_succeeded(endpoint_id: int) -> None:
    """The receiver answered: the circuit closes (one UPDATE only when it had counted failures)."""
    WebhookEndpoint.objects.filter(Q(consecutive_failures__gt=0) | Q(retry_after__isnull=False), pk=endpoint_id).update(
        consecutive_failures=0, retry_after=None)


def _failed(delivery: Delivery, error: Exception) -> str:
    """Record a failed attempt on the row: retried after the backoff, or given up."""
    logger.warning("delivery %s (%s) failed: %s", delivery.pk, delivery.channel, error)
    delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
    if delivery.attempts >= settings.KINERJA_DELIVERY_MAX_ATTEMPTS:
        delivery.status, outcome = Delivery.Status.FAILED, "failed"
    else:
        delivery.next_attempt_at, outcome = timezone.now() + backoff(delivery.attempts), "retry"
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
    return outcome


def attempt_webhook(delivery_id: int) -> tuple[str, int]:
    """Try one webhook delivery: ("sent" | "retry" | "failed" | "deferred" | "skipped", attempts)."""
    return _webhook(delivery_id).get(delivery_id, ("skipped", 0))
