"""Lists cost a fixed number of queries, whatever their length."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..conftest import client_for, fill_plan, plan_of
from .helpers import API, add_staff, approve_chain, open_cycle, submit_all

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12


def fresh_client(user):
    """A client for a freshly loaded user, as each real request has (nothing cached on it)."""
    return client_for(get_user_model().objects.get(pk=user.pk))


def measure(user, url: str, expected_count: int) -> int:
    client = fresh_client(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] == expected_count
    return len(queries)


def grow_to_twenty(org, cycle, approved_chain):
    """kabid's 2 staff submit in ``cycle``; then 18 more staff join and all 20 submit in a
    second cycle. Returns the second cycle."""
    submit_all(cycle, [org.employee, org.colleague], approved_chain["kabid_result"])
    extra = add_staff(org, 18)
    second = open_cycle(org, year=2027)
    submit_all(second, [org.employee, org.colleague, *extra], approve_chain(org, second))
    return second


def test_listing_plans_costs_the_same_for_2_as_for_20(org, cycle, approved_chain):
    second = grow_to_twenty(org, cycle, approved_chain)
    two = measure(org.kabid.user, f"{API}/plans/?cycle={cycle.pk}&rater={org.kabid.pk}", 2)
    twenty = measure(org.kabid.user, f"{API}/plans/?cycle={second.pk}&rater={org.kabid.pk}", 20)
    assert two == twenty
    assert twenty <= MAX_QUERIES


def test_hr_listing_every_plan_costs_the_same_for_a_small_and_a_large_cycle(org, cycle, approved_chain):
    second = grow_to_twenty(org, cycle, approved_chain)
    few = measure(org.hr, f"{API}/plans/?cycle={cycle.pk}", 6)
    many = measure(org.hr, f"{API}/plans/?cycle={second.pk}", 24)
    assert few == many
    assert many <= MAX_QUERIES


def test_listing_tasks_costs_the_same_for_2_as_for_22(org, cycle, approved_chain):
    submit_all(cycle, [org.employee, org.colleague], approved_chain["kabid_result"])
    two = measure(org.kabid.user, f"{API}/tasks/", 2)
    extra = add_staff(org, 18)
    second = open_cycle(org, year=2027)
    submit_all(second, [org.employee, org.colleague, *extra], approve_chain(org, second))
    twenty_two = measure(org.kabid.user, f"{API}/tasks/", 22)
    assert two == twenty_two
    assert twenty_two <= MAX_QUERIES


def test_listing_notifications_costs_the_same_for_few_and_many(org, cycle, approved_chain):
    few_count = measure(org.kabid.user, f"{API}/notifications/", 2)
    grow_to_twenty(org, cycle, approved_chain)
    total = org.kabid.user.notifications.count()
    assert total > 20
    assert measure(org.kabid.user, f"{API}/notifications/", total) == few_count <= MAX_QUERIES


def test_plan_detail_has_a_fixed_cost_with_many_results(org, cycle, approved_chain, django_assert_max_num_queries):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"], results=15)
    client = fresh_client(org.employee.user)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"{API}/plans/{plan.pk}/")
    assert len(response.json()["results"]) == 15
