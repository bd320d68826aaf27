"""The distribution pattern of each unit predicate (docs/predicates-and-distribution.md, SE MenPANRB 3/2023), and
the forum's board and approval through the API: guidance to justify departures from."""

import datetime
import zoneinfo

import pytest
import time_machine

from processes import distribution
from processes.models import Assessment, UnitReview
from processes.rules import DEFAULT_RULES

from ..api.helpers import add_staff
from ..conftest import client_for
from ..factories import CycleRoleFactory, UserFactory
from ..lifecycle import rate_all
from .conftest import review_of

pytestmark = pytest.mark.django_db
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def of(**counts) -> list[str]:
    """A unit's employee predicates: of(good=3, poor=1) -> ["good", "good", "good", "poor"]."""
    return [predicate for predicate, n in counts.items() for _ in range(n)]


def passes(unit_predicate: str, predicates: list[str]) -> list[bool]:
    return [c.passes for c in distribution.check(DEFAULT_RULES["distribution"][unit_predicate], predicates)]


# (unit predicate, a set that follows the pattern, a set that departs, which rules pass for it)
CASES = [
    # most very_good, at most 70% very_good
    ("outstanding", of(very_good=3, good=2), of(very_good=4, good=1), [True, False]),
    # most good, at most 70% good, at least one needs_improvement or poor
    ("good", of(good=3, very_good=1, poor=1), of(good=3, very_good=2), [True, True, False]),
    # at least 60% needs_improvement, at most 10% very_good
    ("needs_improvement", of(needs_improvement=7, good=3), of(needs_improvement=2, good=3), [False, True]),
    # at least 60% poor, at least 10% needs_improvement, at most 10% very_good
    ("poor", of(poor=7, needs_improvement=2, very_good=1), of(poor=7, very_poor=2, very_good=1), [True, False, True]),
    # at least 60% very_poor, at least 10% poor or needs_improvement, no very_good
    ("very_poor", of(very_poor=7, poor=2, needs_improvement=1), of(very_poor=7, poor=2, very_good=1), [True, True, False]),
]


