"""The audit trail: appending hash-chained events and verifying the chains."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.utils import timezone

from .models import AuditEvent


def _normalise(value: Any) -> Any:
    """Round-trip through JSON so that what is hashed is exactly what the database keeps."""
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder))


def event_hash(event: AuditEvent) -> str:
    payload = {
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
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
) -> AuditEvent:
    """An unsaved event with its hash, for bulk_create (the first event of new documents)."""
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
    )
    event.hash = event_hash(event)
    return event


def head_query(document_type: str, document_id: int, *, using: str = "default") -> tuple[str, list]:
    """The SQL of a document's last event's sequence and hash. Plain SQL: it runs on every
    transition, and the ORM's compiling of it cost more than the query."""
    table = connections[using].ops.quote_name(AuditEvent._meta.db_table)
    return (
        f"SELECT seq, hash FROM {table} WHERE document_type = %s AND document_id = %s ORDER BY seq DESC LIMIT 1",
        [document_type, document_id],
    )


def head(document_type: str, document_id: int, *, using: str = "default") -> tuple[int, str]:
    """The sequence and hash of a document's last event ((0, "") before the first)."""
    with connections[using].cursor() as cursor:
        cursor.execute(*head_query(document_type, document_id, using=using))
        return head_of(cursor.fetchall())


def head_of(rows) -> tuple[int, str]:
    return (rows[0][0], rows[0][1]) if rows else (0, "")


def next_event(
    *, document_type: str, document_id: int, action: str, using: str = "default",
    chain_head: tuple[int, str] | None = None, **fields,
) -> AuditEvent:
    """The document's next event, unsaved, chained to its head (read now unless given). The
    caller holds the document's row lock, so the read of the head and the insert cannot
    interleave with another writer's."""
    seq, prev_hash = chain_head if chain_head is not None else head(document_type, document_id, using=using)
    return build_event(
        document_type=document_type, document_id=document_id, action=action, seq=seq + 1, prev_hash=prev_hash, **fields
    )


def history(document_type: str, document_id: int):
    return AuditEvent.objects.filter(document_type=document_type, document_id=document_id).select_related(
        "actor", "on_behalf_of"
    ).order_by("seq")


@dataclass(frozen=True)
class Breach:
    event_id: int
    document: str
    seq: int
    reason: str


def verify(events: Iterable[AuditEvent] | None = None) -> Iterator[Breach]:
    """Recompute every chain; yield each event whose hash, link or sequence is wrong."""
    if events is None:
        events = AuditEvent.objects.order_by("document_type", "document_id", "seq").iterator(chunk_size=5000)
    current = None
    expected_seq, prev_hash = 1, ""
    for event in events:
        document = f"{event.document_type}#{event.document_id}"
        if document != current:
            current, expected_seq, prev_hash = document, 1, ""
        if event.seq != expected_seq:
            yield Breach(event.pk, document, event.seq, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != prev_hash:
            yield Breach(event.pk, document, event.seq, "link to the previous event is broken")
        if event_hash(event) != event.hash:
            yield Breach(event.pk, document, event.seq, "content does not match its hash")
        expected_seq, prev_hash = event.seq + 1, event.hash
