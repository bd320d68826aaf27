"""The rater writes the leader's specific expectations per core value in the employee's plan
(ekspektasi khusus pimpinan), optional per value; the approved version keeps them."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from processes.models import PlanVersion
from processes.services.plans import plan_set_expectations
from workflow.engine import perform
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent

from ..conftest import client_for, fill_plan, plan_of

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def submitted(org, approved_chain, cycle):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    return perform(plan, "submit", actor=org.employee.user).document


def test_the_rater_writes_expectations_and_the_approved_version_keeps_them(org, submitted):
    plan = plan_set_expectations(plan=submitted, actor=org.kabid.user, expectations={
        "service_orientation": "  Menjawab permohonan warga dalam 3 hari kerja  ", "loyalty": "", "collaboration": "Aktif di tim"})
    assert plan.expectations == {"service_orientation": "Menjawab permohonan warga dalam 3 hari kerja", "collaboration": "Aktif di tim"}
    event = AuditEvent.objects.filter(document_type="plan", document_id=plan.pk).latest("seq")
    assert event.action == "set_expectations" and event.data["values"] == ["collaboration", "service_orientation"]
    perform(plan, "approve", actor=org.kabid.user)
    version = PlanVersion.objects.get(plan=plan, revision=1)
    assert version.content["expectations"] == plan.expectations


def test_writing_the_same_expectations_again_records_nothing(org, submitted):
    plan_set_expectations(plan=submitted, actor=org.kabid.user, expectations={"loyalty": "Taat asas"})
    events = AuditEvent.objects.filter(document_type="plan", document_id=submitted.pk).count()
    plan_set_expectations(plan=submitted, actor=org.kabid.user, expectations={"loyalty": "Taat asas "})
    assert AuditEvent.objects.filter(document_type="plan", document_id=submitted.pk).count() == events


def test_only_the_rater_writes_them_and_only_before_the_approval(org, submitted):
    with pytest.raises(NotPermitted):
        plan_set_expectations(plan=submitted, actor=org.employee.user, expectations={"loyalty": "Saya sendiri"})
    perform(submitted, "approve", actor=org.kabid.user)
    with pytest.raises(InvalidTransition):
        plan_set_expectations(plan=submitted, actor=org.kabid.user, expectations={"loyalty": "Terlambat"})


@pytest.mark.parametrize("expectations, field", [
    ({"honesty": "x"}, "expectations"),
    (["loyalty"], "expectations"),
    ({"loyalty": 5}, "expectations.loyalty"),
    ({"loyalty": "x" * 2001}, "expectations.loyalty"),
    ({"loyalty": "a\x00b"}, "expectations.loyalty"),
])
def test_bad_expectations_are_refused_by_field(org, submitted, expectations, field):
    with pytest.raises(ValidationError) as refused:
        plan_set_expectations(plan=submitted, actor=org.kabid.user, expectations=expectations)
    assert field in refused.value.message_dict


def test_the_api_takes_expectations_and_answers_a_bad_body_with_400(org, submitted):
    rater = client_for(org.kabid.user)
    url = f"{API}/plans/{submitted.pk}/expectations/"
    done = rater.post(url, {"expectations": {"adaptability": "Cepat belajar aplikasi baru"}}, format="json")
    assert done.status_code == 200 and done.json()["expectations"] == {"adaptability": "Cepat belajar aplikasi baru"}
    assert rater.post(url, {"expectations": {"nope": "x"}}, format="json").status_code == 400
    assert rater.post(url, {}, format="json").status_code == 400
    assert client_for(org.employee.user).post(url, {"expectations": {"loyalty": "x"}}, format="json").status_code == 403
    assert client_for(org.employee.user).get(f"{API}/plans/{submitted.pk}/").json()["expectations"] == {
        "adaptability": "Cepat belajar aplikasi baru"}


def test_the_plan_page_lets_the_rater_write_them_and_shows_them_to_the_employee(org, submitted):
    rater = Client(HTTP_ACCEPT_LANGUAGE="en")
    rater.force_login(org.kabid.user)
    page = rater.get(f"/plans/{submitted.pk}/").content.decode()
    assert 'name="expectation_loyalty"' in page
    too_long = rater.post(f"/plans/{submitted.pk}/", {"op": "expectations", "expectation_loyalty": "x" * 2001})
    assert too_long.status_code == 400 and "at most 2000 characters" in too_long.content.decode()
    saved = rater.post(f"/plans/{submitted.pk}/", {"op": "expectations", "expectation_harmony": "Menjaga suasana kerja"})
    assert saved.status_code == 302
    employee = Client(HTTP_ACCEPT_LANGUAGE="en")
    employee.force_login(org.employee.user)
    shown = employee.get(f"/plans/{submitted.pk}/").content.decode()
    assert "Menjaga suasana kerja" in shown and 'name="expectation_harmony"' not in shown


def test_an_additional_result_needs_no_cascade_but_a_main_one_does(org, approved_chain, cycle):
    from ..factories import IndicatorFactory, PlanResultFactory

    plan = plan_of(cycle, org.colleague)
    main = PlanResultFactory(plan=plan, kind="main", supports=approved_chain["kabid_result"])
    IndicatorFactory(result=main)
    extra = PlanResultFactory(plan=plan, kind="additional", supports=None, title="Narasumber pelatihan")
    IndicatorFactory(result=extra)
    assert perform(plan, "submit", actor=org.colleague.user).document.status == "submitted"

    other = plan_of(cycle, org.employee)
    unsupported = PlanResultFactory(plan=other, kind="main", supports=None, title="Tanpa intervensi")
    IndicatorFactory(result=unsupported)
    with pytest.raises(InvalidTransition) as refused:
        perform(other, "submit", actor=org.employee.user)
    assert "Tanpa intervensi" in str(refused.value.message)


def test_a_plan_of_additional_results_alone_is_refused(org, approved_chain, cycle):
    from ..factories import IndicatorFactory, PlanResultFactory

    plan = plan_of(cycle, org.colleague)
    IndicatorFactory(result=PlanResultFactory(plan=plan, kind="additional", supports=None))
    with pytest.raises(InvalidTransition) as refused:
        perform(plan, "submit", actor=org.colleague.user)
    assert "main result" in str(refused.value.message) or "utama" in str(refused.value.message)


def test_the_approved_versions_on_the_page_show_the_expectations_as_approved(org, submitted):
    plan_set_expectations(plan=submitted, actor=org.kabid.user, expectations={"competence": "Menguasai SIASN"})
    perform(submitted, "approve", actor=org.kabid.user)
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(org.employee.user)
    versions = page.get(f"/plans/{submitted.pk}/").content.decode().split('id="versions"', 1)[1]
    assert "Menguasai SIASN" in versions
