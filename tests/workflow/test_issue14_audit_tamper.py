"""Nine ways to tamper with the audit trail with database access alone, and ``verify_audit``
finding each.

The attacker here can read the source (so knows how an event's hash is computed), can read and
write every table, and lifts the audit table's append-only trigger as the table's owner could
(``audit_trigger_disabled``). What the attacker does not have is the audit key
(``KINERJA_AUDIT_KEY``), which lives in the application's environment, not in the database.
The same tests run on PostgreSQL when DATABASE_URL is set.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from org.writes import unit_create, unit_update
from processes.models import Plan
from workflow.audit.anchors import ChainWithoutHead
from workflow.engine import perform
from workflow.models import AuditEvent, AuditHead, AuditTally

from ..conftest import fill_plan, plan_of
from ..helpers import audit_trigger_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_with_history(org, cycle, approved_chain):
    """A plan with five events: create, submit, return, submit, approve."""
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    perform(plan, "return", actor=org.kabid.user, comment="Perbaiki")
    perform(plan, "submit", actor=org.employee.user)
    perform(plan, "approve", actor=org.kabid.user)
    return Plan.objects.get(pk=plan.pk)


def chain(document_type: str, document_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(document_type=document_type, document_id=document_id).order_by("seq"))


def unkeyed_hash(event: AuditEvent) -> str:
    """What an attacker computes from the source: sha256 of the event's canonical payload."""
    payload = {
        "document_type": event.document_type, "document_id": event.document_id, "seq": event.seq, "action": event.action,
        "from_state": event.from_state, "to_state": event.to_state, "actor": event.actor_id,
        "on_behalf_of": event.on_behalf_of_id, "at": event.at.astimezone(datetime.timezone.utc).isoformat(),
        "comment": event.comment, "data": event.data, "origin": event.origin, "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify_fails_naming(document: str) -> str:
    """``verify_audit`` fails, and names ``document`` ("plan#12") among the breaches."""
    errors = io.StringIO()
    with pytest.raises(CommandError, match="broken audit"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=errors)
    assert document in errors.getvalue(), errors.getvalue()
    return errors.getvalue()


def verifies() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def update_event(event: AuditEvent, **values) -> None:
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=event.pk).update(**values)


def delete_events(*events: AuditEvent) -> None:
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk__in=[e.pk for e in events]).delete()


def test_an_untouched_trail_verifies(plan_with_history):
    assert f"All {AuditEvent.objects.count()} audit events verified." in verifies()


# 1 to 4: what a plain hash chain already caught, kept ----------------------------------------------


def test_1_an_event_whose_field_was_edited_is_found(plan_with_history):
    victim = chain("plan", plan_with_history.pk)[2]
    update_event(victim, comment="Sudah sesuai")
    assert f"event {victim.pk} " in verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_2_an_event_whose_hash_was_edited_is_found(plan_with_history):
    victim = chain("plan", plan_with_history.pk)[2]
    update_event(victim, hash="0" * 64)
    assert f"event {victim.pk} " in verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_3_an_event_deleted_from_the_middle_of_a_chain_is_found(plan_with_history):
    events = chain("plan", plan_with_history.pk)
    delete_events(events[2])
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_4_events_reordered_by_their_sequence_numbers_are_found(plan_with_history):
    events = chain("plan", plan_with_history.pk)
    update_event(events[1], seq=1000)
    update_event(events[2], seq=events[1].seq)
    update_event(events[1], seq=events[2].seq)
    verify_fails_naming(f"plan#{plan_with_history.pk}")


# 5 to 9: what only a keyed and anchored chain finds ------------------------------------------------


@pytest.mark.parametrize("copy_key_id", [False, True], ids=["unkeyed", "claiming-the-key-id"])
def test_5_a_forged_event_appended_with_a_correctly_computed_hash_is_found(plan_with_history, copy_key_id):
    last = chain("plan", plan_with_history.pk)[-1]
    forged = AuditEvent(**{f.attname: getattr(last, f.attname) for f in AuditEvent._meta.concrete_fields if not f.primary_key})
    forged.seq, forged.prev_hash, forged.action, forged.comment = last.seq + 1, last.hash, "approve", "Disetujui ulang"
    if not copy_key_id and hasattr(forged, "key_id"):
        forged.key_id = ""
    forged.hash = unkeyed_hash(forged)
    forged.save(force_insert=True)
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_6_the_last_event_deleted_is_found(plan_with_history):
    delete_events(chain("plan", plan_with_history.pk)[-1])
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_6_the_last_event_deleted_and_the_document_set_back_to_match_is_found(plan_with_history):
    """The attacker also puts the document back as it was after the previous event, copying into
    its row whatever the previous event shows, so that everything readable agrees."""
    events = chain("plan", plan_with_history.pk)
    previous = events[-2]
    delete_events(events[-1])
    rewind = {"status": previous.to_state}
    field_names = {f.name for f in Plan._meta.concrete_fields}
    if "audit_seq" in field_names:
        rewind.update(audit_seq=previous.seq, audit_last=previous.hash)
    Plan.objects.filter(pk=plan_with_history.pk).update(**rewind)
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_7_a_whole_chain_deleted_is_found(plan_with_history):
    delete_events(*chain("plan", plan_with_history.pk))
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_8_a_chain_rewritten_with_recomputed_hashes_is_found(plan_with_history):
    """The return's comment is changed and every hash from there on recomputed, links included."""
    events = chain("plan", plan_with_history.pk)
    events[2].comment = "Sudah baik"
    previous_hash = events[1].hash
    with audit_trigger_disabled():
        for event in events[2:]:
            event.prev_hash = previous_hash
            event.hash = previous_hash = unkeyed_hash(event)
            AuditEvent.objects.filter(pk=event.pk).update(comment=event.comment, prev_hash=event.prev_hash, hash=event.hash)
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_8_a_whole_chain_rewritten_unkeyed_from_its_first_event_is_found(plan_with_history):
    """Every event rewritten as an unkeyed one (as events were before the key), the first changed."""
    events = chain("plan", plan_with_history.pk)
    events[0].comment = "Dibuat ulang"
    previous_hash = ""
    with audit_trigger_disabled():
        for event in events:
            if hasattr(event, "key_id"):
                event.key_id = ""
            event.prev_hash = previous_hash
            event.hash = previous_hash = unkeyed_hash(event)
            values = {"comment": event.comment, "prev_hash": event.prev_hash, "hash": event.hash}
            if hasattr(event, "key_id"):
                values["key_id"] = ""
            AuditEvent.objects.filter(pk=event.pk).update(**values)
    verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_9_a_status_changed_without_an_event_is_found(plan_with_history):
    Plan.objects.filter(pk=plan_with_history.pk).update(status=Plan.Status.DRAFT)
    errors = verify_fails_naming(f"plan#{plan_with_history.pk}")
    assert "status" in errors


