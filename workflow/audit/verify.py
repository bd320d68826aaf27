"""Verifying the audit trail: every chain's events, every chain's anchored head, the tallies of
record chains, and that each document's status is what its last event left it in.

Read type by type, each type's events, heads and document rows in one merged pass ordered by id
(no chain is held in memory beyond its own events), in one snapshot: on PostgreSQL a REPEATABLE
READ transaction, so that transitions committed meanwhile do not look like tampering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Iterable, Iterator

from django.db import connections, transaction

from ..models import AuditEvent, AuditHead, AuditTally
from ..registry import document_models
from . import anchors, keys
from .events import event_hash

_CHUNK = 2000


@dataclass(frozen=True)
class Breach:
    event_id: int | None  # None: the breach is of a chain's head, a document or a tally
    document: str  # "plan#12", or a type's name for its tally
    seq: int | None
    reason: str
    # A head or tally still signed with a retired key: not tampering, a re-anchoring that is due.
    retired_key: bool = False


@dataclass
class Verification:
    breaches: list[Breach] = field(default_factory=list)
    events: int = 0


@dataclass(frozen=True)
class _Head:
    seq: int
    last: str
    anchor: str


def verify(*, using: str = "default") -> list[Breach]:
    return verify_all(using=using).breaches


def verify_all(*, using: str = "default") -> Verification:
    """Every breach of the trail, and the number of events read."""
    connection = connections[using]
    result = Verification()
    if connection.in_atomic_block:  # the caller's transaction is the snapshot
        _verify_into(result, using)
        return result
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        _verify_into(result, using)
    return result


def _verify_into(result: Verification, using: str) -> None:
    documents = document_models()
    types = {
        *AuditEvent.objects.using(using).order_by().values_list("document_type", flat=True).distinct(),
        *AuditHead.objects.using(using).order_by().values_list("document_type", flat=True).distinct(),
        *AuditTally.objects.using(using).values_list("document_type", flat=True),
        *documents,
    }
    for document_type in sorted(types):
        _verify_type(result, document_type, documents.get(document_type), using)


def _verify_type(result: Verification, document_type: str, model, using: str) -> None:
    events = AuditEvent.objects.using(using).filter(document_type=document_type).order_by("document_id", "seq")
    chains = ((pk, list(group)) for pk, group in groupby(events.iterator(chunk_size=_CHUNK), key=attrgetter("document_id")))
    heads = (
        (pk, _Head(seq, last, anchor))
        for pk, seq, last, anchor in AuditHead.objects.using(using).filter(document_type=document_type).order_by("document_id")
        .values_list("document_id", "seq", "last", "anchor").iterator(chunk_size=_CHUNK)
    )
    rows = ()
    if model is not None:
        rows = (
            (row[0], row) for row in model._default_manager.using(using).order_by("pk")
            .values_list("pk", "status", *anchors.ANCHOR_FIELDS).iterator(chunk_size=_CHUNK)
        )
    head_count = 0
    for pk, (chain, head, row) in _merge(chains, heads, rows):
        head_count += head is not None
        result.events += len(chain or ())
        result.breaches += _check_chain(f"{document_type}#{pk}", chain or [])
        result.breaches += _check_head(document_type, pk, chain or [], head, row)
    result.breaches += _check_tally(document_type, head_count, using)


def _merge(*streams: Iterable[tuple[int, object]]) -> Iterator[tuple[int, list]]:
    """Streams of (id, item), each ordered by id, merged: each id once, with each stream's item or None."""
    iterators = [iter(stream) for stream in streams]
    current = [next(iterator, None) for iterator in iterators]
    while any(item is not None for item in current):
        key = min(item[0] for item in current if item is not None)
        items = []
        for i, item in enumerate(current):
            if item is not None and item[0] == key:
                items.append(item[1])
                current[i] = next(iterators[i], None)
            else:
                items.append(None)
        yield key, items


def _check_chain(document: str, chain: list[AuditEvent]) -> Iterator[Breach]:
    """Each event's sequence, link and MAC; events written before the key only at the start."""
    expected_seq, prev_hash, signed = 1, "", False
    for event in chain:
        def breach(reason: str, event=event) -> Breach:
            return Breach(event.pk, document, event.seq, reason)

        if event.seq != expected_seq:
            yield breach(f"sequence gap: expected {expected_seq}")
        if event.prev_hash != prev_hash:
            yield breach("link to the previous event is broken")
        if event.key_id == keys.UNKEYED and signed:
            yield breach("an unsigned event after signed ones")
        expected = event_hash(event)
        if expected is None:
            yield breach(f"signed with an unknown audit key {event.key_id!r} (missing from KINERJA_AUDIT_RETIRED_KEYS?)")
        elif expected != event.hash:
            yield breach("content does not match its hash")
        signed = signed or event.key_id != keys.UNKEYED
        expected_seq, prev_hash = event.seq + 1, event.hash


def _check_head(document_type: str, pk: int, chain: list[AuditEvent], head: _Head | None, row) -> Iterator[Breach]:
    document = f"{document_type}#{pk}"
    if row is not None:
        if head is not None:
            yield Breach(None, document, head.seq, "a second head for a document whose row keeps its own")
        _pk, status, seq, last, anchor = row
        head = _Head(seq, last, anchor) if seq or anchor else None
        if head is None and not chain:
            yield Breach(None, document, None, "the document has no audit trail")
            return
    if head is None:
        yield Breach(chain[0].pk, document, chain[0].seq, "the chain has no anchored head (written outside the engine, "
                                                          "or its anchor removed)")
        return
    problem = anchors.anchor_problem(head.anchor, lambda key: anchors.anchor(document_type, pk, head.seq, head.last, key=key))
    if problem:
        yield Breach(None, document, head.seq, problem, retired_key=problem == anchors.RETIRED)
    last = chain[-1] if chain else None
    if last is None:
        yield Breach(None, document, head.seq, f"its audit events up to #{head.seq} are gone")
    elif last.seq < head.seq:
        yield Breach(None, document, head.seq, f"its audit events after #{last.seq} are gone (the anchored head is #{head.seq})")
    elif last.seq > head.seq:
        for event in chain:
            if event.seq > head.seq:
                yield Breach(event.pk, document, event.seq, f"appended after the anchored head (#{head.seq})")
    elif last.hash != head.last:
        yield Breach(last.pk, document, last.seq, "the last event is not the anchored one")
    if row is not None and chain:
        status, target = row[1], next((event.to_state for event in reversed(chain) if event.to_state), "")
        if status != target:
            yield Breach(None, document, None, f"status {status!r} is not {target!r}, the target state of its last event")


def _check_tally(document_type: str, heads: int, using: str) -> Iterator[Breach]:
    tally = AuditTally.objects.using(using).filter(document_type=document_type).first()
    if tally is None:
        if heads:
            yield Breach(None, document_type, None, f"{heads} record chains but no tally of them")
        return
    problem = anchors.anchor_problem(tally.anchor, lambda key: anchors.tally_anchor(document_type, tally.chains, key=key))
    if problem:
        yield Breach(None, document_type, None, f"the tally of its record chains: {problem}", retired_key=problem == anchors.RETIRED)
    if tally.chains != heads:
        yield Breach(None, document_type, None, f"{tally.chains} record chains counted, {heads} found"
                     + (" (a chain was deleted with its head)" if heads < tally.chains else ""))
