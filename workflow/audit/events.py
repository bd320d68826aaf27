"""Audit events: built with their MAC, chained per document, read back as a history."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ..models import AuditEvent
from . import keys


def _normalise(value: Any) -> Any:
    """Round-trip through JSON so that what is signed is exactly what the database keeps."""
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder))


def _payload(event: AuditEvent) -> dict:
    return {
        "document_type": event.document_type,
        "document_id": event.document_id,
        "seq": event.seq,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor_id,
        "on_behalf_of": event.on_behalf_of_id,
        "at": event.at.astimezone(datetime.timezone.utc).isoformat(),
        "comment": event.comment,
        "data": event.data,
        "origin": event.origin,
        "prev_hash": event.prev_hash,
    }


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(event: AuditEvent, key: keys.Key) -> str:
    """The event's HMAC-SHA256 with ``key``; the key's id is part of what is signed."""
    return key.sign(_canonical({**_payload(event), "key_id": key.id}))


def unkeyed_hash(event: AuditEvent) -> str:
    """The plain sha256 of events written before the audit key existed (verified, never written)."""
    return hashlib.sha256(_canonical(_payload(event))).hexdigest()


def event_hash(event: AuditEvent) -> str | None:
    """What ``event.hash`` must be: its MAC with the key it names, its sha256 if it names none,
    None if it names a key this installation does not have."""
    if event.key_id == keys.UNKEYED:
        return unkeyed_hash(event)
    key = keys.keyring().for_event(event.key_id)
    return None if key is None else sign(event, key)


def build_event(
    *,
    document_type: str,
    document_id: int,
    action: str,
    seq: int = 1,
    prev_hash: str = "",
    from_state: str = "",
    to_state: str = "",
    actor_id: int | None = None,
    on_behalf_of_id: int | None = None,
    comment: str = "",
    data: dict | None = None,
    origin: dict | None = None,
    at=None,
    key: keys.Key | None = None,
) -> AuditEvent:
    """An unsaved event, signed with the current audit key (or ``key``)."""
    key = key or keys.current()
    event = AuditEvent(
        document_type=document_type,
        document_id=document_id,
        seq=seq,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor_id,
        on_behalf_of_id=on_behalf_of_id,
        at=at or timezone.now(),
        comment=comment,
        data=_normalise(data),
        origin=_normalise(origin),
        prev_hash=prev_hash,
        key_id=key.id,
    )
    event.hash = sign(event, key)
    return event


def next_event(*, document_type: str, document_id: int, action: str, chain_head: tuple[int, str], **fields) -> AuditEvent:
    """The next event of a chain whose anchored head is ``chain_head`` (sequence, last hash):
    read from the document's locked row or the record's head, never from the events themselves,
    so that a chain whose tail was deleted keeps its gap instead of growing over it."""
    seq, prev_hash = chain_head
    return build_event(
        document_type=document_type, document_id=document_id, action=action, seq=seq + 1, prev_hash=prev_hash, **fields
    )


def history(document_type: str, document_id: int):
    return AuditEvent.objects.filter(document_type=document_type, document_id=document_id).select_related(
        "actor", "on_behalf_of"
    ).order_by("seq")
