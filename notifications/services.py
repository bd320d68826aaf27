from __future__ import annotations

from typing import Iterable

from django.utils import timezone

from .models import Notification


def notify_bulk(items: Iterable[tuple[object, str, int | None]]) -> list[Notification]:
    """Write notifications for (notice, document_type, document_id) triples in one INSERT."""
    rows = [
        Notification(
            recipient_id=notice.recipient_id,
            event=notice.event,
            document_type=document_type,
            document_id=document_id,
            data=notice.data,
        )
        for notice, document_type, document_id in items
        if notice.recipient_id is not None
    ]
    return Notification.objects.bulk_create(rows) if rows else []


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_for_user(user):
    return Notification.objects.filter(recipient=user)
