"""Objections (keberatan, PP 30/2019 art. 59) and the finality of results: the window's edges in
calendar and working days, the explain / decide flow, acceptance, and the lapse sweep."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from processes.models import Assessment, Objection
from processes.rules import add_days, default_rules, objection_deadline
from processes.services.objections import assessments_lapse, objection_decide, objection_explain, objection_file
from workflow.engine import perform
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent

from ..conftest import client_for
from ..factories import CycleRoleFactory, UserFactory
from ..lifecycle import issue_unit, rate_all
from .conftest import assessment_of, review_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
MARCH = datetime.date(2026, 3, 1)


def at(day: int):
    """10:00 in Jakarta on that day of March 2026 (2 March is a Monday)."""
    return time_machine.travel(datetime.datetime(2026, 3, day, 10, 0, tzinfo=JAKARTA), tick=False)


def march(day: int) -> datetime.date:
    return MARCH.replace(day=day)


def issue_division(org, evaluation, day: int):
    """The division scored (the employee below / as expected: needs_improvement) and issued."""
    with at(day):
        rate_all(evaluation, {org.employee.pk: ("below", "as_expected")})
        issue_unit(review_of(evaluation, org.division), org.forum_member)
    return assessment_of(evaluation, org.employee)


@pytest.fixture
def issued(org, scoring):
    """The employee's result, issued on Monday 2 March: the window's last day is 16 March."""
    return issue_division(org, scoring, 2)


@pytest.fixture
def objection(org, issued):
    with at(3):
        return objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")


def forum_of_the_other_division(org, cycle):
    member = UserFactory(username="forum.b")
    CycleRoleFactory(cycle=cycle, user=member, role="forum_member", unit=org.other_division)
    return member


def lapse_events(assessment):
    return AuditEvent.objects.filter(document_type="assessment", document_id=assessment.pk, action="lapse")


# The window -------------------------------------------------------------------------------

def test_an_objection_on_the_last_day_of_the_window_is_taken(org, issued):
    assert issued.objection_deadline == march(16)
    with at(16):
        filed = objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")
    assert filed.status == Objection.Status.AWAITING_EXPLANATIONS and filed.explanations_due == march(21)
    issued.refresh_from_db()
    assert issued.status == Assessment.Status.OBJECTED


def test_an_objection_on_the_first_day_after_the_window_is_refused_naming_the_closing_date(org, issued):
    with at(17), pytest.raises(InvalidTransition) as error:
        objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")
    assert "2026-03-16" in error.value.message
    issued.refresh_from_db()
    assert issued.status == Assessment.Status.ISSUED and not Objection.objects.exists()


def test_through_the_api_a_late_objection_is_a_conflict_naming_the_closing_date(org, issued):
    with at(17):
        response = client_for(org.employee.user).post(
            "/api/v1/objections/", {"assessment": issued.pk, "reasons": "Capaian saya melebihi target"}, format="json"
        )
    assert response.status_code == 409
    assert "2026-03-16" in response.json()["detail"] and response.json()["status"] == "issued"


def test_the_window_closes_at_midnight_in_jakarta_not_in_utc(org, issued):
    just_after = datetime.datetime(2026, 3, 17, 0, 30, tzinfo=JAKARTA)  # still 16 March in UTC
    with time_machine.travel(just_after, tick=False), pytest.raises(InvalidTransition):
        objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")
    with time_machine.travel(datetime.datetime(2026, 3, 16, 23, 30, tzinfo=JAKARTA), tick=False):
        objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")


def test_the_day_of_issue_is_the_day_in_jakarta(org, scoring):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 6, 0, tzinfo=JAKARTA), tick=False):  # 1 March in UTC
        rate_all(scoring)
        issue_unit(review_of(scoring, org.division), org.forum_member)
    assert assessment_of(scoring, org.employee).objection_deadline == march(16)


WORKING_WINDOW = {"days": 3, "day_kind": "working", "holidays": ["2026-03-09"]}


@pytest.mark.parametrize(("day", "taken"), [(12, True), (13, False)])
def test_a_window_in_working_days_skips_the_weekend_and_the_holidays(org, cycle, scoring, day, taken):
    cycle.rules["objection_window"] = WORKING_WINDOW
    cycle.save()
    friday = issue_division(org, scoring, 6)
    # Friday 6 March; Sat 7 and Sun 8 skipped, Mon 9 a holiday: Tue 10, Wed 11, Thu 12.
    assert objection_deadline(cycle.rules, march(6)) == friday.objection_deadline == march(12)
    with at(day):
        if taken:
            objection_file(assessment=friday, actor=org.employee.user, reasons="Capaian saya melebihi target")
        else:
            with pytest.raises(InvalidTransition, match="2026-03-12"):
                objection_file(assessment=friday, actor=org.employee.user, reasons="Capaian saya melebihi target")
    friday.refresh_from_db()
    assert friday.status == (Assessment.Status.OBJECTED if taken else Assessment.Status.ISSUED)


def working(days=3, holidays=()):
    rules = default_rules()
    rules["objection_window"] = {"days": days, "day_kind": "working", "holidays": list(holidays)}
    return rules


@pytest.mark.parametrize(
    ("rules", "start", "days", "expected"),
    [
        (default_rules(), march(2), 14, march(16)),
        (default_rules(), march(2), 0, march(2)),
        (default_rules(), datetime.date(2026, 12, 25), 14, datetime.date(2027, 1, 8)),
        (working(), march(6), 1, march(9)),  # Friday + 1 working day: Monday
        (working(holidays=["2026-03-09"]), march(6), 1, march(10)),
        (working(), march(7), 1, march(9)),  # from a Saturday
        (working(holidays=["2026-03-08"]), march(6), 1, march(9)),  # a holiday on a Sunday counts once
        (working(), march(2), 10, march(16)),  # two whole weeks
        (working(), march(6), 0, march(6)),
    ],
)
def test_add_days_counts_as_the_window_says(rules, start, days, expected):
    assert add_days(rules, start, days) == expected


def test_the_deadline_is_the_window_counted_from_the_day_of_issue():
    assert objection_deadline(working(5, ["2026-03-10"]), march(6)) == march(16)


# The objection flow -----------------------------------------------------------------------

def test_reasons_are_required(org, issued):
    with at(3):
        with pytest.raises(ValidationError) as error:
            objection_file(assessment=issued, actor=org.employee.user, reasons="   ")
        response = client_for(org.employee.user).post("/api/v1/objections/", {"assessment": issued.pk, "reasons": ""}, format="json")
    assert "reasons" in error.value.message_dict
    assert response.status_code == 400 and "reasons" in response.json()["errors"]
    issued.refresh_from_db()
    assert issued.status == Assessment.Status.ISSUED


def test_only_the_employee_files_an_objection(org, issued):
    body = {"assessment": issued.pk, "reasons": "Atas nama pegawai"}
    with at(3):
        assert client_for(org.kabid.user).post("/api/v1/objections/", body, format="json").status_code == 403
        assert client_for(org.colleague.user).post("/api/v1/objections/", body, format="json").status_code == 404
        for user in (org.kepala.user, org.forum_member, org.hr):
            with pytest.raises(NotPermitted):
                objection_file(assessment=issued, actor=user, reasons="Atas nama pegawai")
    assert not Objection.objects.exists()


def test_the_rater_and_the_employee_each_explain_once(org, objection):
    with at(4):
        objection_explain(objection=objection, actor=org.employee.user, explanation="Bukti terlampir")
        with pytest.raises(InvalidTransition, match="already explained"):
            objection_explain(objection=objection, actor=org.employee.user, explanation="Sekali lagi")
        explained = objection_explain(objection=objection, actor=org.kabid.user, explanation="Target tidak tercapai")
        assert explained.status == Objection.Status.AWAITING_DECISION
        again = client_for(org.kabid.user).post(f"/api/v1/objections/{objection.pk}/explanations/", {"explanation": "Lagi"}, format="json")
    assert again.status_code == 409
    objection.refresh_from_db()
    assert (objection.employee_explanation, objection.rater_explanation) == ("Bukti terlampir", "Target tidak tercapai")


def test_a_stranger_cannot_explain(org, objection):
    with at(4):
        with pytest.raises(NotPermitted):
            objection_explain(objection=objection, actor=org.colleague.user, explanation="Saya saksi")
        response = client_for(org.hr).post(f"/api/v1/objections/{objection.pk}/explanations/", {"explanation": "HR"}, format="json")
    assert response.status_code == 403
    objection.refresh_from_db()
    assert objection.rater_explanation == objection.employee_explanation == ""


def decide(org, objection, outcome="upheld", actor=None, **ratings):
    return objection_decide(objection=objection, actor=actor or org.kepala.user, outcome=outcome,
                            reasons="Hasil pemeriksaan atasan penilai", **ratings)


def test_the_decision_waits_for_both_explanations(org, objection):
    with at(4):
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Target tidak tercapai")
        with pytest.raises(InvalidTransition, match="2026-03-08"):
            decide(org, objection)
        response = client_for(org.kepala.user).post(
            f"/api/v1/objections/{objection.pk}/decide/", {"outcome": "upheld", "reasons": "Tetap"}, format="json"
        )
    assert response.status_code == 409
    objection.refresh_from_db()
    assert objection.status == Objection.Status.AWAITING_EXPLANATIONS


def test_the_decision_may_go_ahead_once_the_explanations_are_overdue(org, objection):
    assert objection.explanations_due == march(8)
    with at(9):
        decided = decide(org, objection)
    assert decided.status == Objection.Status.DECIDED and decided.employee_explanation == ""


@pytest.mark.parametrize("who", ["kabid", "sekda", "employee", "other_kabid"])
def test_only_the_raters_superior_decides(org, objection, who):
    with at(4):
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Target tidak tercapai")
        objection_explain(objection=objection, actor=org.employee.user, explanation="Bukti terlampir")
        with pytest.raises(NotPermitted):
            decide(org, objection, actor=getattr(org, who).user)
    objection.refresh_from_db()
    assert objection.status == Objection.Status.AWAITING_DECISION


@pytest.fixture
def explained(org, objection):
    with at(4):
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Target tidak tercapai")
        objection_explain(objection=objection, actor=org.employee.user, explanation="Bukti terlampir")
    return objection


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ({"results_rating": "as_expected"}, ("as_expected", "as_expected", "good")),
        ({"results_rating": "above", "behaviour_rating": "above"}, ("above", "above", "very_good")),
        ({"behaviour_rating": "below"}, ("below", "below", "very_poor")),
    ],
)
def test_a_changed_result_recomputes_the_predicate_and_is_final(org, issued, explained, ratings, expected):
    assert issued.predicate == "needs_improvement"
    with at(5):
        decided = decide(org, explained, "changed", **ratings)
    assert (decided.status, decided.outcome) == (Objection.Status.DECIDED, Objection.Outcome.CHANGED)
    issued.refresh_from_db()
    assert (issued.results_rating, issued.behaviour_rating, issued.predicate) == expected
    assert issued.status == Assessment.Status.FINAL and issued.final_at is not None


def test_a_change_without_a_new_rating_is_refused(org, explained):
    with at(5), pytest.raises(ValidationError) as error:
        decide(org, explained, "changed")
    assert "results_rating" in error.value.message_dict


def test_an_upheld_result_keeps_its_predicate_is_final_and_cannot_be_decided_again(org, issued, explained):
    with at(5):
        decide(org, explained, "upheld")
        with pytest.raises(InvalidTransition):
            decide(org, explained, "changed", results_rating="above")
        response = client_for(org.kepala.user).post(
            f"/api/v1/objections/{explained.pk}/decide/", {"outcome": "upheld", "reasons": "Lagi"}, format="json"
        )
    assert response.status_code == 409
    issued.refresh_from_db()
    assert (issued.status, issued.predicate) == (Assessment.Status.FINAL, "needs_improvement")


def test_an_accepted_result_is_final_at_once_and_can_no_longer_be_objected_to(org, issued):
    with at(3):
        accepted = perform(issued, "accept", actor=org.employee.user).document
        assert accepted.status == Assessment.Status.FINAL and accepted.final_at is not None
        with pytest.raises(InvalidTransition):
            objection_file(assessment=issued, actor=org.employee.user, reasons="Berubah pikiran")
        response = client_for(org.employee.user).post(
            "/api/v1/objections/", {"assessment": issued.pk, "reasons": "Berubah pikiran"}, format="json"
        )
    assert response.status_code == 409 and not Objection.objects.exists()


def test_only_the_employee_accepts(org, issued):
    with at(3), pytest.raises(NotPermitted):
        perform(issued, "accept", actor=org.kabid.user)


# The lapse sweep --------------------------------------------------------------------------

def test_results_whose_window_has_passed_lapse_into_final_as_the_system(org, scoring, issued):
    division = list(Assessment.objects.filter(unit_review=review_of(scoring, org.division)))
    with at(16):
        assert assessments_lapse() == 0  # the last day of the window
    with at(17):
        assert assessments_lapse() == 2  # the employee's and the colleague's
    for assessment in division:
        assessment.refresh_from_db()
        assert assessment.status == Assessment.Status.FINAL and assessment.final_at is not None
        (event,) = lapse_events(assessment)
        assert event.actor_id is None and (event.from_state, event.to_state) == ("issued", "final")
        assert event.origin["channel"] == "system"


def test_the_sweep_run_twice_lapses_each_result_once(org, issued):
    with at(17):
        assert assessments_lapse() == 2
        assert assessments_lapse() == 0
    assert lapse_events(issued).count() == 1
    assert AuditEvent.objects.filter(document_type="assessment", action="lapse").count() == 2


def test_results_still_inside_their_window_are_untouched(org, cycle, scoring, issued):
    with at(5):
        issue_unit(review_of(scoring, org.other_division), forum_of_the_other_division(org, cycle))  # window open until 19 March
    with at(17):
        assert assessments_lapse() == 2  # the division's
    later = assessment_of(scoring, org.other_employee)
    assert later.status == Assessment.Status.ISSUED and not lapse_events(later).exists()


def test_accepted_and_objected_results_are_not_lapsed(org, cycle, scoring, issued):
    with at(2):
        issue_unit(review_of(scoring, org.other_division), forum_of_the_other_division(org, cycle))
    with at(3):
        perform(assessment_of(scoring, org.colleague), "accept", actor=org.colleague.user)
        objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")
    accepted = assessment_of(scoring, org.colleague)
    with at(17):
        assert assessments_lapse() == 1  # the other division's staff member's only
    assert lapse_events(assessment_of(scoring, org.other_employee)).exists()
    assert not lapse_events(accepted).exists() and not lapse_events(issued).exists()
    assert assessment_of(scoring, org.colleague).final_at == accepted.final_at
    assert assessment_of(scoring, org.employee).status == Assessment.Status.OBJECTED
