"""The audit key: events and heads signed with it, rotation, the chains written before it, and
what the engine's hot path pays for it."""

from __future__ import annotations

import importlib
import io
import sys
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from org.writes import unit_create, unit_update
from processes.models import Plan
from workflow import audit
from workflow.audit import anchors, keys
from workflow.audit.seal import seal_legacy_chains
from workflow.engine import perform
from workflow.models import AuditEvent, AuditHead, AuditTally

from ..conftest import fill_plan, plan_of
from ..helpers import audit_trigger_disabled

pytestmark = pytest.mark.django_db

OLD_KEY = "the-key-before-the-rotation-0123456789"
NEW_KEY = "the-key-after-the-rotation-9876543210ab"


@pytest.fixture
def submitted_plan(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    return Plan.objects.get(pk=plan.pk)


def events_of(document_type: str, document_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(document_type=document_type, document_id=document_id).order_by("seq"))


def verify_errors() -> str:
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO(), stderr=errors)
    return errors.getvalue()


def verifies() -> bool:
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    return True


# Signed with the key ---------------------------------------------------------------------------


def test_each_event_is_signed_with_the_configured_key_and_names_it(submitted_plan, settings):
    for event in events_of("plan", submitted_plan.pk):
        assert event.key_id == keys.key_id_of(settings.KINERJA_AUDIT_KEY)
        assert event.hash == audit.events.sign(event, keys.current()) != audit.events.unkeyed_hash(event)


def test_a_trail_signed_with_another_key_than_the_installations_does_not_verify(submitted_plan, settings):
    """Someone who guessed wrong (the development key, say) writes rows that do not verify."""
    settings.KINERJA_AUDIT_KEY = "a-guess-at-the-key-0123456789abcdef"
    errors = verify_errors()
    assert f"plan#{submitted_plan.pk}" in errors and "unknown audit key" in errors


def test_the_key_id_does_not_reveal_the_key(settings):
    assert settings.KINERJA_AUDIT_KEY not in keys.key_id_of(settings.KINERJA_AUDIT_KEY)
    assert keys.key_id_of("a") != keys.key_id_of("b")


def test_without_a_key_nothing_is_signed(settings):
    settings.KINERJA_AUDIT_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        keys.current()


@pytest.mark.parametrize("value", [None, "too-short"])
def test_production_settings_refuse_to_start_without_a_long_enough_audit_key(monkeypatch, value):
    environment = {
        "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "kinerja.example.test", "DATABASE_URL": "sqlite:///:memory:",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    for name, setting in environment.items():
        monkeypatch.setenv(name, setting)
    if value is None:
        monkeypatch.delenv("KINERJA_AUDIT_KEY", raising=False)
    else:
        monkeypatch.setenv("KINERJA_AUDIT_KEY", value)
    sys.modules.pop("config.settings.production", None)
    try:
        with pytest.raises(ImproperlyConfigured, match="KINERJA_AUDIT_KEY"):
            importlib.import_module("config.settings.production")
        monkeypatch.setenv("KINERJA_AUDIT_KEY", "k" * 32)
        assert importlib.import_module("config.settings.production").KINERJA_AUDIT_KEY == "k" * 32
    finally:
        sys.modules.pop("config.settings.production", None)


# Rotation ----------------------------------------------------------------------------------------


def test_after_a_rotation_old_events_verify_with_the_retired_key_and_new_ones_use_the_new_key(org, submitted_plan, settings):
    settings.KINERJA_AUDIT_KEY = OLD_KEY
    perform(submitted_plan, "return", actor=org.kabid.user, comment="Perbaiki")  # signed with the old key (the rest too)
    settings.KINERJA_AUDIT_KEY, settings.KINERJA_AUDIT_RETIRED_KEYS = NEW_KEY, [OLD_KEY, "test-only-audit-key-0123456789abcdef"]
    result = perform(submitted_plan, "submit", actor=org.employee.user)
    assert result.event.key_id == keys.key_id_of(NEW_KEY)
    assert [e.key_id for e in events_of("plan", submitted_plan.pk)][-2:] == [keys.key_id_of(OLD_KEY), keys.key_id_of(NEW_KEY)]
    assert all(audit.event_hash(event) == event.hash for event in events_of("plan", submitted_plan.pk))


def test_heads_signed_with_a_retired_key_wait_for_a_reanchor_which_then_makes_the_trail_verify(org, submitted_plan, settings):
    settings.KINERJA_AUDIT_KEY = OLD_KEY
    perform(submitted_plan, "return", actor=org.kabid.user, comment="Perbaiki")
    unit_create(actor=org.hr, code="DIV-R", name="Bidang R", parent=org.agency)
    settings.KINERJA_AUDIT_KEY, settings.KINERJA_AUDIT_RETIRED_KEYS = NEW_KEY, [OLD_KEY, "test-only-audit-key-0123456789abcdef"]
    assert "verify_audit --reanchor" in verify_errors()
    out = io.StringIO()
    call_command("verify_audit", "--reanchor", stdout=out, stderr=io.StringIO())
    assert "re-signed" in out.getvalue() and "verified" in out.getvalue()
    assert verifies()
    assert Plan.objects.get(pk=submitted_plan.pk).audit_anchor.startswith(keys.key_id_of(NEW_KEY) + ":")
    assert AuditTally.objects.get(document_type="unit").anchor.startswith(keys.key_id_of(NEW_KEY) + ":")


def test_a_reanchor_refuses_a_trail_that_is_broken_otherwise(org, submitted_plan, settings):
    settings.KINERJA_AUDIT_KEY, settings.KINERJA_AUDIT_RETIRED_KEYS = NEW_KEY, ["test-only-audit-key-0123456789abcdef"]
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=events_of("plan", submitted_plan.pk)[-1].pk).delete()
    with pytest.raises(CommandError):
        call_command("verify_audit", "--reanchor", stdout=io.StringIO(), stderr=io.StringIO())
    assert not Plan.objects.get(pk=submitted_plan.pk).audit_anchor.startswith(keys.key_id_of(NEW_KEY))  # nothing sealed in


