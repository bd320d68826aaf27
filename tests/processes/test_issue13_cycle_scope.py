"""One cycle per agency, year and period type (issue 13, point 5)."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from processes.models import Cycle
from processes.services.cycles import cycle_create
from workflow.errors import Conflict

pytestmark = pytest.mark.django_db


def _create(org, name, *, year=2027, units=None, period_type=Cycle.PeriodType.ANNUAL):
    return cycle_create(actor=org.hr, name=name, year=year, units=units or [org.agency],
                        plan_deadline=datetime.date(year, 1, 31), period_type=period_type)


def test_a_second_cycle_for_the_same_agency_year_and_period_type_is_refused_naming_the_first(org):
    first = _create(org, "Kinerja 2027")
    with pytest.raises(Conflict) as error:
        _create(org, "Kinerja 2027 lagi")
    assert "Kinerja 2027" in error.value.message
    assert Cycle.objects.filter(year=2027).count() == 1
    assert first.scope_key


def test_a_cycle_for_a_division_of_an_agency_already_in_a_cycle_is_refused(org):
    _create(org, "Kinerja 2027")
    with pytest.raises(Conflict):
        _create(org, "Kinerja Bidang 2027", units=[org.division])


def test_another_year_or_period_type_of_the_same_agency_is_accepted(org):
    _create(org, "Kinerja 2027")
    _create(org, "Kinerja 2028", year=2028)
    _create(org, "Triwulan 2027", period_type=Cycle.PeriodType.QUARTERLY)
    assert Cycle.objects.count() == 3


def test_the_database_refuses_a_second_cycle_of_the_same_scope_even_without_the_check(org):
    first = _create(org, "Kinerja 2027")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cycle.objects.create(name="Lewat belakang", year=2027, period_type=first.period_type,
                             plan_deadline=first.plan_deadline, scope_key=first.scope_key)


def test_a_race_lost_at_the_constraint_is_the_same_conflict(org, monkeypatch):
    first = _create(org, "Kinerja 2027")
    from processes.services import cycles

    monkeypatch.setattr(cycles, "_overlapping_cycle", lambda **kwargs: None)  # the check passed before the other committed
    with pytest.raises(Conflict) as error:
        _create(org, "Kinerja 2027 kembar")
    assert first.name in error.value.message


def test_the_api_answers_409_naming_the_existing_cycle(org):
    from rest_framework.test import APIClient

    _create(org, "Kinerja 2027")
    client = APIClient()
    client.force_authenticate(org.hr)
    response = client.post("/api/v1/cycles/", {"name": "Dua", "year": 2027, "units": [org.agency.pk],
                                               "plan_deadline": "2027-01-31"}, format="json")
    assert response.status_code == 409, response.content
    assert "Kinerja 2027" in response.json()["detail"]


def test_hrs_page_answers_409_with_the_existing_cycle_named(org):
    from ..web.test_hr_pages import browser

    _create(org, "Kinerja 2027")
    page = browser(org.hr).post("/hr/cycles/", {"name": "Lagi", "year": 2027, "period_type": "annual",
                                                "units": [org.agency.pk], "plan_deadline": "2027-01-31"})
    assert page.status_code == 409 and "Kinerja 2027" in page.content.decode()
    assert Cycle.objects.filter(year=2027).count() == 1


def test_the_overlap_check_reads_the_years_cycles_at_once_however_many_there_are(org, django_assert_max_num_queries):
    from processes.services.cycles import _overlapping_cycle

    from ..factories import RoleAssignmentFactory, UnitFactory

    RoleAssignmentFactory(user=org.hr, unit=org.government)  # HR of the whole government, for the setup
    for n in range(8):  # eight other agencies with a cycle of the year
        _create(org, f"Kinerja lain {n}", units=[UnitFactory(code=f"OTHER-{n}", kind="agency", parent=org.government)])
    with django_assert_max_num_queries(3):
        assert _overlapping_cycle(year=2027, period_type=Cycle.PeriodType.ANNUAL, units=[org.agency]) is None
    assert _overlapping_cycle(year=2027, period_type=Cycle.PeriodType.ANNUAL, units=[org.division]) is None
