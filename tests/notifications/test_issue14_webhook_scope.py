"""Webhooks belong to an agency: registered in HR's scope, seen and deactivated by HR of that
scope only, and sent only the events of documents within it."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from notifications.models import Delivery, WebhookEndpoint
from notifications.scope import audited_models, declared, document_paths, scope_lookups
from notifications.services import forget_endpoints, materialise_deliveries, notify_bulk, webhook_register
from org.models import Unit
from workflow.errors import NotPermitted
from workflow.flows import Notice
from workflow.models import AuditEvent

from ..api.helpers import API, submitted_plan
from ..conftest import client_for, plan_of
from ..factories import RoleAssignmentFactory, UnitFactory, UserFactory, WebhookEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_endpoints")]



@pytest.fixture
def setda_hr(org):
    user = UserFactory(username="setda_hr")
    RoleAssignmentFactory(user=user, unit=Unit.objects.get(code="SETDA"))
    return user


def register(hr, **body):
    return client_for(hr).post(f"{API}/webhooks/", {"url": "https://simpeg.test/hook", **body}, format="json")


# Registering ---------------------------------------------------------------------------------------


def test_a_webhook_belongs_to_the_unit_its_hr_is_hr_of(org):
    response = register(org.hr)
    assert response.status_code == 201
    assert response.json()["unit"] == org.agency.pk
    assert WebhookEndpoint.objects.get(pk=response.json()["id"]).unit == org.agency


def test_hr_may_register_a_webhook_for_a_unit_below_its_own(org):
    response = register(org.hr, unit=org.division.pk)
    assert response.status_code == 201 and response.json()["unit"] == org.division.pk


def test_hr_of_several_units_chooses_the_one_whose_events_the_webhook_receives(org, setda_hr):
    RoleAssignmentFactory(user=setda_hr, unit=UnitFactory(code="DINAS-X", kind="agency", parent=org.government))
    refused = register(setda_hr)
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["unit"]
    assert register(setda_hr, unit=Unit.objects.get(code="DINAS-X").pk).status_code == 201


@pytest.mark.parametrize("unit", ["another agency's", "no such", "not a number"])
def test_a_unit_outside_hrs_scope_is_refused_as_one_that_does_not_exist(org, setda_hr, unit):
    value = {"another agency's": org.agency.pk, "no such": 987654, "not a number": "AGENCY"}[unit]
    response = register(setda_hr, unit=value)
    assert response.status_code == 400
    assert response.json() == register(setda_hr, unit=987654).json()
    assert not WebhookEndpoint.objects.exists()


def test_a_superuser_registers_a_webhook_for_the_whole_installation(db):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = register(admin)
    assert response.status_code == 201 and response.json()["unit"] is None


def test_registering_and_deactivating_a_webhook_are_audited_on_its_own_chain(org):
    created = register(org.hr).json()
    assert client_for(org.hr).delete(f"{API}/webhooks/{created['id']}/").status_code == 204
    events = AuditEvent.objects.filter(document_type="webhook_endpoint", document_id=created["id"]).order_by("seq")
    assert [(e.action, e.actor_id) for e in events] == [("register", org.hr.pk), ("deactivate", org.hr.pk)]
    assert events[0].data["unit"] == org.agency.pk and "secret" not in str(events[0].data)


# Seeing and deactivating -----------------------------------------------------------------------------


def test_hr_of_another_agency_neither_sees_nor_deactivates_the_agencys_webhook(org, setda_hr):
    ours = register(org.hr).json()
    theirs = register(setda_hr).json()
    assert [w["id"] for w in client_for(setda_hr).get(f"{API}/webhooks/").json()["results"]] == [theirs["id"]]
    assert [w["id"] for w in client_for(org.hr).get(f"{API}/webhooks/").json()["results"]] == [ours["id"]]
    assert client_for(setda_hr).delete(f"{API}/webhooks/{ours['id']}/").status_code == 404
    assert WebhookEndpoint.objects.get(pk=ours["id"]).is_active


def test_the_deactivation_service_refuses_hr_of_another_agency(org, setda_hr):
    from notifications.services import webhook_deactivate

    endpoint = webhook_register(actor=org.hr, url="https://simpeg.test/hook", events=[])
    with pytest.raises(NotPermitted):
        webhook_deactivate(actor=setda_hr, endpoint=endpoint)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active


def test_hr_of_a_unit_above_sees_the_webhooks_of_the_agencies_below(org):
    government_hr = UserFactory(username="bkd")
    RoleAssignmentFactory(user=government_hr, unit=org.government)
    ours = register(org.hr).json()
    assert ours["id"] in [w["id"] for w in client_for(government_hr).get(f"{API}/webhooks/").json()["results"]]


def test_a_webhooks_deliveries_are_seen_only_by_hr_of_its_agency(org, cycle, approved_chain, setda_hr):
    endpoint = webhook_register(actor=org.hr, url="https://simpeg.test/hook", events=["plan.submitted"])
    plan = submitted_plan(org, cycle, approved_chain)
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "plan.submitted", {}), "plan", plan.pk)])
    materialise_deliveries([notice.pk])
    delivery = Delivery.objects.get(endpoint=endpoint)
    listed = client_for(setda_hr).get(f"{API}/deliveries/").json()["results"]
    assert delivery.pk not in [d["id"] for d in listed]
    assert client_for(setda_hr).get(f"{API}/deliveries/{delivery.pk}/").status_code == 404
    assert client_for(org.hr).get(f"{API}/deliveries/{delivery.pk}/").status_code == 200


# Which events go where ----------------------------------------------------------------------------------


def deliveries_of(endpoint) -> list[str]:
    return list(Delivery.objects.filter(endpoint=endpoint).values_list("notification__event", flat=True))


def test_an_event_goes_only_to_the_endpoints_whose_scope_holds_its_document(org, cycle, approved_chain, setda_hr):
    agency = webhook_register(actor=org.hr, url="https://agency.test/hook", events=[])
    division = webhook_register(actor=org.hr, url="https://division.test/hook", events=[], unit_id=org.division.pk)
    other_division = webhook_register(actor=org.hr, url="https://other.test/hook", events=[], unit_id=org.other_division.pk)
    secretariat = webhook_register(actor=setda_hr, url="https://setda.test/hook", events=[])
    plan = submitted_plan(org, cycle, approved_chain)  # org.employee's, in the division
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "plan.submitted", {}), "plan", plan.pk)])
    materialise_deliveries([notice.pk])
    assert deliveries_of(agency) == deliveries_of(division) == ["plan.submitted"]
    assert deliveries_of(other_division) == deliveries_of(secretariat) == []


def test_a_cycles_event_goes_to_the_agencies_it_covers(org, cycle, setda_hr):
    agency = webhook_register(actor=org.hr, url="https://agency.test/hook", events=[])
    secretariat = webhook_register(actor=setda_hr, url="https://setda.test/hook", events=[])
    (notice,) = notify_bulk([(Notice(org.hr.pk, "cycle.ready", {"name": cycle.name}), "cycle", cycle.pk)])
    materialise_deliveries([notice.pk])
    assert deliveries_of(agency) == ["cycle.ready"] and deliveries_of(secretariat) == []


def test_a_notice_about_no_document_belongs_to_its_recipients_unit(org, setda_hr):
    agency = webhook_register(actor=org.hr, url="https://agency.test/hook", events=[])
    secretariat = webhook_register(actor=setda_hr, url="https://setda.test/hook", events=[])
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "task.reminder", {"document": "SKP"}), "", None)])
    materialise_deliveries([notice.pk])
    assert deliveries_of(agency) == ["task.reminder"] and deliveries_of(secretariat) == []


def test_an_installation_wide_endpoint_receives_every_agencys_events(org, cycle, approved_chain):
    everywhere = WebhookEndpointFactory(url="https://pusat.test/hook")  # no unit: a superuser's
    forget_endpoints()
    plan = submitted_plan(org, cycle, approved_chain)
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "plan.submitted", {}), "plan", plan.pk)])
    materialise_deliveries([notice.pk])
    assert deliveries_of(everywhere) == ["plan.submitted"]


def test_an_event_whose_document_is_gone_goes_to_no_agencys_endpoint(org):
    agency = webhook_register(actor=org.hr, url="https://agency.test/hook", events=[])
    (notice,) = notify_bulk([(Notice(org.kabid.user_id, "plan.submitted", {}), "plan", 987654)])
    materialise_deliveries([notice.pk])
    assert deliveries_of(agency) == []


def test_every_audited_record_type_says_which_agency_it_belongs_to():
    """A new document or org record type must say which agency its events belong to (or that it
    belongs to none), or no agency's webhook would ever receive them."""
    assert sorted(kind for kind in audited_models() if not declared(kind)) == []


