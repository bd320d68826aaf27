"""The predicate is shown while the rater rates, before the assessment is submitted."""

import pytest
from django.core.exceptions import ValidationError

from processes.models import Assessment, RuleSet
from processes.rules import default_rules
from processes.services.scoring import assessment_rate

from ..lifecycle import approve_all_plans, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation(org, cycle):
    approve_all_plans(cycle)
    return start_evaluation(cycle, org.hr)


def test_the_rater_sees_the_predicate_the_ratings_give_before_submitting(org, evaluation):
    set_unit_predicates(evaluation, "good")
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    rated = assessment_rate(assessment=assessment, actor=org.kabid.user, ratings={"results_rating": "above"})
    assert rated.predicate == "" and rated.status == "draft"  # incomplete ratings give none yet
    rated = assessment_rate(assessment=assessment, actor=org.kabid.user, ratings={"behaviour_rating": "above"})
    assert rated.predicate == "very_good" and rated.status == "draft"


def test_a_leaders_preview_follows_the_unit_predicate(org, evaluation):
    set_unit_predicates(evaluation, "outstanding")
    leader = Assessment.objects.get(evaluation=evaluation, employee=org.kabid)
    rated = assessment_rate(assessment=leader, actor=org.kepala.user,
                            ratings={"results_rating": "below", "behaviour_rating": "as_expected"})
    assert rated.predicate == "good"  # results "above" from the unit's "outstanding", behaviour as expected


def test_a_rule_set_that_cannot_run_is_refused_however_it_is_saved(db):
    data = default_rules()
    del data["predicate_matrix"]["below"]
    with pytest.raises(ValidationError) as error:
        RuleSet.objects.create(name="Rusak", data=data)
    assert "predicate_matrix" in error.value.message_dict
    assert not RuleSet.objects.filter(name="Rusak").exists()
