"""Delegations only to a colleague of one's agency (or unit, by setting), and no directory: a
refused delegate is refused with one answer whatever the reason, named nowhere, not notified."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from notifications.models import Notification
from org.delegations import delegation_candidates, delegation_create
from org.models import Delegation, Unit
from workflow.models import AuditEvent

from ..api.helpers import API, english
from ..conftest import client_for
from ..factories import EmployeeFactory, RoleAssignmentFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
DELEGATIONS = f"{API}/delegations/"
REFUSED = "Choose a colleague of your agency who has a user account."


def leave(delegate_id, **extra) -> dict:
    start = timezone.localdate()
    return {"delegate": delegate_id, "start": start.isoformat(), "end": (start + datetime.timedelta(days=3)).isoformat(),
            "reason": "Cuti tahunan", **extra}


@pytest.fixture
def strangers(org):
    """Who the employee may not delegate to: the regional secretary (another agency), someone
    left, someone without an account; and an id that is nobody's."""
    gone = EmployeeFactory(name="Pensiunan", position__unit=org.division, is_active=False)
    no_account = EmployeeFactory(name="Tanpa Akun", user=None, position__unit=org.division)
    return {"another agency": org.sekda.pk, "inactive": gone.pk, "no account": no_account.pk, "nobody": 987654}


@pytest.mark.parametrize("who", ["another agency", "inactive", "no account", "nobody"])
def test_a_delegate_one_may_not_choose_is_refused_with_the_same_answer_whoever_it_is(org, strangers, who):
    response = english(org.employee.user).post(DELEGATIONS, leave(strangers[who]), format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"delegate": [REFUSED]}}


@pytest.mark.parametrize("who", ["another agency", "inactive", "no account"])
def test_the_refusal_names_nobody_and_notifies_nobody(org, strangers, who):
    from org.models import Employee

    person = Employee.objects.get(pk=strangers[who])
    response = client_for(org.employee.user).post(DELEGATIONS, leave(person.pk), format="json")
    assert person.nip not in response.content.decode() and person.name not in response.content.decode()
    assert not Delegation.objects.exists()
    assert not Notification.objects.filter(event="delegation.started").exists()
    assert not AuditEvent.objects.filter(document_type="delegation").exists()


def test_a_colleague_of_the_agency_in_another_division_may_be_chosen(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.employee.user).post(DELEGATIONS, leave(org.other_employee.pk), format="json")
    assert response.status_code == 201
    assert response.json()["delegate"]["id"] == org.other_employee.pk
    assert Notification.objects.filter(recipient=org.other_employee.user, event="delegation.started").exists()


def test_delegating_to_oneself_is_refused(org):
    response = english(org.employee.user).post(DELEGATIONS, leave(org.employee.pk), format="json")
    assert response.status_code == 400 and response.json()["errors"]["delegate"] == ["Delegate to someone else."]


def test_hr_naming_a_delegator_of_another_agency_is_refused_as_for_nobody(org):
    setda_hr = UserFactory(username="setda_hr")
    RoleAssignmentFactory(user=setda_hr, unit=Unit.objects.get(code="SETDA"))
    client = client_for(setda_hr)
    foreign = client.post(DELEGATIONS, leave(org.colleague.pk, delegator=org.kabid.pk), format="json")
    missing = client.post(DELEGATIONS, leave(org.colleague.pk, delegator=987654), format="json")
    assert foreign.status_code == missing.status_code == 403 and foreign.json() == missing.json()
    assert org.kabid.name not in foreign.content.decode()


def test_an_employee_may_not_delegate_someone_elses_tasks(org):
    response = client_for(org.employee.user).post(DELEGATIONS, leave(org.colleague.pk, delegator=org.kabid.pk), format="json")
    assert response.status_code == 403
    assert not Delegation.objects.exists()


def test_hr_delegates_for_an_employee_of_its_scope_within_the_employees_agency(org):
    response = client_for(org.hr).post(DELEGATIONS, leave(org.colleague.pk, delegator=org.kabid.pk), format="json")
    assert response.status_code == 201
    refused = client_for(org.hr).post(DELEGATIONS, leave(org.sekda.pk, delegator=org.kabid.pk), format="json")
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["delegate"]


def test_the_head_of_government_may_delegate_to_anyone_of_the_government(org):
    """Above every agency, the unit is its own agency: its subtree is the whole government."""
    walikota = EmployeeFactory(name="Wali Kota", position__unit=org.government)
    assert set(delegation_candidates(walikota).values_list("pk", flat=True)) >= {org.sekda.pk, org.kepala.pk, org.employee.pk}


def test_an_employee_without_a_position_may_delegate_to_nobody(org):
    loose = EmployeeFactory(name="Tanpa Jabatan", position=None)
    assert not delegation_candidates(loose).exists()


def test_with_the_unit_setting_only_the_delegators_unit_and_those_below_it_qualify(org, settings):
    settings.KINERJA_DELEGATION_SCOPE = "unit"
    section = UnitFactory(code="SEKSI-A1", kind="section", parent=org.division)
    below = EmployeeFactory(name="Staf Seksi", position__unit=section)
    assert set(delegation_candidates(org.kabid).values_list("pk", flat=True)) == {org.employee.pk, org.colleague.pk, below.pk}
    refused = english(org.kabid.user).post(DELEGATIONS, leave(org.other_kabid.pk), format="json")
    assert refused.status_code == 400 and refused.json()["errors"]["delegate"] == [REFUSED]
    assert client_for(org.kabid.user).post(DELEGATIONS, leave(org.colleague.pk), format="json").status_code == 201


def test_an_unknown_scope_setting_stops_the_delegation_loudly(org, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.KINERJA_DELEGATION_SCOPE = "everyone"
    with pytest.raises(ImproperlyConfigured):
        delegation_create(actor=org.kabid.user, delegate=org.colleague, start=timezone.localdate(),
                          end=timezone.localdate(), reason="Cuti")
