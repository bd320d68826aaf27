"""The public's feedback through the API: HR's links (issue, renew, revoke, QR), the units in a
user's view, a unit's monthly summary, and the summaries shown as evidence (the monthly report,
the unit review board, the cycle's progress)."""

import pytest
from django.core.cache import cache

from processes.models import Assessment, PublicFeedbackLink, UnitReview

from ..factories import RoleAssignmentFactory, UserFactory
from ..lifecycle import approve_all_plans, start_evaluation
from .helpers import API, at, colleague_feedback, division_staff, english, open_reports, public_answers, public_link, report_url, review_url

pytestmark = pytest.mark.django_db

LINKS = f"{API}/public-links/"


@pytest.fixture(autouse=True)
def no_throttle_counts_left_over():
    cache.clear()


def issue(user, unit=None, employee=None):
    """Both keys sent, the one not given as null; a body with one key is tested below."""
    body = {"unit": unit and unit.pk, "employee": employee and employee.pk}
    return english(user).post(LINKS, body, format="json")


def link_url(link, action: str | None = None) -> str:
    return f"{LINKS}{link.pk}/" + (f"{action}/" if action else "")


def unit_feedback(user, unit, **params):
    return english(user).get(f"{API}/units/{unit.pk}/public-feedback/", params)


# Links ------------------------------------------------------------------------------------------------


def test_hr_issues_a_units_link_with_an_unguessable_token_and_its_public_url(org):
    response = issue(org.hr, unit=org.division)
    assert response.status_code == 201, response.content
    body = response.json()
    link = PublicFeedbackLink.objects.get(pk=body["id"])
    assert (body["unit"], body["employee"], body["revoked_at"], link.created_by) == (org.division.pk, None, None, org.hr)
    assert len(body["token"]) >= 32 and body["url"].endswith(f"/f/{body['token']}/")
    assert [row["id"] for row in english(org.hr).get(LINKS).json()["results"]] == [link.pk]


@pytest.mark.parametrize("key", ["unit", "employee"])
def test_a_body_with_only_the_unit_or_only_the_employee_issues_a_link(org, key):
    target = {"unit": org.division, "employee": org.colleague}[key]
    response = english(org.hr).post(LINKS, {key: target.pk}, format="json")
    assert response.status_code == 201, response.content


def test_issuing_again_for_the_same_unit_renews_the_link_and_revokes_the_old_one(org):
    old = issue(org.hr, unit=org.division).json()
    new = issue(org.hr, unit=org.division).json()
    assert new["token"] != old["token"]
    live = PublicFeedbackLink.objects.filter(unit=org.division, revoked_at__isnull=True)
    assert list(live.values_list("pk", flat=True)) == [new["id"]]
    assert PublicFeedbackLink.objects.get(pk=old["id"]).revoked_at is not None


def test_an_employees_counter_link_leaves_the_units_link_live(org):
    unit_link = issue(org.hr, unit=org.division).json()
    counter = issue(org.hr, employee=org.colleague)
    assert counter.status_code == 201
    assert (counter.json()["unit"], counter.json()["employee"]) == (org.division.pk, org.colleague.pk)
    assert PublicFeedbackLink.objects.get(pk=unit_link["id"]).revoked_at is None


def test_a_link_needs_either_a_unit_or_an_employee(org):
    assert issue(org.hr).status_code == 400
    assert issue(org.hr, unit=org.division, employee=org.colleague).status_code == 400
    assert not PublicFeedbackLink.objects.exists()


def test_hr_revokes_a_link_and_its_qr_code_is_gone(org):
    link = public_link(org.hr, unit=org.division)
    qr = english(org.hr).get(link_url(link, "qr"))
    assert (qr.status_code, qr["Content-Type"]) == (200, "image/svg+xml")
    assert qr.content.lstrip().startswith(b"<svg")
    assert english(org.hr).delete(link_url(link)).status_code == 204
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert english(org.hr).get(link_url(link, "qr")).status_code == 404


def test_only_hr_of_the_unit_issues_sees_or_revokes_its_links(org):
    link = public_link(org.hr, unit=org.division)
    for user in (org.kabid.user, org.employee.user):
        assert issue(user, unit=org.division).status_code in (403, 404)
        assert english(user).get(LINKS).json()["results"] == []
        assert english(user).delete(link_url(link)).status_code in (403, 404)
    assert issue(org.hr, unit=org.sekda.position.unit).status_code == 403  # the secretariat: not in org.hr's scope
    other_hr = UserFactory(username="hr.bidang.b")
    RoleAssignmentFactory(user=other_hr, unit=org.other_division)
    assert english(other_hr).get(LINKS).json()["results"] == []
    assert english(other_hr).delete(link_url(link)).status_code == 404
    assert list(PublicFeedbackLink.objects.values_list("pk", "revoked_at")) == [(link.pk, None)]


# Units and their monthly summary ----------------------------------------------------------------------