@pytest.mark.parametrize(("unit_predicate", "following", "departing", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_set_that_follows_the_pattern_passes_every_rule(unit_predicate, following, departing, expected):
    assert passes(unit_predicate, following) == [True] * len(DEFAULT_RULES["distribution"][unit_predicate])


@pytest.mark.parametrize(("unit_predicate", "following", "departing", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_departing_set_fails_exactly_the_rule_it_departs_from(unit_predicate, following, departing, expected):
    assert passes(unit_predicate, departing) == expected


def test_most_is_a_majority_by_default_and_the_largest_group_only_under_the_plurality_reading():
    assert passes("outstanding", of(very_good=2, good=3)) == [False, True]
    assert passes("good", of(good=2, very_good=1, needs_improvement=1, poor=1)) == [False, True, True]  # 40% is not most
    plurality = distribution.check(DEFAULT_RULES["distribution"]["good"], of(good=2, very_good=1, needs_improvement=1, poor=1),
                                   most="plurality")
    assert [c.passes for c in plurality] == [True, True, True]  # 40% is the largest group


@pytest.mark.parametrize(
    ("unit_predicate", "predicates", "rule"),
    [
        ("outstanding", of(very_good=7, good=3), 1),  # 70% very_good: at most 70%
        ("good", of(good=21, needs_improvement=9), 1),  # 21 of 30 good: at most 70%
        ("needs_improvement", of(needs_improvement=6, good=4), 0),  # 60%: at least 60%
        ("needs_improvement", of(needs_improvement=6, very_good=1, good=3), 1),  # 10% very_good: at most 10%
        ("poor", of(poor=6, needs_improvement=1, good=3), 1),  # 10% needs_improvement: at least 10%
        ("very_poor", of(very_poor=6, poor=1, needs_improvement=2, good=1), 0),  # 60% very_poor
    ],
)
def test_a_share_exactly_at_the_limit_passes(unit_predicate, predicates, rule):
    assert passes(unit_predicate, predicates)[rule] is True


def test_one_more_than_the_limit_departs():
    assert passes("outstanding", of(very_good=8, good=2))[1] is False
    assert passes("needs_improvement", of(needs_improvement=5, good=5))[0] is False
    assert passes("needs_improvement", of(needs_improvement=8, very_good=2))[1] is False


def test_an_empty_unit_does_not_pass_most():
    assert distribution.check(DEFAULT_RULES["distribution"]["outstanding"], [])[0].passes is False
    assert distribution.check(DEFAULT_RULES["distribution"]["good"], [])[0].passes is False


def test_each_check_reports_what_it_found():
    checks = distribution.check(DEFAULT_RULES["distribution"]["good"], of(good=4, very_good=1))
    assert [c.actual for c in checks] == [0.8, 0.8, 0]
    assert [c.rule for c in checks] == DEFAULT_RULES["distribution"]["good"]


# Through the API: the division's review (employee and colleague: kabid is calibrated in the
# agency's review, whose leader rates him) scored "good" for everyone departs from the pattern
# of a "good" unit: 100% good, and nobody needs_improvement or poor.

def board_url(review, action=None):
    return f"/api/v1/unit-reviews/{review.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def scored(org, scoring):
    rate_all(scoring)
    return review_of(scoring, org.division)


def test_the_forum_sees_the_distribution_and_each_rule_with_its_result(org, scored):
    response = client_for(org.forum_member).get(board_url(scored))
    assert response.status_code == 200
    body = response.json()
    assert body["unit_predicate"] == "good" and body["total"] == 2
    assert body["distribution"] == {"very_good": 0, "good": 2, "needs_improvement": 0, "poor": 0, "very_poor": 0}
    assert [(r["rule"]["op"], r["passes"]) for r in body["pattern"]] == [
        ("most", True), ("at_most_share", False), ("at_least_count", False)
    ]
    assert [r["actual"] for r in body["pattern"]] == [1.0, 1.0, 0]
    assert len(body["departures"]) == 2
    assert {a["employee"]["id"] for a in body["assessments"]} == {org.employee.pk, org.colleague.pk}


def test_approving_a_departure_without_a_justification_is_refused(org, scored):
    response = client_for(org.forum_member).post(board_url(scored, "approve"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["justification"]
    scored.refresh_from_db()
    assert scored.status == UnitReview.Status.SCORING
    assert set(Assessment.objects.filter(unit_review=scored).values_list("status", flat=True)) == {"submitted"}


def test_a_blank_justification_counts_as_none(org, scored):
    response = client_for(org.forum_member).post(board_url(scored, "approve"), {"justification": "   "}, format="json")
    assert response.status_code == 400 and "justification" in response.json()["errors"]


def test_approving_with_a_justification_issues_every_result_of_the_unit(org, scored):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=JAKARTA), tick=False):
        response = client_for(org.forum_member).post(
            board_url(scored, "approve"), {"justification": "Seluruh pegawai mencapai target"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "issued"
    assert response.json()["justification"] == "Seluruh pegawai mencapai target"
    issued = Assessment.objects.filter(unit_review=scored)
    assert issued.count() == 2
    assert {(a.status, a.objection_deadline) for a in issued} == {("issued", datetime.date(2026, 3, 16))}
    assert all(a.issued_at is not None for a in issued)


@pytest.fixture
def scoring_with_three_staff(org, request):
    """The ``scoring`` state, with a third staff member in the division from before the cycle
    opened (two people cannot follow the pattern of a "good" unit: most, but at most 70%, good)."""
    add_staff(org, 1)
    return request.getfixturevalue("scoring")


def test_a_unit_that_follows_the_pattern_is_approved_without_a_justification(org, scoring_with_three_staff):
    scoring = scoring_with_three_staff
    rate_all(scoring, {org.employee.pk: ("below", "as_expected")})  # the colleague and the third good: 2 of 3
    review = review_of(scoring, org.division)
    body = client_for(org.forum_member).get(board_url(review)).json()
    assert (body["distribution"]["good"], body["distribution"]["needs_improvement"]) == (2, 1)
    assert body["departures"] == [] and all(rule["passes"] for rule in body["pattern"])
    response = client_for(org.forum_member).post(board_url(review, "approve"), {}, format="json")
    assert response.status_code == 200, response.content
    assert set(Assessment.objects.filter(unit_review=review).values_list("status", flat=True)) == {"issued"}


def test_the_forum_of_another_unit_cannot_see_or_approve_the_board(org, cycle, scored):
    outsider = UserFactory(username="forum.b")
    CycleRoleFactory(cycle=cycle, user=outsider, role="forum_member", unit=org.other_division)
    assert client_for(outsider).get(board_url(scored)).status_code == 404
    assert client_for(outsider).post(board_url(scored, "approve"), {"justification": "x"}, format="json").status_code == 404
