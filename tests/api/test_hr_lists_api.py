"""HR's lists of a cycle through the API (late reports, overdue tasks): the same rows as HR's
cycle page, for HR of the cycle's units only, paginated, at a fixed cost."""

from __future__ import annotations

import pytest
from django.test import Client

from ..conftest import client_for
from ..factories import RoleAssignmentFactory, UnitFactory, UserFactory
from .helpers import add_staff, at, cycle_url, open_cycle, open_reports

LISTS = ["late-reports", "overdue-tasks"]
PAGE_CONTEXT = {"late-reports": "late_reports", "overdue-tasks": "overdue"}
# Whatever the length: the cycle and who may see it (6), the count, the rows, and for the tasks
# the labels of their documents (one query per document type; here reports only).
BUDGET = {"late-reports": 8, "overdue-tasks": 9}


def page_rows(user, cycle, name: str) -> tuple[list[int], int]:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    listed = browser.get(f"/hr/cycles/{cycle.pk}/").context[PAGE_CONTEXT[name]]
    return [row.pk for row in listed["rows"]], listed["count"]


def api_rows(user, cycle, name: str, page_size: int = 2) -> tuple[list[dict], int]:
    """Every row of the API's list, page after page."""
    client, rows, url = client_for(user), [], f"{cycle_url(cycle, name)}?page_size={page_size}"
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows, body["count"]


@pytest.mark.parametrize("name", LISTS)
def test_the_api_lists_what_hrs_cycle_page_lists(org, cycle, name):
    open_reports(cycle)
    with at(2, 7):  # January's reports were due on 5 February: late, and their submit tasks overdue
        expected, count = page_rows(org.hr, cycle, name)
        rows, api_count = api_rows(org.hr, cycle, name)
    assert len(expected) == 6 and count == 6
    assert [row["id"] for row in rows] == expected and api_count == count


def test_a_late_report_row_names_the_employee_the_unit_the_month_and_that_it_is_not_submitted(org, cycle):
    reports = open_reports(cycle)
    with at(2, 7):
        rows, _count = api_rows(org.hr, cycle, "late-reports", page_size=50)
    row = next(row for row in rows if row["id"] == reports[org.employee.pk].pk)
    assert row["employee"]["name"] == "Staf A1" and row["unit_name"] == "Bidang A" and row["month"] == 1
    assert row["status"] == "open" and row["unsubmitted"] is True and row["due_at"].startswith("2026-02-05")


def test_an_overdue_task_row_names_the_document_what_is_to_do_and_who_holds_it(org, cycle):
    reports = open_reports(cycle)
    with at(2, 7):
        rows, _count = api_rows(org.hr, cycle, "overdue-tasks", page_size=50)
    row = next(row for row in rows if row["document_id"] == reports[org.employee.pk].pk)
    assert row["document_type"] == "report" and row["actions"] == ["submit"]
    assert row["holder"] == "Staf A1" and row["assignee"] == org.employee.user_id and "Staf A1" in row["label"]


def test_nothing_late_gives_empty_lists(org, cycle):
    for name in LISTS:
        with at(1, 10):  # the plans are due on 31 January
            body = client_for(org.hr).get(cycle_url(cycle, name)).json()
        assert body["count"] == 0 and body["results"] == []


@pytest.mark.parametrize("name", LISTS)
def test_another_agencys_hr_does_not_find_the_cycle(org, cycle, name):
    other_hr = UserFactory(username="hr.lain")
    RoleAssignmentFactory(user=other_hr, unit=UnitFactory(code="OTHER", name="Dinas Lain", kind="agency", parent=org.government))
    assert client_for(other_hr).get(cycle_url(cycle, name)).status_code == 404


@pytest.mark.parametrize("name", LISTS)
def test_a_member_or_the_forum_of_the_cycle_is_refused_hrs_lists(org, cycle, name):
    assert client_for(org.employee.user).get(cycle_url(cycle, name)).status_code == 403
    assert client_for(org.forum_member).get(cycle_url(cycle, name)).status_code == 403


@pytest.mark.parametrize("name", LISTS)
def test_a_list_costs_the_same_for_6_late_people_as_for_26(org, cycle, name, django_assert_max_num_queries):
    """The rows come with their employee, unit, holder and label in a fixed number of queries."""
    open_reports(cycle)
    add_staff(org, 20)
    larger = open_cycle(org, year=2027)
    open_reports(larger)
    for listed, year, expected in ((cycle, 2026, 6), (larger, 2027, 26)):
        with at(2, 7, year=year), django_assert_max_num_queries(BUDGET[name]):
            body = client_for(org.hr).get(f"{cycle_url(listed, name)}?page_size=100").json()
        assert body["count"] == expected and len(body["results"]) == expected
