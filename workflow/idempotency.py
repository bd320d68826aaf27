"""Idempotent requests: the first successful response to an ``Idempotency-Key`` is kept and replayed.

The rule: a key is spent only by a success (a status code from 200 to 299). The record is written
in the same transaction as the change, so either both commit or neither does. A refusal or
failure, whether raised or answered, rolls the record back together with whatever the call had
begun, so a corrected retry with the same key runs afresh.
"""

from __future__ import annotations

from typing import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .errors import Conflict
from .models import IdempotencyRecord

KEY_MAX_LENGTH = IdempotencyRecord._meta.get_field("key").max_length


class _Unsuccessful(Exception):
    """Carries a non-2xx answer out of the transaction it rolls back."""

    def __init__(self, status_code: int, body: object):
        super().__init__(status_code)
        self.status_code, self.body = status_code, body


class _Duplicate(Exception):
    """Another request holds (or has committed) the same key."""


def run_once(*, user, key: str, fingerprint: str, call: Callable[[], tuple[int, object]]) -> tuple[int, object]:
    """Run ``call`` (returning status code and JSON body) once per (user, key).

    A replay of another request (``fingerprint``: its method and path) is a ``Conflict``; so is a
    duplicate that arrives while the first is still running. A concurrent duplicate waits on the
    unique index and then replays.
    """
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            record = _claim(user, key, fingerprint)
            status_code, body = call()
            if not 200 <= status_code < 300:
                raise _Unsuccessful(status_code, body)
            record.status_code, record.body = status_code, body
            record.save(update_fields=["status_code", "body"])
            return status_code, body
    except _Unsuccessful as unsuccessful:
        return unsuccessful.status_code, unsuccessful.body
    except _Duplicate:
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is None or existing.status_code is None:
            raise Conflict(_("A request with this Idempotency-Key is already in progress.")) from None
        return _replay(existing, fingerprint)


def _claim(user, key: str, fingerprint: str) -> IdempotencyRecord:
    # A savepoint of its own, so that only the record's unique index means "duplicate": an
    # IntegrityError raised by the call itself stays the call's error.
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        raise _Duplicate from None


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, object]:
    if record.fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was already used for another request."))
    return record.status_code, record.body
