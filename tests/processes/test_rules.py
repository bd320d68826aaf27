"""The rule set: the predicate matrix of docs/predicates-and-distribution.md, the leader's results rating, the
validation of rule sets, and the copy a cycle keeps of its rules."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import RuleSet
from processes.rules import default_rules, predicate_for, validate_rules
from processes.services.cycles import cycle_create
from processes.services.scoring import assessment_rate, unit_review_set_predicate
from workflow.engine import perform

from ..lifecycle import rate_and_submit
from .conftest import assessment_of, review_of

pytestmark = pytest.mark.django_db

# docs/predicates-and-distribution.md, "The predicate matrix": rows are results, columns behaviour.
MATRIX = [
    ("above", "above", "very_good"),
    ("above", "as_expected", "good"),
    ("above", "below", "poor"),
    ("as_expected", "above", "good"),
    ("as_expected", "as_expected", "good"),
    ("as_expected", "below", "poor"),
    ("below", "above", "needs_improvement"),
    ("below", "as_expected", "needs_improvement"),
    ("below", "below", "very_poor"),
]

LEADER_RESULTS = [
    ("outstanding", "above"),
    ("good", "as_expected"),
    ("needs_improvement", "below"),
    ("poor", "below"),
    ("very_poor", "below"),
]


@pytest.mark.parametrize(("results", "behaviour", "expected"), MATRIX)
def test_the_default_matrix_gives_the_predicate_of_the_domain(results, behaviour, expected):
    assert predicate_for(default_rules(), results, behaviour) == expected


@pytest.mark.parametrize(("results", "behaviour", "expected"), MATRIX)
def test_a_submitted_assessment_gets_the_predicate_of_its_ratings(org, scoring, results, behaviour, expected):
    submitted = rate_and_submit(assessment_of(scoring, org.employee), results, behaviour)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert (submitted.results_rating, submitted.behaviour_rating) == (results, behaviour)
    assert submitted.rated_predicate == submitted.predicate == expected


def set_predicate(evaluation, unit, unit_predicate: str) -> None:
    review = review_of(evaluation, unit)
    unit_review_set_predicate(review=review, actor=review.predicate_setter.user, unit_predicate=unit_predicate)


@pytest.mark.parametrize(("unit_predicate", "leader_results"), LEADER_RESULTS)
def test_the_leaders_results_rating_follows_the_unit_predicate_whatever_the_rater_entered(
    org, evaluation, unit_predicate, leader_results
):
    set_predicate(evaluation, org.agency, "good")  # the review kabid's result sits in (kepala rates him)
    set_predicate(evaluation, org.division, unit_predicate)  # the unit kabid leads: it fixes his results rating
    leader = assessment_of(evaluation, org.kabid)
    assert leader.is_unit_leader
    entered = "below" if leader_results == "above" else "above"  # the opposite of what the unit's predicate says
    submitted = rate_and_submit(leader, entered, "as_expected")
    submitted.refresh_from_db()
    assert submitted.results_rating == leader_results
    assert submitted.predicate == predicate_for(default_rules(), leader_results, "as_expected")


def test_a_leader_may_be_submitted_with_the_behaviour_rating_only(org, evaluation):
    set_predicate(evaluation, org.agency, "good")
    set_predicate(evaluation, org.division, "outstanding")
    leader = assessment_of(evaluation, org.kabid)
    assessment_rate(assessment=leader, actor=org.kepala.user, ratings={"behaviour_rating": "above"})
    submitted = perform(leader, "submit", actor=org.kepala.user).document
    assert (submitted.results_rating, submitted.predicate) == ("above", "very_good")


def _set(path, value):
    def change(rules):
        *parents, last = path
        target = rules
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return change


_DELETE = object()

BROKEN = {
    "missing matrix cell": (_set(["predicate_matrix", "below", "below"], _DELETE), "predicate_matrix"),
    "unknown predicate": (_set(["predicate_matrix", "above", "above"], "excellent"), "predicate_matrix"),
    "bad distribution op": (_set(["distribution", "good", 0, "op"], "around"), "distribution"),
    "share above 1": (_set(["distribution", "outstanding", 1, "value"], 1.5), "distribution"),
    "lunar days": (_set(["objection_window", "day_kind"], "lunar"), "objection_window"),
    "holiday not ISO": (_set(["objection_window", "holidays"], ["17/08/2026"]), "objection_window"),
    "report due day 31": (_set(["report_due_day"], 31), "report_due_day"),
    "evidence of 0 bytes": (_set(["evidence", "max_bytes"], 0), "evidence"),
}


def test_the_default_rules_are_valid():
    validate_rules(default_rules())


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_validate_rules_refuses_a_broken_rule_set_naming_the_key(case):
    change, key = case
    rules = default_rules()
    change(rules)
    with pytest.raises(ValidationError) as error:
        validate_rules(rules)
    assert set(error.value.message_dict) == {key}


def test_validate_rules_names_every_broken_key_at_once():
    rules = default_rules()
    rules["report_due_day"] = 0
    rules["scoring_days"] = -1
    del rules["evidence"]
    with pytest.raises(ValidationError) as error:
        validate_rules(rules)
    assert set(error.value.message_dict) == {"report_due_day", "scoring_days", "evidence"}


def test_a_rule_set_with_good_data_passes_full_clean():
    RuleSet(name="PermenPANRB 6/2022", data=default_rules()).full_clean()


def test_a_rule_set_with_bad_data_fails_full_clean_naming_the_field():
    rules = default_rules()
    rules["report_due_day"] = 31
    with pytest.raises(ValidationError) as error:
        RuleSet(name="Rusak", data=rules).full_clean()
    assert set(error.value.message_dict) == {"data"}
    assert any("report_due_day" in message for message in error.value.message_dict["data"])


def _new_cycle(org, name, year=2027):
    return cycle_create(actor=org.hr, name=name, year=year, units=[org.agency], plan_deadline=datetime.date(year, 1, 31))


def test_a_change_of_the_default_rule_set_does_not_change_a_cycle_already_created(org):
    rules = default_rules()
    rules["objection_window"]["days"] = 10
    rule_set = RuleSet.objects.create(name="Aturan lama", data=rules, is_default=True)
    running = _new_cycle(org, "Kinerja 2027 (lama)")
    assert running.rule_set == rule_set and running.rules["objection_window"]["days"] == 10

    rule_set.data["objection_window"]["days"] = 21
    rule_set.data["predicate_matrix"]["as_expected"]["as_expected"] = "very_good"
    rule_set.save()

    running.refresh_from_db()
    assert running.rules["objection_window"]["days"] == 10
    assert predicate_for(running.rules, "as_expected", "as_expected") == "good"
    later = _new_cycle(org, "Kinerja 2028", year=2028)  # one cycle per agency and year
    assert later.rules["objection_window"]["days"] == 21


def test_a_cycle_without_a_default_rule_set_gets_the_built_in_rules(org):
    assert _new_cycle(org, "Kinerja 2027").rules == default_rules()
