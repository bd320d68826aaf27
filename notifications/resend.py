"""HR sends a failed delivery again: audited on the delivery's own chain, back to pending with a
new series of attempts, handed to Celery after the commit.

Only a failed delivery can be resent. A pending one is already on its way and a sent one has
arrived: both are refused as a conflict (the API's 409) and nothing changes, so a double click or
a retried request never sends twice.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from workflow import engine
from workflow.errors import Conflict, NotPermitted

from .models import Delivery
from .selectors import deliveries_for_hr


def delivery_resend(*, actor, delivery: Delivery, origin: dict | None = None) -> Delivery:
    """Set a failed delivery back to pending (attempts from 0) and queue it after the commit.
    ``actor`` None is the system (the management command); a person must be HR of the
    delivery's agency (see ``deliveries_for_hr``)."""
    from .tasks import send_again_after_commit

    if actor is not None and not deliveries_for_hr(actor).filter(pk=delivery.pk).exists():
        raise NotPermitted(_("Only HR of the recipient's agency may send this delivery again."))

    def change(locked: Delivery) -> dict:
        if locked.status != Delivery.Status.FAILED:
            raise Conflict(_("Only a failed delivery can be sent again; this one is %(status)s.")
                           % {"status": locked.get_status_display()}, status=locked.status)
        if locked.endpoint_id is not None and not locked.endpoint.is_active:
            raise Conflict(_("The webhook is deactivated: nothing can be sent to it."), status=locked.status)
        recorded = {"attempts_before": locked.attempts, "last_error": locked.last_error[:500]}
        locked.status, locked.attempts, locked.next_attempt_at, locked.last_error = Delivery.Status.PENDING, 0, None, ""
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
        return recorded

    with transaction.atomic():
        engine.record(delivery, "resend", actor=actor, change=change, origin=origin)
        send_again_after_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def deliveries_resend(*, ids: list[int] | None = None, failed_since: datetime.datetime | None = None) -> tuple[list[int], list[str]]:
    """The command's resend, as the system: the given ids, or every delivery failed since a
    time (its last attempt then or later). Returns (the ids resent, what was refused, why)."""
    deliveries = Delivery.objects.filter(status=Delivery.Status.FAILED) if ids is None else Delivery.objects.filter(pk__in=ids)
    if failed_since is not None:
        deliveries = deliveries.filter(attempt_log__at__gte=failed_since).distinct()
    resent, refused = [], []
    found = set()
    for delivery in deliveries.order_by("pk"):
        found.add(delivery.pk)
        try:
            delivery_resend(actor=None, delivery=delivery, origin={"channel": "command"})
        except Conflict as error:
            refused.append(f"{delivery.pk}: {error.message}")
        else:
            resent.append(delivery.pk)
    refused.extend(f"{pk}: {_('no such delivery')}" for pk in sorted(set(ids or []) - found))
    return resent, refused