def test_units_lists_the_units_in_the_users_view(org):
    def codes(user):
        return [u["code"] for u in english(user).get(f"{API}/units/").json()]

    assert codes(org.hr) == ["AGENCY", "DIV-A", "DIV-B"]
    assert codes(org.employee.user) == ["DIV-A"]
    assert codes(org.other_employee.user) == ["DIV-B"]


def test_a_units_month_has_count_mean_distribution_and_each_counter_employee(org):
    unit_link, counter = public_link(org.hr, unit=org.division), public_link(org.hr, employee=org.colleague)
    with at(3, 10):
        public_answers(unit_link, 5, 4, 4)
        public_answers(counter, 2)
    with at(4, 2):
        public_answers(unit_link, 1)
    with at(3, 20):
        body = unit_feedback(org.hr, org.division, month="2026-03").json()
        this_month = unit_feedback(org.hr, org.division).json()
    assert (body["month"], body["count"], body["mean"]) == ("2026-03", 4, 3.75)
    assert body["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    assert body["employees"] == [{"employee": org.colleague.pk, "name": "Staf A2", "count": 1, "mean": 2.0}]
    assert this_month == body
    april = unit_feedback(org.hr, org.division, month="2026-04").json()
    assert (april["count"], april["mean"], april["employees"]) == (1, 1.0, [])
    assert unit_feedback(org.hr, org.other_division, month="2026-03").json()["count"] == 0


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "maret", "2026-03-01", "2026-03\n"])
def test_a_bad_month_is_refused(org, month):
    response = unit_feedback(org.hr, org.division, month=month)
    assert response.status_code == 400
    assert "month" in response.json()["errors"]


def test_a_unit_outside_the_users_view_has_no_summary(org):
    assert unit_feedback(org.employee.user, org.other_division, month="2026-03").status_code == 404


# As evidence ----------------------------------------------------------------------------------------------


def test_the_monthly_report_shows_the_publics_ratings_of_its_month(org, cycle):
    unit_link, counter = public_link(org.hr, unit=org.division), public_link(org.hr, employee=org.employee)
    with at(3, 10):
        report = open_reports(cycle, month=3)[org.employee.pk]
        public_answers(unit_link, 5, 3)
        public_answers(counter, 4)
    with at(4, 2):
        public_answers(counter, 1)
        shown = english(org.kabid.user).get(report_url(report)).json()["public_feedback"]
    assert (shown["unit"]["count"], shown["unit"]["mean"]) == (3, 4.0)
    assert (shown["employee"]["count"], shown["employee"]["distribution"]["4"], shown["employee"]["distribution"]["1"]) == (1, 1, 0)


def test_the_unit_review_board_shows_the_publics_and_the_colleagues_feedback(org, cycle):
    approve_all_plans(cycle)
    with at(3, 10):
        public_answers(public_link(org.hr, unit=org.division), 5, 4)
        public_answers(public_link(org.hr, employee=org.employee), 3)
        evaluation = start_evaluation(cycle, org.hr)
    a3, a4 = division_staff(org, cycle, "Staf A3", "Staf A4")
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    colleague_feedback(assessment, [(org.colleague, "above", "Ramah"), (a3, "above", ""),
                                    (a4, "below", "")])
    colleague_assessment = Assessment.objects.get(evaluation=evaluation, employee=org.colleague)
    colleague_feedback(colleague_assessment, [(org.employee, "below", "Sering terlambat")])
    review = UnitReview.objects.get(evaluation=evaluation, unit=org.division)
    response = english(org.forum_member).get(review_url(review))
    assert response.status_code == 200
    feedback = response.json()["feedback"]
    assert (feedback["public"]["unit"]["count"], feedback["public"]["unit"]["mean"]) == (3, 4.0)
    assert feedback["public"]["employees"] == {str(org.employee.pk): {"count": 1, "mean": 3.0}}
    mine = feedback["colleagues"][str(assessment.pk)]
    assert (mine["shown"], mine["values"]["harmony"], mine["comments"]) == (True, {"above": 2, "as_expected": 0, "below": 1}, ["Ramah"])
    below_threshold = feedback["colleagues"][str(colleague_assessment.pk)]
    assert (below_threshold["answered"], below_threshold["shown"], below_threshold["values"], below_threshold["comments"]) == \
        (1, False, None, [])


def test_the_cycles_progress_has_the_publics_ratings_per_unit(org, cycle):
    with at(3, 10):
        public_answers(public_link(org.hr, unit=org.division), 5, 4)
        public_answers(public_link(org.hr, unit=org.other_division), 2)
    with at(12, 20, year=2025):  # another year's: not this cycle's
        public_answers(PublicFeedbackLink.objects.get(unit=org.division, revoked_at=None), 1)
    response = english(org.hr).get(f"{API}/cycles/{cycle.pk}/progress/")
    assert response.status_code == 200
    assert response.json()["public_feedback"] == [
        {"unit": org.division.pk, "unit_name": "Bidang A", "count": 2, "mean": 4.5},
        {"unit": org.other_division.pk, "unit_name": "Bidang B", "count": 1, "mean": 2.0},
    ]
