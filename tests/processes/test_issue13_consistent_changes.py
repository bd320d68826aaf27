"""The predicate is always the matrix of the ratings, whoever changes them.

Before this change the forum set a bare predicate (Sesuai / Di Bawah could be shown as Butuh
Perbaikan, which the matrix never gives), an objection decision could give a division head
"above" results under a division rated "needs improvement", and after an objection changed a
result the document still said it was adjusted by the forum, from the rater's old predicate.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.demo import seed_demo
from processes.models import Assessment, CycleRole, UnitReview
from processes.rules import predicate_for
from processes.services.objections import objection_decide, objection_explain, objection_file
from processes.services.scoring import unit_review_adjust, unit_review_set_predicate
from web.links import page_for
from workflow.models import AuditEvent

from ..conftest import client_for
from ..lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(django_capture_on_commit_callbacks):
    """The demo's annual evaluation, every unit "good", every assessment submitted as expected."""
    with django_capture_on_commit_callbacks(execute=True):
        cycle = seed_demo(today=datetime.date(2026, 1, 5))
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, cycle.created_by)
    set_unit_predicates(evaluation, "good")
    for a in Assessment.objects.filter(evaluation=evaluation):
        rate_and_submit(a)
    reviews = {r.unit.code: r for r in UnitReview.objects.filter(evaluation=evaluation).select_related("unit")}
    forum = CycleRole.objects.filter(cycle=cycle, role="forum_member").first().user
    return {"reviews": reviews, "forum": forum, "rules": cycle.rules}


def of(username: str) -> Assessment:
    return Assessment.objects.get(employee__user__username=username)


def adjust(scored, code: str, username: str, **ratings) -> Assessment:
    return unit_review_adjust(review=scored["reviews"][code], actor=scored["forum"], assessment_id=of(username).pk,
                              reason="Kalibrasi terhadap bukti kinerja", **ratings)


def assert_matrix(a: Assessment, rules: dict) -> None:
    assert a.predicate == a.rated_predicate == predicate_for(rules, a.results_rating, a.behaviour_rating)


def test_the_forum_changes_a_rating_and_the_predicate_follows(scored):
    adjusted = adjust(scored, "BID-MUTASI", "staf.a1", behaviour_rating="below")

    assert (adjusted.results_rating, adjusted.behaviour_rating, adjusted.predicate) == ("as_expected", "below", "poor")
    assert_matrix(adjusted, scored["rules"])
    assert (adjusted.changed_by, adjusted.previous_predicate, adjusted.adjusted) == ("forum", "good", True)


def test_an_adjustment_that_changes_no_rating_is_refused(scored):
    with pytest.raises(ValidationError) as refused:
        adjust(scored, "BID-MUTASI", "staf.a1", results_rating="as_expected")
    assert "results_rating" in refused.value.message_dict
    assert of("staf.a1").changed_by == ""


def test_the_forum_adjusts_only_the_behaviour_of_a_unit_leader(scored):
    with pytest.raises(ValidationError) as refused:
        adjust(scored, "BKPSDM", "kabid.a", results_rating="above")
    assert "results_rating" in refused.value.message_dict

    adjusted = adjust(scored, "BKPSDM", "kabid.a", behaviour_rating="above")
    assert (adjusted.results_rating, adjusted.predicate) == ("as_expected", "good")  # "good" division: as expected
    assert_matrix(adjusted, scored["rules"])


def test_each_change_is_in_the_history_with_its_author_and_reason(scored):
    adjust(scored, "BID-MUTASI", "staf.a1", behaviour_rating="below")
    adjust(scored, "BID-MUTASI", "staf.a1", results_rating="above", behaviour_rating="above")

    events = list(AuditEvent.objects.filter(document_type="assessment", document_id=of("staf.a1").pk, action="adjust").order_by("seq"))
    assert [(e.actor, e.comment) for e in events] == [(scored["forum"], "Kalibrasi terhadap bukti kinerja")] * 2
    assert [(e.data["from"], e.data["to"]) for e in events] == [("good", "poor"), ("poor", "very_good")]
    history = client_for(scored["forum"]).get(f"/api/v1/assessments/{of('staf.a1').pk}/history/").json()
    assert [h["data"].get("to") for h in history if h["action"] == "adjust"] == ["poor", "very_good"]


def test_a_leaders_result_follows_a_new_unit_predicate_with_the_behaviour_the_forum_set(scored):
    adjust(scored, "BKPSDM", "kabid.a", behaviour_rating="above")
    mutasi = scored["reviews"]["BID-MUTASI"]

    unit_review_set_predicate(review=mutasi, actor=mutasi.predicate_setter.user, unit_predicate="outstanding")

    kabid = of("kabid.a")
    assert (kabid.results_rating, kabid.behaviour_rating, kabid.predicate) == ("above", "above", "very_good")
    assert_matrix(kabid, scored["rules"])


@pytest.fixture
def objected(scored):
    """The forum lowered staf.a1's behaviour, the agency issued and staf.a1 and kabid.a objected."""
    adjust(scored, "BID-MUTASI", "staf.a1", behaviour_rating="below")
    for code in ("BID-MUTASI", "BKPSDM"):
        issue_unit(scored["reviews"][code], scored["forum"])
    objections = {u: objection_file(assessment=of(u), actor=of(u).employee.user, reasons="Tidak sesuai bukti")
                  for u in ("staf.a1", "kabid.a")}
    for objection in objections.values():
        objection_explain(objection=objection, actor=objection.member.rater.user, explanation="Penjelasan penilai")
        objection_explain(objection=objection, actor=objection.member.employee.user, explanation="Penjelasan pegawai")
        objection.refresh_from_db()
    return {**scored, "objections": objections}


def decide(objection, **ratings):
    return objection_decide(objection=objection, actor=objection.decider.user, outcome="changed",
                            reasons="Bukti kinerja mendukung", **ratings)


def test_an_objection_decision_that_changes_a_result_replaces_the_forums_change(objected, client):
    decide(objected["objections"]["staf.a1"], behaviour_rating="as_expected")

    changed = of("staf.a1")
    assert (changed.predicate, changed.changed_by, changed.previous_predicate, changed.adjusted) == ("good", "objection", "poor", False)
    assert_matrix(changed, objected["rules"])
    client.force_login(changed.employee.user)
    page = client.get(page_for("assessment", changed.pk)).content.decode()
    assert "the objection decision" in page.lower() or "keputusan atas keberatan" in page.lower()
    assert "calibration forum" not in page.lower() and "forum kalibrasi" not in page.lower()


def test_an_objection_decision_cannot_change_a_leaders_results_rating(objected):
    objection = objected["objections"]["kabid.a"]
    with pytest.raises(ValidationError) as refused:
        decide(objection, results_rating="above")
    assert "results_rating" in refused.value.message_dict
    assert of("kabid.a").status == Assessment.Status.OBJECTED

    decide(objection, behaviour_rating="above")
    kabid = of("kabid.a")
    assert (kabid.results_rating, kabid.behaviour_rating, kabid.predicate, kabid.status) == ("as_expected", "above", "good", "final")