def test_every_declared_lookup_reaches_a_unit_path():
    for kind, model in audited_models().items():
        for lookup in scope_lookups(kind):
            assert model._default_manager.filter(pk__in=[]).values_list(lookup).count() == 0, (kind, lookup)


def test_each_document_type_resolves_to_the_unit_of_its_employee(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    member = plan.member
    paths = document_paths([("plan", plan.pk), ("cycle_member", member.pk), ("cycle", cycle.pk), ("unit", org.division.pk),
                            ("position", org.employee.position_id), ("role_assignment", org.hr.org_roles.get().pk)])
    assert paths[("plan", plan.pk)] == paths[("cycle_member", member.pk)] == {org.division.path}
    assert paths[("cycle", cycle.pk)] == {org.agency.path} and paths[("unit", org.division.pk)] == {org.division.path}
    assert paths[("position", org.employee.position_id)] == {org.division.path}
    assert paths[("role_assignment", org.hr.org_roles.get().pk)] == {org.agency.path}


# Endpoints registered before they had a scope (the migration) ------------------------------------------


def test_existing_endpoints_take_their_registrars_unit_and_the_unplaceable_are_deactivated(org):
    from importlib import import_module

    migration = import_module("notifications.migrations.0004_webhook_scope")
    admin = UserFactory(username="root", is_superuser=True)
    gone = UserFactory(username="former_hr")
    of_hr = WebhookEndpointFactory(created_by=org.hr)
    of_admin = WebhookEndpointFactory(created_by=admin)
    of_former_hr = WebhookEndpointFactory(created_by=gone)
    of_nobody = WebhookEndpointFactory(created_by=None)
    migration.scope_existing_endpoints(django_apps, None)
    rows = {e.pk: (e.unit_id, e.is_active) for e in WebhookEndpoint.objects.all()}
    assert rows[of_hr.pk] == (org.agency.pk, True)
    assert rows[of_admin.pk] == (None, True)
    assert rows[of_former_hr.pk] == rows[of_nobody.pk] == (None, False)


def test_a_webhook_cannot_be_registered_by_someone_who_is_not_hr(org):
    with pytest.raises(NotPermitted):
        webhook_register(actor=org.employee.user, url="https://simpeg.test/hook", events=[])
    with pytest.raises(ValidationError):
        webhook_register(actor=org.hr, url="https://simpeg.test/hook", events=[], unit_id=True)


# HR's page ----------------------------------------------------------------------------------------------


def hr_page(user):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_on_the_page_hr_chooses_a_unit_of_its_scope_and_sees_each_webhooks_unit(org):
    client = hr_page(org.hr)
    response = client.post("/hr/webhooks/", {"action": "register", "url": "https://simpeg.test/hook", "unit": org.division.pk})
    assert response.status_code == 200
    assert WebhookEndpoint.objects.get().unit == org.division
    assert "Bidang A" in client.get("/hr/webhooks/").content.decode()


def test_on_the_page_another_agencys_unit_is_no_choice(org, setda_hr):
    response = hr_page(setda_hr).post("/hr/webhooks/", {"action": "register", "url": "https://simpeg.test/hook",
                                                        "unit": org.division.pk})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()
    assert "Bidang A" not in response.content.decode()
