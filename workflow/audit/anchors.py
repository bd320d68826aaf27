"""Anchors: each chain's head (its last event's sequence and hash) kept apart from the events,
signed, so that deleting a chain's tail or the whole chain shows.

- A document's head is kept on its own row (``Document.audit_seq``, ``audit_last``,
  ``audit_anchor``): the engine updates that row on every transition anyway, so the head costs
  no extra statement there, and the lock that reads the row reads the head with it.
- A record's head (a chain written by ``engine.record`` on a row that is not a document: a unit,
  a role, a delegation; its row may even go) is kept in ``AuditHead``; and the number of such
  chains per type in ``AuditTally``, so that a chain deleted together with its head shows too.

An anchor is ``<key id>:<HMAC(type, id, seq, last hash)>`` with the current audit key: it is not
the last event's hash, which anyone can read from the events and copy back after deleting the
tail, but a value only the key holder can compute for a given head.
"""

from __future__ import annotations

from django.db import connections, models

from ..models import AuditEvent, AuditHead, AuditTally, Document
from ..prepared import fast_path_enabled
from . import keys

ANCHOR_FIELDS = ("audit_seq", "audit_last", "audit_anchor")
# Rows per UPDATE when the heads of many new documents are written at once.
_BULK_BATCH = 1000


class ChainWithoutHead(RuntimeError):
    """A record's chain has events but no anchored head: it was tampered with (``verify_audit``
    says how); appending to it would hide that."""


def _signed(key: keys.Key, *parts) -> str:
    return f"{key.id}:{key.sign(chr(0).join(map(str, parts)).encode())}"


def anchor(document_type: str, document_id: int, seq: int, last: str, *, key: keys.Key | None = None) -> str:
    return _signed(key or keys.current(), "anchor", document_type, document_id, seq, last)


def tally_anchor(document_type: str, chains: int, *, key: keys.Key | None = None) -> str:
    return _signed(key or keys.current(), "tally", document_type, chains)


RETIRED = "anchored with a retired key (after a key rotation, run verify_audit --reanchor)"


def anchor_problem(value: str, sign) -> str | None:
    """Why the stored anchor ``value`` is not what ``sign(key)`` gives with the current key, or
    None. Only the current key vouches for a head; an anchor that verifies with a retired key
    (after a rotation) is reported as such, for ``verify_audit --reanchor`` to re-sign. One that
    merely names a retired key (key ids are public) is a forgery like any other."""
    if value == sign(keys.current()):
        return None
    retired = keys.keyring().retired.get(value.partition(":")[0])
    if retired is not None and value == sign(retired):
        return RETIRED
    return "its anchored head does not verify"


def save_head(instance: models.Model, event: AuditEvent, *, using: str) -> None:
    """Anchor ``event`` as the head of ``instance``'s chain: on a document's row, else apart."""
    if isinstance(instance, Document):
        save_document_head(instance, event, using=using)
    else:
        save_record_head(event, using=using)


# Documents: the head on the document's row ----------------------------------------------------------


def stamp(document: models.Model, event: AuditEvent) -> None:
    """Set ``document``'s head to ``event`` (the caller saves the fields ``ANCHOR_FIELDS``)."""
    document.audit_seq = event.seq
    document.audit_last = event.hash
    document.audit_anchor = anchor(event.document_type, event.document_id, event.seq, event.hash)


def save_document_head(document: models.Model, event: AuditEvent, *, using: str) -> None:
    """Stamp and save the head of a document whose row is written no other way in this step."""
    stamp(document, event)
    type(document)._default_manager.using(using).filter(pk=document.pk).update(
        **{name: getattr(document, name) for name in ANCHOR_FIELDS}
    )


def save_document_heads(documents: list[models.Model], events: list[AuditEvent], *, using: str) -> None:
    """The first heads of documents just created in bulk (``events[i]`` is ``documents[i]``'s):
    one UPDATE joined to the heads' VALUES per thousand documents (Django's ``bulk_update``, which
    builds a CASE per field, doubled the time to open a cycle; it runs with the fast path off)."""
    for document, event in zip(documents, events, strict=True):
        stamp(document, event)
    if not documents:
        return
    model = type(documents[0])
    if not fast_path_enabled():
        model._default_manager.using(using).bulk_update(documents, ANCHOR_FIELDS, batch_size=_BULK_BATCH)
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = [quote(model._meta.get_field(name).column) for name in ANCHOR_FIELDS]
    assignments = ", ".join(f"{column} = heads.{column}" for column in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(documents), _BULK_BATCH):
            chunk = documents[start:start + _BULK_BATCH]
            # A CTE names the VALUES' columns the same way on PostgreSQL and SQLite.
            cursor.execute(
                f"WITH heads (id, {', '.join(columns)}) AS (VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM heads WHERE {table}.{pk} = heads.id",
                [value for document in chunk for value in (document.pk, *(getattr(document, name) for name in ANCHOR_FIELDS))],
            )


# Records: the head in AuditHead, the number of chains in AuditTally ---------------------------------


def record_head(document_type: str, document_id: int, *, using: str) -> tuple[int, str]:
    """A record chain's head ((0, "") before its first event). The caller holds the record's lock."""
    row = AuditHead.objects.using(using).filter(document_type=document_type, document_id=document_id).values_list(
        "seq", "last").first()
    if row is not None:
        return row
    if AuditEvent.objects.using(using).filter(document_type=document_type, document_id=document_id).exists():
        raise ChainWithoutHead(f"{document_type}#{document_id} has audit events but no anchored head")
    return 0, ""


def save_record_head(event: AuditEvent, *, using: str) -> None:
    """Move a record chain's head to ``event``; a first event starts the chain and counts it."""
    values = {"seq": event.seq, "last": event.hash, "anchor": anchor(event.document_type, event.document_id, event.seq, event.hash)}
    if event.seq == 1:
        AuditHead.objects.using(using).create(document_type=event.document_type, document_id=event.document_id, **values)
        count_chains(event.document_type, 1, using=using)
    else:
        AuditHead.objects.using(using).filter(document_type=event.document_type, document_id=event.document_id).update(**values)


def count_chains(document_type: str, added: int, *, using: str) -> None:
    """Add ``added`` record chains to the type's tally and re-sign it. The upsert locks the
    tally's row until the commit, so concurrent writers count in turn."""
    connection = connections[using]
    table = connection.ops.quote_name(AuditTally._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (document_type, chains, anchor) VALUES (%s, %s, '') "
            f"ON CONFLICT (document_type) DO UPDATE SET chains = {table}.chains + excluded.chains RETURNING chains",
            [document_type, added],
        )
        (chains,) = cursor.fetchone()
        cursor.execute(f"UPDATE {table} SET anchor = %s WHERE document_type = %s", [tally_anchor(document_type, chains), document_type])
