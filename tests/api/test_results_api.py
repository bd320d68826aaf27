"""Ratified results: ratification, the evaluation document, the exports, closing the cycle,
progress, and the query budgets of the report and assessment lists."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from processes.models import Assessment, UnitReview
from processes.services.reports import reports_open_month
from processes.services.scoring import unit_review_ratify

from ..factories import UserFactory
from ..lifecycle import approve_all_plans, start_evaluation
from .helpers import (
    API,
    add_staff,
    assessment_url,
    at,
    cycle_url,
    english,
    finalise,
    issued_evaluation,
    open_cycle,
    open_reports,
    ratified_evaluation,
    ratifier_of,
    review_url,
)

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def csv_rows(user, cycle, **params) -> list[dict]:
    response = english(user).get(cycle_url(cycle) + "results.csv", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def reviews(evaluation) -> dict:
    return {r.unit_id: r for r in UnitReview.objects.filter(evaluation=evaluation)}


# Ratification and the evaluation document -----------------------------------------------------------


def test_ratification_waits_until_every_result_of_the_unit_is_final(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    official, division = ratifier_of(cycle), reviews(evaluation)[org.division.pk]
    pending = english(official).post(review_url(division, "ratify"), {}, format="json")
    assert pending.status_code == 409 and "not final" in pending.json()["detail"]
    finalise(evaluation)
    ratified = english(official).post(review_url(division, "ratify"), {}, format="json")
    assert (ratified.status_code, ratified.json()["status"]) == (200, "ratified") and ratified.json()["ratified_at"]
    assert set(Assessment.objects.filter(unit_review=division).values_list("status", flat=True)) == {"ratified"}
    assert Assessment.objects.get(evaluation=evaluation, employee=org.other_employee).status == "final"


def test_only_the_ratifying_official_ratifies(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    finalise(evaluation)
    division = reviews(evaluation)[org.division.pk]
    assert english(org.hr).post(review_url(division, "ratify"), {}, format="json").status_code == 403
    assert english(org.forum_member).post(review_url(division, "ratify"), {}, format="json").status_code == 403
    division.refresh_from_db()
    assert division.status == "issued"


def test_the_evaluation_document_is_a_pdf_for_the_employee_and_hr_and_ratified_once_ratified(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    finalise(evaluation)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    before = english(org.employee.user).get(assessment_url(assessment, "document"))
    assert before.status_code == 200 and b"Not yet ratified" in before.content  # final, not ratified
    unit_review_ratify(review=reviews(evaluation)[org.division.pk], actor=ratifier_of(cycle))
    for user in (org.employee.user, org.hr):
        response = english(user).get(assessment_url(assessment, "document"))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF") and org.employee.nip in response["Content-Disposition"]
    assert english(org.colleague.user).get(assessment_url(assessment, "document")).status_code == 404


# Exports ---------------------------------------------------------------------------------------------------


def test_the_xlsx_export_holds_one_row_per_ratified_assessment(org, cycle):
    evaluation = ratified_evaluation(org, cycle)
    response = english(org.hr).get(cycle_url(cycle) + "results.xlsx")
    assert response.status_code == 200
    header, *rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    assert {"nip", "name", "predicate"} <= set(header)
    got = {row[header.index("nip")]: (row[header.index("name")], row[header.index("predicate")]) for row in rows}
    assessments = Assessment.objects.filter(evaluation=evaluation).select_related("employee")
    expected = {a.employee.nip: (a.employee.name, a.predicate) for a in assessments}
    assert len(rows) == 6 and got == expected


def test_the_csv_export_lists_only_ratified_results_and_filters_by_unit(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    finalise(evaluation)
    assert csv_rows(org.hr, cycle) == []
    unit_review_ratify(review=reviews(evaluation)[org.division.pk], actor=ratifier_of(cycle))
    rows = csv_rows(org.hr, cycle)  # the division's review: its staff (kabid is in the agency's review)
    assert sorted(r["name"] for r in rows) == ["Staf A1", "Staf A2"]
    assert {r["nip"] for r in rows} == {org.employee.nip, org.colleague.nip}
    assert {r["predicate"] for r in rows} == {"good"}
    assert {(r["changed_by"], r["predicate_before_change"]) for r in rows} == {("", "")}  # as the rater rated
    assert len(csv_rows(org.hr, cycle, unit=org.division.pk)) == 2
    assert csv_rows(org.hr, cycle, unit=org.other_division.pk) == []


def test_the_exports_filter_by_period(org, cycle):
    cycle.period_type = "quarterly"
    cycle.save()
    ratified_evaluation(org, cycle, period="Q1")
    ratified_evaluation(org, cycle, period="annual", approve=False)
    assert len(csv_rows(org.hr, cycle)) == 12
    assert {r["period"] for r in csv_rows(org.hr, cycle, period="annual")} == {"annual"}
    assert len(csv_rows(org.hr, cycle, period="Q1")) == 6
    sheet = load_workbook(io.BytesIO(english(org.hr).get(cycle_url(cycle) + "results.xlsx", {"period": "Q1"}).content)).active
    assert sheet.max_row == 7  # header + 6


def test_a_bad_filter_is_refused_and_a_user_who_cannot_see_the_cycle_gets_nothing(org, cycle):
    ratified_evaluation(org, cycle)
    for suffix in ("results.csv", "results.xlsx"):
        assert english(org.hr).get(cycle_url(cycle) + suffix, {"period": "Q9"}).json()["errors"]["period"]
        assert english(org.hr).get(cycle_url(cycle) + suffix, {"unit": "bidang"}).json()["errors"]["unit"]
        assert english(UserFactory(username="orang.luar")).get(cycle_url(cycle) + suffix).status_code == 404


@pytest.mark.parametrize("unit", ["²", "9" * 20])
def test_a_unit_filter_that_is_not_an_id_is_refused_under_its_own_name(org, cycle, unit):
    response = english(org.hr).get(cycle_url(cycle) + "results.csv", {"unit": unit})
    assert response.status_code == 400 and response.json()["errors"]["unit"]


def test_an_employee_of_the_cycle_cannot_download_everyones_results(org, cycle):
    ratified_evaluation(org, cycle)
    for suffix in ("results.csv", "results.xlsx"):
        assert english(org.employee.user).get(cycle_url(cycle) + suffix).status_code in (403, 404)


# Closing the cycle ---------------------------------------------------------------------------------------


def close(user, cycle):
    return english(user).post(cycle_url(cycle, "close"), {}, format="json")


def test_the_cycle_closes_only_once_every_unit_review_is_ratified(org, cycle):
    approve_all_plans(cycle)
    not_started = close(org.hr, cycle)
    assert not_started.status_code == 409 and "annual evaluation has not started" in not_started.json()["detail"]
    evaluation = issued_evaluation(org, cycle, approve=False)
    finalise(evaluation)
    detail = close(org.hr, cycle).json()["detail"]
    assert all(name in detail for name in ("Badan", "Bidang A", "Bidang B"))
    unit_review_ratify(review=reviews(evaluation)[org.division.pk], actor=ratifier_of(cycle))
    detail = close(org.hr, cycle).json()["detail"]
    assert "Bidang B" in detail and "Bidang A" not in detail
    for review in UnitReview.objects.filter(evaluation=evaluation, status="issued"):
        unit_review_ratify(review=review, actor=ratifier_of(cycle))
    assert close(org.kepala.user, cycle).status_code == 403
    closed = close(org.hr, cycle)
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    assert close(org.hr, cycle).status_code == 409


# Progress ------------------------------------------------------------------------------------------------


def test_progress_counts_each_document_type_by_status_and_unit(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    reports_open_month(year=2026, month=1)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    filed = english(org.employee.user).post(f"{API}/objections/", {"assessment": assessment.pk, "reasons": "Capaian sesuai target"},
                                            format="json")
    assert filed.status_code == 201
    documents = english(org.hr).get(cycle_url(cycle, "progress")).json()["documents"]
    assert (documents["plan"]["total"], documents["plan"]["statuses"]["approved"], documents["plan"]["statuses"]["draft"]) == (6, 6, 0)
    assert (documents["report"]["statuses"]["open"], documents["report"]["late"]) == (6, 0)
    assert (documents["assessment"]["statuses"]["issued"], documents["assessment"]["statuses"]["objected"]) == (5, 1)
    assert documents["unit_review"]["statuses"]["issued"] == 3
    assert documents["objection"]["total"] == 1 and sum(documents["objection"]["statuses"].values()) == 1
    division = next(u for u in documents["assessment"]["units"] if u["unit"] == org.division.pk)
    assert (division["unit_name"], division["statuses"]["issued"], division["statuses"]["objected"]) == ("Bidang A", 2, 1)


def test_progress_counts_overdue_tasks_per_document_type(org, cycle):
    open_reports(cycle)
    with at(2, 3):
        assert "report" not in english(org.hr).get(cycle_url(cycle, "progress")).json()["overdue_tasks"]
    with at(2, 6):
        assert english(org.hr).get(cycle_url(cycle, "progress")).json()["overdue_tasks"]["report"] == 6


def test_progress_is_not_found_for_a_user_who_cannot_see_the_cycle(org, cycle):
    assert english(UserFactory(username="orang.luar")).get(cycle_url(cycle, "progress")).status_code == 404


# Query budgets -----------------------------------------------------------------------------------------


def measure(user, url: str, expected_count: int) -> int:
    client = english(get_user_model().objects.get(pk=user.pk))  # a fresh user object, as each request has
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] == expected_count
    return len(queries)


@pytest.fixture
def two_cycles(org, cycle):
    """``cycle`` with its 6 employees, and a 2027 cycle after 18 more staff joined division A: 24."""
    approve_all_plans(cycle)
    add_staff(org, 18)
    second = open_cycle(org, year=2027)
    approve_all_plans(second)
    return cycle, second


def test_listing_reports_costs_the_same_for_few_and_many(org, two_cycles):
    small, large = two_cycles
    reports_open_month(year=2026, month=1)
    reports_open_month(year=2027, month=1)
    few = measure(org.hr, f"{API}/reports/?cycle={small.pk}", 6)
    many = measure(org.hr, f"{API}/reports/?cycle={large.pk}", 24)
    assert few == many <= MAX_QUERIES
    rater_few = measure(org.kabid.user, f"{API}/reports/?cycle={small.pk}", 3)
    assert rater_few == measure(org.kabid.user, f"{API}/reports/?cycle={large.pk}", 21) <= MAX_QUERIES


def test_listing_assessments_costs_the_same_for_few_and_many(org, two_cycles):
    small, large = two_cycles
    start_evaluation(small, org.hr)
    start_evaluation(large, org.hr)
    few = measure(org.hr, f"{API}/assessments/?cycle={small.pk}", 6)
    many = measure(org.hr, f"{API}/assessments/?cycle={large.pk}", 24)
    assert few == many <= MAX_QUERIES
    rater_few = measure(org.kabid.user, f"{API}/assessments/?cycle={small.pk}", 3)
    assert rater_few == measure(org.kabid.user, f"{API}/assessments/?cycle={large.pk}", 21) <= MAX_QUERIES