def test_a_leaked_retired_key_cannot_vouch_for_a_head(org, submitted_plan, settings):
    """Whoever holds a retired key can sign events as of old, but no head: only the current key
    anchors, so a chain cut back and re-anchored with the old key is found."""
    settings.KINERJA_AUDIT_KEY, settings.KINERJA_AUDIT_RETIRED_KEYS = NEW_KEY, ["test-only-audit-key-0123456789abcdef"]
    call_command("verify_audit", "--reanchor", stdout=io.StringIO(), stderr=io.StringIO())
    first, last = events_of("plan", submitted_plan.pk)
    old = keys.keyring().retired[first.key_id]
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=last.pk).delete()
    Plan.objects.filter(pk=submitted_plan.pk).update(
        status=first.to_state, audit_seq=1, audit_last=first.hash,
        audit_anchor=anchors.anchor("plan", submitted_plan.pk, 1, first.hash, key=old))
    assert "retired key" in verify_errors()


def test_an_anchor_that_only_names_a_retired_key_is_a_forgery_that_reanchor_does_not_sign(org, submitted_plan, settings):
    """Key ids are public (every event names one): a head cut back and given "<retired id>:junk"
    must not pass for a rotation's leftover, or --reanchor would re-sign the cut chain."""
    settings.KINERJA_AUDIT_KEY, settings.KINERJA_AUDIT_RETIRED_KEYS = NEW_KEY, ["test-only-audit-key-0123456789abcdef"]
    call_command("verify_audit", "--reanchor", stdout=io.StringIO(), stderr=io.StringIO())
    first, last = events_of("plan", submitted_plan.pk)
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=last.pk).delete()
    Plan.objects.filter(pk=submitted_plan.pk).update(
        status=first.to_state, audit_seq=1, audit_last=first.hash, audit_anchor=f"{first.key_id}:{'0' * 64}")

    errors = verify_errors()
    assert "does not verify" in errors and "retired key" not in errors
    with pytest.raises(CommandError):
        call_command("verify_audit", "--reanchor", stdout=io.StringIO(), stderr=io.StringIO())
    assert Plan.objects.get(pk=submitted_plan.pk).audit_anchor == f"{first.key_id}:{'0' * 64}"


def test_an_event_whose_key_was_dropped_from_the_retired_keys_is_named(submitted_plan, settings):
    settings.KINERJA_AUDIT_KEY, settings.KINERJA_AUDIT_RETIRED_KEYS = NEW_KEY, []
    assert "KINERJA_AUDIT_RETIRED_KEYS" in verify_errors()


# Chains written before the key: sealed once by the migration --------------------------------------


def make_unkeyed(document_type: str, document_id: int) -> None:
    """Rewrite a chain as the code before the key wrote it: plain sha256 hashes, no key id."""
    previous = ""
    with audit_trigger_disabled():
        for event in events_of(document_type, document_id):
            event.key_id, event.prev_hash = "", previous
            event.hash = previous = audit.events.unkeyed_hash(event)
            AuditEvent.objects.filter(pk=event.pk).update(key_id="", prev_hash=event.prev_hash, hash=event.hash)


