"""Idempotent requests: the first response to an ``Idempotency-Key`` is kept and replayed."""

from __future__ import annotations

from typing import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .errors import Conflict
from .models import IdempotencyRecord


def run_once(*, user, key: str, fingerprint: str, call: Callable[[], tuple[int, object]]) -> tuple[int, object]:
    """Run ``call`` (returning status code and JSON body) once per (user, key).

    The record is inserted in the same transaction as the change, so either both commit or
    neither does; a concurrent duplicate waits on the unique index and then replays.
    """
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
            status_code, body = call()
            record.status_code, record.body = status_code, body
            record.save(update_fields=["status_code", "body"])
            return status_code, body
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is None or existing.status_code is None:
            raise Conflict(_("A request with this Idempotency-Key is already in progress.")) from None
        return _replay(existing, fingerprint)


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, object]:
    if record.fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was already used for another request."))
    return record.status_code, record.body
