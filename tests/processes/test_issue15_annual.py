"""The year's result from its plans, and PPPK contracts (issue 15, docs/periods-and-changes.md).

Each plan of the year is evaluated for its period by its own rater; the annual predicate of
someone with several plans is derived by the rule set's ``annual_predicate`` option, only from
issued results. A PPPK's plan never runs past the contract's end, and HR sees the evaluation of
the contract's last plan for the decision to extend it.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import Assessment, Cycle, UnitReview
from processes.selectors.annual import annual_result
from processes.selectors.contracts import contracts_ending
from processes.services.membership import member_join, member_leave, member_move

from ..api.helpers import agency_forum, at
from ..conftest import plan_of, plans_of
from ..factories import EmployeeFactory, PositionFactory
from ..lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

D = datetime.date
# (results, behaviour) -> predicate by the default matrix
NEEDS_IMPROVEMENT, GOOD, VERY_GOOD = ("below", "as_expected"), ("as_expected", "as_expected"), ("above", "above")


def set_option(cycle, option: str) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(rules={**cycle.rules, "annual_predicate": option})


def post_in_other_division(org):
    return PositionFactory(title="Analis Bidang B", unit=org.other_division, superior=org.other_kabid.position)


def evaluate_year(org, cycle, ratings: list[tuple[str, str]], *, issue: bool = True):
    """Every plan approved, the annual evaluation started, the employee's plans rated in the order
    of their periods with ``ratings`` (everyone else as expected) and, with ``issue``, issued."""
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation)
    parts = employee_parts(evaluation, org.employee)
    for assessment in Assessment.objects.filter(evaluation=evaluation).exclude(pk__in=[a.pk for a in parts]):
        rate_and_submit(assessment)
    for assessment, rating in zip(parts, ratings):
        rate_and_submit(assessment, *rating)
    if issue:
        forum = agency_forum(cycle)
        for review in UnitReview.objects.filter(evaluation=evaluation):
            issue_unit(review, forum)
    return evaluation


def employee_parts(evaluation, employee) -> list[Assessment]:
    return list(Assessment.objects.filter(evaluation=evaluation, employee=employee).order_by("member__plan__start"))


@pytest.fixture
def moved_on_20_july(org, cycle):
    """The employee's plans: 1 January to 19 July (200 days, kabid), 20 July to 31 December
    (165 days, other_kabid), the first approved in January."""
    approve_all_plans(cycle)
    with at(7, 20):
        member_move(member=plan_of(cycle, org.employee).member, position=post_in_other_division(org), on=D(2026, 7, 20),
                    actor=org.hr)
    return cycle


# The annual predicate --------------------------------------------------------------------------


@pytest.mark.parametrize("option, predicate", [
    ("most_months", "needs_improvement"),  # the first plan covers 200 days of 365
    ("latest", "very_good"),
    ("weighted", "good"),  # (3 x 200 + 5 x 165) / 365 = 3.9, rounded to 4
])
def test_the_annual_predicate_of_someone_with_two_plans_follows_the_rule_sets_option(org, moved_on_20_july, option, predicate):
    set_option(moved_on_20_july, option)
    evaluation = evaluate_year(org, moved_on_20_july, [NEEDS_IMPROVEMENT, VERY_GOOD])

    first, second = employee_parts(evaluation, org.employee)
    for part in (first, second):
        derived = annual_result(part)
        assert (derived.option, derived.predicate, derived.waiting) == (option, predicate, 0)
    parts = annual_result(first).parts
    assert [(p.start, p.end, p.days, p.months, p.rater, p.predicate) for p in parts] == [
        ("2026-01-01", "2026-07-19", 200, 7, "Kabid A", "needs_improvement"),
        ("2026-07-20", "2026-12-31", 165, 5, "Kabid B", "very_good"),
    ]
    chosen = {"most_months": [True, False], "latest": [False, True], "weighted": [False, False]}[option]
    assert [p.chosen for p in parts] == chosen


def test_the_default_option_is_the_plan_that_covers_the_most_months(org, moved_on_20_july):
    assert "annual_predicate" in moved_on_20_july.rules  # the default rule set carries it
    evaluation = evaluate_year(org, moved_on_20_july, [GOOD, VERY_GOOD])
    assert annual_result(employee_parts(evaluation, org.employee)[0]).as_dict()["predicate"] == "good"


def test_a_tie_in_months_goes_to_the_later_plan(org, cycle):
    """1 January to 30 June and 4 July to 31 December: 181 days each."""
    approve_all_plans(cycle)
    with at(6, 1):
        member_leave(member=plan_of(cycle, org.employee).member, on=D(2026, 7, 1), reason="transfer_out", actor=org.hr)
    with at(7, 4):
        member_join(cycle=cycle, employee=org.employee, start_on=D(2026, 7, 4), actor=org.hr)
    assert [(p.end - p.start).days + 1 for p in plans_of(cycle, org.employee)] == [181, 181]

    evaluation = evaluate_year(org, cycle, [GOOD, VERY_GOOD])
    derived = annual_result(employee_parts(evaluation, org.employee)[0])
    assert (derived.predicate, [p.chosen for p in derived.parts]) == ("very_good", [False, True])


def test_the_weighted_average_rounds_half_up(org, cycle):
    """Two plans of equal length, good (4) and very good (5): 4.5 rounds to very good."""
    set_option(cycle, "weighted")
    approve_all_plans(cycle)
    with at(6, 1):
        member_leave(member=plan_of(cycle, org.employee).member, on=D(2026, 7, 1), reason="transfer_out", actor=org.hr)
    with at(7, 4):
        member_join(cycle=cycle, employee=org.employee, start_on=D(2026, 7, 4), actor=org.hr)
    evaluation = evaluate_year(org, cycle, [GOOD, VERY_GOOD])
    assert annual_result(employee_parts(evaluation, org.employee)[1]).predicate == "very_good"


def test_the_annual_predicate_is_never_derived_from_a_result_not_yet_issued(org, moved_on_20_july):
    evaluation = evaluate_year(org, moved_on_20_july, [NEEDS_IMPROVEMENT, VERY_GOOD], issue=False)
    first, second = employee_parts(evaluation, org.employee)
    derived = annual_result(first)
    assert (derived.predicate, derived.waiting, [p.predicate for p in derived.parts]) == ("", 2, ["", ""])

    issue_unit(UnitReview.objects.get(evaluation=evaluation, unit=org.division), agency_forum(moved_on_20_july))
    derived = annual_result(second)
    assert (derived.predicate, derived.waiting, [p.predicate for p in derived.parts]) == ("", 1, ["needs_improvement", ""])


def test_someone_with_one_plan_or_a_quarter_has_no_derivation(org, moved_on_20_july):
    evaluation = evaluate_year(org, moved_on_20_july, [GOOD, GOOD])
    assert annual_result(Assessment.objects.get(evaluation=evaluation, employee=org.colleague)) is None


# PPPK contracts --------------------------------------------------------------------------------


@pytest.fixture
def contracts(org):
    """PPPK in the division before the cycle opens: one whose contract ends on 31 August 2026,
    one whose contract began on 1 March 2026, one whose contract ended in 2025, one whose
    contract runs into 2027."""
    def pppk(name, start, end):
        return EmployeeFactory(name=name, position__unit=org.division, position__superior=org.kabid.position,
                               employment_type="pppk", grade="IX", contract_start=start, contract_end=end)

    return {
        "ending": pppk("PPPK Agustus", D(2022, 9, 1), D(2026, 8, 31)),
        "starting": pppk("PPPK Maret", D(2026, 3, 1), D(2031, 2, 28)),
        "ended": pppk("PPPK 2025", D(2020, 1, 1), D(2025, 12, 31)),
        "running": pppk("PPPK 2027", D(2023, 4, 1), D(2027, 3, 31)),
    }


@pytest.fixture
def contract_cycle(contracts, cycle):
    return cycle


def test_opening_a_cycle_gives_a_pppk_a_plan_within_the_contract(org, contracts, contract_cycle):
    def period(name):
        return [(p.start, p.end) for p in plans_of(contract_cycle, contracts[name])]

    assert period("ending") == [(D(2026, 1, 1), D(2026, 8, 31))]
    assert period("starting") == [(D(2026, 3, 1), D(2026, 12, 31))]
    assert period("running") == [(D(2026, 1, 1), D(2026, 12, 31))]
    assert period("ended") == []


def test_a_pppk_joins_within_the_contract_only(org, cycle):
    pppk = EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position, employment_type="pppk",
                           contract_start=D(2026, 7, 1), contract_end=D(2026, 10, 31))
    for too_early_or_late in (D(2026, 6, 30), D(2026, 11, 1)):
        with pytest.raises(ValidationError) as refused:
            member_join(cycle=cycle, employee=pppk, start_on=too_early_or_late, actor=org.hr)
        assert "start" in refused.value.message_dict
    with at(7, 1):
        plan = member_join(cycle=cycle, employee=pppk, start_on=D(2026, 7, 1), actor=org.hr).started
    assert (plan.start, plan.end) == (D(2026, 7, 1), D(2026, 10, 31))


def test_a_pppks_new_plan_after_a_move_ends_with_the_contract(org, contracts, contract_cycle):
    member = plan_of(contract_cycle, contracts["ending"]).member
    with pytest.raises(ValidationError) as refused:  # the plan (and the contract) ends on 31 August
        member_move(member=member, position=post_in_other_division(org), on=D(2026, 9, 1), actor=org.hr)
    assert "date" in refused.value.message_dict
    with at(7, 15):
        change = member_move(member=member, position=post_in_other_division(org), on=D(2026, 7, 15), actor=org.hr)
    assert [(p.start, p.end) for p in plans_of(contract_cycle, contracts["ending"])] == [
        (D(2026, 1, 1), D(2026, 7, 14)), (D(2026, 7, 15), D(2026, 8, 31))]
    assert change.started.end == contracts["ending"].contract_end


def test_contracts_ending_lists_the_contracts_last_plan_with_its_evaluation(org, contracts, contract_cycle):
    with at(7, 15):
        change = member_move(member=plan_of(contract_cycle, contracts["ending"]).member, position=post_in_other_division(org),
                             on=D(2026, 7, 15), actor=org.hr)
    before = contracts_ending(contract_cycle)
    assert [(row["employee"], row["plan"].pk, row["assessment"]) for row in before] == [(contracts["ending"], change.started.pk, None)]

    approve_all_plans(contract_cycle)
    evaluation = start_evaluation(contract_cycle, org.hr)
    (row,) = contracts_ending(contract_cycle)
    assert (row["plan"].pk, row["contract_end"], row["grade"], row["unit_name"]) == (
        change.started.pk, D(2026, 8, 31), "IX", org.other_division.name)
    assert row["assessment"] == Assessment.objects.get(evaluation=evaluation, member=change.started.member)


def test_contracts_ending_by_a_date(org, contracts, contract_cycle):
    assert contracts_ending(contract_cycle, before="2026-06-30") == []
    assert [r["employee"] for r in contracts_ending(contract_cycle, before="2027-03-31")] == [contracts["ending"], contracts["running"]]
    with pytest.raises(ValidationError) as refused:
        contracts_ending(contract_cycle, before="31-08-2026")
    assert "before" in refused.value.message_dict


def test_contracts_ending_falls_back_to_an_earlier_plans_evaluation_when_the_last_was_never_evaluated(
        org, contracts, contract_cycle):
    approve_all_plans(contract_cycle)
    evaluation = start_evaluation(contract_cycle, org.hr)
    with at(8, 15):  # a short last plan, never approved: it has no evaluation of its own
        change = member_move(member=plan_of(contract_cycle, contracts["ending"]).member, position=post_in_other_division(org),
                             on=D(2026, 8, 15), actor=org.hr)
    (row, _running) = contracts_ending(contract_cycle, before="2027-03-31")
    assert row["plan"].pk == change.started.pk
    assert row["assessment"] == Assessment.objects.get(evaluation=evaluation, member=change.ended.member)


def test_an_hr_officer_who_is_a_pppk_reads_their_own_result_in_the_list_only_once_issued(org, contracts, contract_cycle):
    approve_all_plans(contract_cycle)
    evaluation = start_evaluation(contract_cycle, org.hr)
    officer = contracts["ending"]
    officer.user = org.hr
    officer.save(update_fields=["user"])
    set_unit_predicates(evaluation)
    rate_and_submit(Assessment.objects.get(evaluation=evaluation, employee=officer), "above", "above")
    (own,) = contracts_ending(contract_cycle, viewer=org.hr)
    assert own["assessment"].predicate == ""
    (as_another,) = contracts_ending(contract_cycle, viewer=org.forum_member)
    assert as_another["assessment"].predicate == "very_good"


def test_a_month_counts_for_the_plan_that_holds_at_least_half_of_its_days():
    from processes.services.periods import months_covered

    assert months_covered(D(2026, 1, 1), D(2026, 7, 19)) == 7  # 19 of July's 31 days
    assert months_covered(D(2026, 7, 20), D(2026, 12, 31)) == 5
    assert months_covered(D(2026, 1, 1), D(2026, 7, 15)) == 6  # 15 of 31: less than half
    # Three plans of four months each (January-April, May-August, September-December): a tie.
    assert [months_covered(D(2026, a, 1), D(2026, b, d)) for a, b, d in ((1, 4, 30), (5, 8, 31), (9, 12, 31))] == [4, 4, 4]