@pytest.fixture
def legacy_trail(org, submitted_plan):
    """A plan's and a unit's chains as a database upgraded from before the key holds them."""
    unit = unit_create(actor=org.hr, code="DIV-L", name="Bidang L", parent=org.agency)
    unit_update(actor=org.hr, unit=unit, name="Bidang Lama")
    for document_type, pk in (("plan", submitted_plan.pk), ("unit", unit.pk)):
        make_unkeyed(document_type, pk)
    Plan.objects.filter(pk=submitted_plan.pk).update(audit_seq=0, audit_last="", audit_anchor="")
    AuditHead.objects.all().delete()
    AuditTally.objects.all().delete()
    return submitted_plan, unit


def seal() -> None:
    seal_legacy_chains(django_apps(), SimpleNamespace(connection=connection))


def django_apps():
    from django.apps import apps

    return apps


def test_the_migration_that_brings_the_anchors_seals_the_chains_written_before_the_key():
    migration = importlib.import_module("processes.migrations.0014_document_audit_head").Migration
    assert any(getattr(operation, "code", None) is seal_legacy_chains for operation in migration.operations)


def test_an_unsealed_chain_written_before_the_key_is_reported(legacy_trail):
    plan, unit = legacy_trail
    errors = verify_errors()
    assert f"plan#{plan.pk}" in errors and f"unit#{unit.pk}" in errors and "no anchored head" in errors


def test_sealed_chains_written_before_the_key_verify_and_grow_signed(org, legacy_trail):
    plan, unit = legacy_trail
    seal()
    assert verifies()
    perform(plan, "return", actor=org.kabid.user, comment="Perbaiki")
    unit_update(actor=org.hr, unit=unit, name="Bidang Baru")
    assert [bool(e.key_id) for e in events_of("plan", plan.pk)] == [False, False, True]
    assert [bool(e.key_id) for e in events_of("unit", unit.pk)] == [False, False, True]
    assert verifies()


def test_sealing_twice_adds_nothing(legacy_trail):
    seal()
    heads, tallies = list(AuditHead.objects.values_list("anchor", flat=True)), list(AuditTally.objects.values_list("chains", flat=True))
    seal()
    assert list(AuditHead.objects.values_list("anchor", flat=True)) == heads
    assert list(AuditTally.objects.values_list("chains", flat=True)) == tallies
    assert verifies()


@pytest.mark.parametrize("attack", ["last deleted", "forged appended", "rewritten"])
def test_a_sealed_chain_written_before_the_key_is_still_protected(legacy_trail, attack):
    plan, _unit = legacy_trail
    seal()
    first, last = events_of("plan", plan.pk)
    if attack == "rewritten":  # the first event changed, every hash after it recomputed
        with audit_trigger_disabled():
            AuditEvent.objects.filter(pk=first.pk).update(comment="Dibuat ulang")
        make_unkeyed("plan", plan.pk)
    with audit_trigger_disabled():
        if attack == "last deleted":
            AuditEvent.objects.filter(pk=last.pk).delete()
            Plan.objects.filter(pk=plan.pk).update(status=first.to_state)
        elif attack == "forged appended":
            forged = AuditEvent.objects.get(pk=last.pk)
            forged.pk, forged.seq, forged.prev_hash, forged.action = None, 3, last.hash, "approve"
            forged.hash = audit.events.unkeyed_hash(forged)
            forged.save(force_insert=True)
    assert f"plan#{plan.pk}" in verify_errors()


# The hot path ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_transition_reads_no_audit_event_and_leaves_its_signed_head_on_the_row(org, submitted_plan, settings, fast_path):
    settings.KINERJA_FAST_PATH = fast_path
    with CaptureQueriesContext(connection) as queries:
        result = perform(submitted_plan, "return", actor=org.kabid.user, comment="Perbaiki")
    # (on PostgreSQL the write batch is one multi-statement query: look at each statement)
    statements = [statement.strip() for query in queries.captured_queries for statement in query["sql"].split(";\n")]
    touching = [statement for statement in statements if "workflow_auditevent" in statement]
    assert len(touching) == 1 and touching[0].upper().startswith("INSERT"), touching
    row = Plan.objects.get(pk=submitted_plan.pk)
    event = result.event
    assert (row.audit_seq, row.audit_last) == (event.seq, event.hash) == (3, events_of("plan", row.pk)[-1].hash)
    assert row.audit_anchor == anchors.anchor("plan", row.pk, 3, event.hash)
    assert verifies()


@pytest.mark.django_db(transaction=True)
def test_verify_audit_reads_a_snapshot_of_its_own_outside_any_transaction(org, cycle):
    assert AuditEvent.objects.exists()
    assert verifies()
