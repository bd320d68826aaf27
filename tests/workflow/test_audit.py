"""The audit trail: hash-chained per document, verified by a command, append-only in the database."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction

from workflow import audit
from workflow.engine import perform
from workflow.models import AuditEvent

from ..conftest import fill_plan, plan_of
from ..helpers import audit_trigger_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_with_history(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    perform(plan, "return", actor=org.kabid.user, comment="Perbaiki")
    perform(plan, "submit", actor=org.employee.user)
    perform(plan, "approve", actor=org.kabid.user)
    return plan


def chain(plan):
    return list(AuditEvent.objects.filter(document_type="plan", document_id=plan.pk).order_by("seq"))


def test_each_event_links_to_the_previous_one_of_its_document(plan_with_history):
    events = chain(plan_with_history)
    assert [e.action for e in events] == ["create", "submit", "return", "submit", "approve"]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == ""
    for previous, event in zip(events, events[1:]):
        assert event.prev_hash == previous.hash
        assert event.hash == audit.event_hash(event)


def test_verify_audit_passes_on_an_untouched_trail(plan_with_history, capsys):
    call_command("verify_audit")
    assert "verified" in capsys.readouterr().out


def test_verify_audit_names_an_event_whose_content_was_changed(plan_with_history, capsys):
    victim = chain(plan_with_history)[2]
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=victim.pk).update(comment="Sudah sesuai")
    with pytest.raises(CommandError):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert f"event {victim.pk} " in err and "does not match its hash" in err


def test_verify_audit_detects_a_deleted_event(plan_with_history, capsys):
    events = chain(plan_with_history)
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=events[1].pk).delete()
    with pytest.raises(CommandError):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert f"event {events[2].pk} " in err and "sequence gap" in err


def test_a_forged_event_with_a_recomputed_hash_breaks_the_next_link(plan_with_history):
    events = chain(plan_with_history)
    forged = events[2]
    forged.comment = "forged"
    forged.hash = audit.event_hash(forged)
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=forged.pk).update(comment=forged.comment, hash=forged.hash)
    breaches = list(audit.verify())
    assert [(b.event_id, b.reason) for b in breaches] == [(events[3].pk, "link to the previous event is broken")]


def test_the_database_refuses_to_update_an_audit_event(plan_with_history):
    event = chain(plan_with_history)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(comment="changed")
    event.refresh_from_db()
    assert event.comment == ""


def test_the_database_refuses_to_delete_an_audit_event(plan_with_history):
    event = chain(plan_with_history)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