# The same for a record's chain (an organisation unit: no status, rows may go) -----------------------


@pytest.fixture
def unit_with_history(org):
    unit = unit_create(actor=org.hr, code="DIV-C", name="Bidang C", parent=org.agency)
    unit_update(actor=org.hr, unit=unit, name="Bidang Cemerlang")
    unit_update(actor=org.hr, unit=unit, name="Bidang Cahaya")
    return unit


def test_a_record_chain_verifies_untouched(unit_with_history):
    assert "verified" in verifies()


def test_the_last_event_of_a_record_chain_deleted_is_found(unit_with_history):
    delete_events(chain("unit", unit_with_history.pk)[-1])
    verify_fails_naming(f"unit#{unit_with_history.pk}")


def test_a_whole_record_chain_deleted_is_found(unit_with_history):
    delete_events(*chain("unit", unit_with_history.pk))
    verify_fails_naming(f"unit#{unit_with_history.pk}")


def test_a_forged_event_appended_to_a_record_chain_is_found(unit_with_history):
    last = chain("unit", unit_with_history.pk)[-1]
    forged = AuditEvent(**{f.attname: getattr(last, f.attname) for f in AuditEvent._meta.concrete_fields if not f.primary_key})
    forged.seq, forged.prev_hash, forged.action = last.seq + 1, last.hash, "deactivate"
    forged.hash = unkeyed_hash(forged)
    forged.save(force_insert=True)
    verify_fails_naming(f"unit#{unit_with_history.pk}")



def test_7_a_whole_chain_deleted_with_the_head_on_its_row_blanked_is_found(plan_with_history):
    delete_events(*chain("plan", plan_with_history.pk))
    Plan.objects.filter(pk=plan_with_history.pk).update(audit_seq=0, audit_last="", audit_anchor="")
    assert "no audit trail" in verify_fails_naming(f"plan#{plan_with_history.pk}")


def test_7_a_whole_record_chain_deleted_with_its_head_is_found_by_the_tally(unit_with_history):
    delete_events(*chain("unit", unit_with_history.pk))
    AuditHead.objects.filter(document_type="unit", document_id=unit_with_history.pk).delete()
    assert "chain was deleted with its head" in verify_fails_naming("unit: ")


def test_7_a_tally_lowered_to_match_a_deleted_record_chain_is_found(unit_with_history):
    delete_events(*chain("unit", unit_with_history.pk))
    AuditHead.objects.filter(document_type="unit", document_id=unit_with_history.pk).delete()
    tally = AuditTally.objects.get(document_type="unit")
    AuditTally.objects.filter(pk=tally.pk).update(chains=tally.chains - 1)
    assert "tally" in verify_fails_naming("unit: ")


def test_a_record_head_copied_back_from_the_previous_event_after_deleting_the_last_is_found(unit_with_history):
    """Rewinding the head to what the events show (sequence and hash of the one before) does not
    help: the anchor is not copyable, only the key computes it."""
    events = chain("unit", unit_with_history.pk)
    delete_events(events[-1])
    AuditHead.objects.filter(document_type="unit", document_id=unit_with_history.pk).update(
        seq=events[-2].seq, last=events[-2].hash)
    assert "does not verify" in verify_fails_naming(f"unit#{unit_with_history.pk}")


def test_a_chain_forged_whole_for_a_document_that_never_was_is_found(plan_with_history):
    first = chain("plan", plan_with_history.pk)[0]
    forged = AuditEvent(**{f.attname: getattr(first, f.attname) for f in AuditEvent._meta.concrete_fields if not f.primary_key})
    forged.document_type, forged.document_id, forged.key_id = "role_assignment", 424242, ""
    forged.hash = unkeyed_hash(forged)
    forged.save(force_insert=True)
    assert "no anchored head" in verify_fails_naming("role_assignment#424242")


def test_the_engine_refuses_to_grow_a_record_chain_whose_head_was_removed(org, unit_with_history):
    """Appending would start the chain over its own remains and hide the tampering."""
    AuditHead.objects.filter(document_type="unit", document_id=unit_with_history.pk).delete()
    with pytest.raises(ChainWithoutHead):
        unit_update(actor=org.hr, unit=unit_with_history, name="Bidang Baru")
    assert chain("unit", unit_with_history.pk)[-1].action == "update"  # nothing was appended
