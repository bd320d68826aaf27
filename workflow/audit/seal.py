"""Putting anchors where there are none yet (the events written before the key, once, by a
migration) and re-signing every anchor with a new key (after a rotation, on demand).

Events written before the audit key existed keep their plain sha256 hashes: rewriting them
would rewrite history. Instead the migration that brings the key anchors each chain's head as it
stands with the key, which pins every earlier event (each hash covers the one before): from then
on such a chain can neither lose its tail nor be rewritten unnoticed, and new events are signed.
"""

from __future__ import annotations

from collections import Counter

from django.apps import apps as live_apps

from . import anchors, keys

_BATCH = 1000


def seal_legacy_chains(apps, schema_editor) -> None:
    """RunPython: anchor the head of every chain that has none (with historical models)."""
    using = schema_editor.connection.alias
    event_model = apps.get_model("workflow", "AuditEvent")
    head_model = apps.get_model("workflow", "AuditHead")
    documents = _document_models(apps)
    pending: dict[str, list[tuple[int, int, str]]] = {}
    added: Counter[str] = Counter()

    def flush(document_type: str) -> None:
        heads = pending.pop(document_type, [])
        count = _seal(documents.get(document_type), head_model, document_type, heads, using) if heads else 0
        if count:
            added[document_type] += count

    def add(head: tuple[str, int, int, str]) -> None:
        pending.setdefault(head[0], []).append(head[1:])
        if len(pending[head[0]]) >= _BATCH:
            flush(head[0])

    rows = event_model.objects.using(using).order_by("document_type", "document_id", "seq").values_list(
        "document_type", "document_id", "seq", "hash")
    last = None
    for row in rows.iterator(chunk_size=5000):
        if last is not None and row[:2] != last[:2]:
            add(last)  # the last event of the chain before
        last = row
    if last is not None:
        add(last)
    for document_type in list(pending):
        flush(document_type)
    tally_model = apps.get_model("workflow", "AuditTally")
    for document_type, count in added.items():
        tally, _created = tally_model.objects.using(using).get_or_create(document_type=document_type)
        tally.chains += count
        tally.anchor = anchors.tally_anchor(document_type, tally.chains)
        tally.save(using=using)


def _document_models(apps) -> dict:
    """Document type -> (historical) model: the models whose rows carry their chain's head."""
    found = {}
    for model in apps.get_models():
        if set(anchors.ANCHOR_FIELDS) <= {f.name for f in model._meta.concrete_fields}:
            found[live_apps.get_model(model._meta.label).document_type] = model
    return found


def _seal(model, head_model, document_type: str, heads: list[tuple[int, int, str]], using: str) -> int:
    """Anchor ``heads`` ((id, seq, last hash)): on the document's row where it has one, else in
    AuditHead. Returns how many AuditHead rows were added."""
    on_rows = set()
    if model is not None:
        rows = {pk: seq for pk, seq in model._default_manager.using(using).filter(pk__in=[h[0] for h in heads])
                .values_list("pk", "audit_seq")}
        stamped = [
            model(pk=pk, audit_seq=seq, audit_last=last, audit_anchor=anchors.anchor(document_type, pk, seq, last))
            for pk, seq, last in heads if rows.get(pk) == 0
        ]
        model._default_manager.using(using).bulk_update(stamped, anchors.ANCHOR_FIELDS)
        on_rows = set(rows)
    known = set(head_model.objects.using(using).filter(document_type=document_type, document_id__in=[h[0] for h in heads])
                .values_list("document_id", flat=True))
    new = [
        head_model(document_type=document_type, document_id=pk, seq=seq, last=last,
                   anchor=anchors.anchor(document_type, pk, seq, last))
        for pk, seq, last in heads if pk not in on_rows and pk not in known
    ]
    head_model.objects.using(using).bulk_create(new)
    return len(new)


def reanchor(*, using: str = "default") -> int:
    """Re-sign every anchor and tally with the current key (after a rotation, once the trail has
    verified). Each row is re-signed only if its head is still the one read, so a chain that the
    engine moves meanwhile keeps the engine's (already current) anchor. Returns the rows re-signed."""
    from ..models import AuditHead, AuditTally
    from ..registry import document_models

    prefix = f"{keys.current().id}:"
    count = 0
    for document_type, model in document_models().items():
        stale = model._default_manager.using(using).filter(audit_seq__gt=0).exclude(audit_anchor__startswith=prefix)
        for pk, seq, last in stale.values_list("pk", "audit_seq", "audit_last").iterator(chunk_size=_BATCH):
            count += model._default_manager.using(using).filter(pk=pk, audit_seq=seq, audit_last=last).update(
                audit_anchor=anchors.anchor(document_type, pk, seq, last))
    stale_heads = AuditHead.objects.using(using).exclude(anchor__startswith=prefix)
    for pk, document_type, document_id, seq, last in stale_heads.values_list(
            "pk", "document_type", "document_id", "seq", "last").iterator(chunk_size=_BATCH):
        count += AuditHead.objects.using(using).filter(pk=pk, seq=seq, last=last).update(
            anchor=anchors.anchor(document_type, document_id, seq, last))
    for pk, document_type, chains in AuditTally.objects.using(using).exclude(anchor__startswith=prefix).values_list(
            "pk", "document_type", "chains"):
        count += AuditTally.objects.using(using).filter(pk=pk, chains=chains).update(
            anchor=anchors.tally_anchor(document_type, chains))
    return count
