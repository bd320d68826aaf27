"""The distribution pattern measures the right people (SE MenPANRB 3/2023).

The review of unit X holds the assessments of the employees X's leader rates: X's own staff and
the heads of X's sub-units. X's leader is calibrated in the review of the unit above, and their
results rating follows X's predicate. A leader at the top of the cycle's scope has no unit above
in the cycle: their assessment stays in their own unit's review, outside its pattern.

Before this change each review held its unit's own leader, so the agency's review held only the
agency head and the division heads were never measured against the agency's predicate.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.demo import seed_demo
from processes.flows.unit_review import in_pattern, scored_predicates
from processes.models import Assessment, CycleRole, UnitReview
from processes.services.cycles import cycle_create, cycle_open
from processes.services.scoring import board, unit_review_approve, unit_review_ratify, unit_review_set_predicate
from workflow.engine import perform
from workflow.errors import InvalidTransition

from ..factories import EmployeeFactory, RoleAssignmentFactory, UnitFactory, UserFactory
from ..lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


def names_in(review: UnitReview) -> set[str]:
    return set(Assessment.objects.filter(unit_review=review).values_list("employee__name", flat=True))


def names_in_pattern(review: UnitReview) -> set[str]:
    return set(in_pattern(Assessment.objects.filter(unit_review=review), review).values_list("employee__name", flat=True))


# The demo organisation -------------------------------------------------------------------

@pytest.fixture
def demo_evaluation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cycle = seed_demo(today=datetime.date(2026, 1, 5))
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, cycle.created_by)
    return {r.unit.code: r for r in UnitReview.objects.filter(evaluation=evaluation).select_related("unit")}


def test_the_agency_review_holds_the_division_heads_and_not_only_the_agency_head(demo_evaluation):
    agency = demo_evaluation["BKPSDM"]
    assert names_in_pattern(agency) == {"Andi Pratama, S.Sos., M.AP.", "Maria Ulfa, S.Pd., M.M."}
    # The agency head is at the top of the cycle's scope: on the board, outside its pattern.
    assert names_in(agency) == names_in_pattern(agency) | {"Dr. Siti Rahmawati, M.Si."}


def test_a_division_review_holds_its_staff_and_not_its_head(demo_evaluation):
    assert names_in(demo_evaluation["BID-MUTASI"]) == {"Putri Ayu Lestari, S.AP.", "Budi Santoso, A.Md.", "Yusuf Hidayat"}
    assert names_in(demo_evaluation["BID-BANGKOM"]) == {"Rudi Hartono, S.Kom.", "Fitri Handayani, S.Psi.",
                                                        "Dimas Saputra, A.Md.Kom."}


def test_a_division_heads_results_follow_the_division_predicate_though_the_agency_forum_calibrates_them(demo_evaluation):
    set_unit_predicates(demo_evaluation["BKPSDM"].evaluation, "good")
    mutasi = demo_evaluation["BID-MUTASI"]
    unit_review_set_predicate(review=mutasi, actor=mutasi.predicate_setter.user, unit_predicate="needs_improvement")
    kabid = Assessment.objects.get(employee__user__username="kabid.a")
    assert (kabid.unit_review, kabid.led_review) == (demo_evaluation["BKPSDM"], mutasi)

    submitted = rate_and_submit(kabid, results="above", behaviour="above")

    assert (submitted.results_rating, submitted.predicate, submitted.unit_predicate) == ("below", "needs_improvement", "needs_improvement")


def test_a_division_head_waits_for_the_predicate_of_the_division_they_lead(demo_evaluation, in_english):
    agency = demo_evaluation["BKPSDM"]
    unit_review_set_predicate(review=agency, actor=agency.predicate_setter.user, unit_predicate="good")
    kabid = Assessment.objects.get(employee__user__username="kabid.b")
    with pytest.raises(InvalidTransition, match="unit this leader leads"):
        rate_and_submit(kabid)


def test_the_agency_pattern_is_measured_on_the_division_heads(demo_evaluation):
    evaluation = demo_evaluation["BKPSDM"].evaluation
    set_unit_predicates(evaluation, "outstanding")
    for username in ("kabid.a", "kabid.b"):
        rate_and_submit(Assessment.objects.get(employee__user__username=username), behaviour="above")
    rate_and_submit(Assessment.objects.get(employee__user__username="kepala"), behaviour="below")  # would be "poor"

    agency = demo_evaluation["BKPSDM"]
    assert sorted(scored_predicates(agency)) == ["very_good", "very_good"]
    shown = board(agency)
    assert shown["total"] == 2 and shown["distribution"]["poor"] == 0


def test_the_predicate_of_a_unit_cannot_change_once_its_leaders_result_is_issued(demo_evaluation):
    evaluation = demo_evaluation["BKPSDM"].evaluation
    set_unit_predicates(evaluation, "good")
    for a in Assessment.objects.filter(evaluation=evaluation, unit_review=demo_evaluation["BKPSDM"]):
        rate_and_submit(a)
    forum = CycleRole.objects.filter(role="forum_member").first().user
    issue_unit(demo_evaluation["BKPSDM"], forum)
    mutasi = demo_evaluation["BID-MUTASI"]

    with pytest.raises(ValidationError) as refused:
        unit_review_set_predicate(review=mutasi, actor=mutasi.predicate_setter.user, unit_predicate="outstanding")

    assert "unit_predicate" in refused.value.message_dict
    mutasi.refresh_from_db()
    assert mutasi.unit_predicate == "good"


# A four-level synthetic organisation ---------------------------------------------------

@pytest.fixture
def four_levels(db, django_capture_on_commit_callbacks):
    """GOV > AGENCY > DIV > SUB-1, SUB-2; a leader and staff at each level, SUB-2 led by its head alone."""
    gov = UnitFactory(code="GOV", kind="government")
    agency = UnitFactory(code="AGENCY", kind="agency", parent=gov)
    div = UnitFactory(code="DIV", parent=agency)
    sub1 = UnitFactory(code="SUB-1", parent=div)
    sub2 = UnitFactory(code="SUB-2", parent=div)
    top = EmployeeFactory(name="Sekda", position__unit=gov, position__is_unit_leader=True)
    people = {"top": top}

    def person(name, unit, superior, leader=False):
        people[name] = EmployeeFactory(name=name, position__unit=unit, position__superior=people[superior].position,
                                       position__is_unit_leader=leader)

    person("head", agency, "top", leader=True)
    person("agency staff", agency, "head")
    person("div head", div, "head", leader=True)
    person("div staff", div, "div head")
    person("sub1 head", sub1, "div head", leader=True)
    person("sub1 staff 1", sub1, "sub1 head")
    person("sub1 staff 2", sub1, "sub1 head")
    person("sub2 head", sub2, "div head", leader=True)
    hr = UserFactory()
    RoleAssignmentFactory(user=hr, unit=agency)
    cycle = cycle_create(actor=hr, name="Kinerja 2026", year=2026, units=[agency], plan_deadline=datetime.date(2026, 1, 31))
    forum = UserFactory()
    CycleRole.objects.create(cycle=cycle, user=forum, role=CycleRole.Role.FORUM_MEMBER, unit=agency)
    CycleRole.objects.create(cycle=cycle, user=top.user, role=CycleRole.Role.RATIFYING_OFFICIAL, unit=None)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=cycle, actor=hr)
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, hr)
    reviews = {r.unit.code: r for r in UnitReview.objects.filter(evaluation=evaluation).select_related("unit")}
    return {"reviews": reviews, "forum": forum, "top": top, "evaluation": evaluation}


def test_each_level_reviews_its_staff_and_the_heads_of_the_level_below(four_levels):
    reviews = four_levels["reviews"]
    assert set(reviews) == {"AGENCY", "DIV", "SUB-1", "SUB-2"}
    assert names_in_pattern(reviews["AGENCY"]) == {"agency staff", "div head"}
    assert names_in(reviews["AGENCY"]) == {"agency staff", "div head", "head"}  # the head of the scope, outside the pattern
    assert names_in(reviews["DIV"]) == {"div staff", "sub1 head", "sub2 head"}
    assert names_in(reviews["SUB-1"]) == {"sub1 staff 1", "sub1 staff 2"}
    assert names_in(reviews["SUB-2"]) == set()  # its head alone: the review holds its predicate
    leaders = dict(Assessment.objects.filter(is_unit_leader=True).values_list("employee__name", "led_review__unit__code"))
    assert leaders == {"head": "AGENCY", "div head": "DIV", "sub1 head": "SUB-1", "sub2 head": "SUB-2"}


def test_the_four_level_year_issues_and_ratifies_every_review_including_the_one_without_assessments(four_levels):
    reviews, forum, top = four_levels["reviews"], four_levels["forum"], four_levels["top"]
    set_unit_predicates(four_levels["evaluation"], "good")
    unit_review_set_predicate(review=reviews["SUB-2"], actor=reviews["SUB-2"].predicate_setter.user, unit_predicate="outstanding")
    for a in Assessment.objects.filter(evaluation=four_levels["evaluation"]):
        rate_and_submit(a)
    assert Assessment.objects.get(employee__name="sub2 head").results_rating == "above"  # SUB-2 is outstanding

    for code in ("SUB-2", "SUB-1", "DIV", "AGENCY"):
        unit_review_approve(review=reviews[code], actor=forum, justification="Sesuai rapat forum kalibrasi kinerja")
    for a in Assessment.objects.filter(evaluation=four_levels["evaluation"]):
        perform(a, "accept", actor=a.employee.user)
    for review in reviews.values():
        unit_review_ratify(review=review, actor=top.user)

    assert set(UnitReview.objects.values_list("status", flat=True)) == {"ratified"}
    assert set(Assessment.objects.values_list("status", flat=True)) == {"ratified"}
