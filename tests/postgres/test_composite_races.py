"""Composite actions race the actions that could change their decision (PostgreSQL, real threads).

Each race releases its threads together (``threading.Barrier``), each on its own database
connection, and runs several rounds: a composite action that checks before it locks lets the
other action slip in between on some round. Every race asserts that the outcome is one of the
serial orders, that the audit trail tells what happened, and that every refusal is a clean one
(400, 403, 404 or 409): never a 500, an IntegrityError or a deadlock.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from processes.flows import assessment as assessment_flow
from processes.flows.unit_review import pattern_checks
from processes.models import Assessment, Cycle, CycleMember, CycleRole, Objection, Plan, UnitReview
from processes.services.cycles import cycle_create, cycle_open
from processes.services.objections import assessments_lapse, objection_explain, objection_file
from processes.services.scoring import assessment_rate, unit_review_ratify
from workflow.engine import perform
from workflow.errors import Conflict, InvalidTransition, NotPermitted
from workflow.models import AuditEvent, OpenTask

from ..conftest import approve_plan, client_for, fill_plan, plan_of
from ..factories import EmployeeFactory
from ..lifecycle import approve_all_plans, issue_unit, rate_all, set_unit_predicates, start_evaluation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5
PERIODS = ["Q1", "Q2", "Q3", "Q4", "annual"]
TIMEOUT = 30  # seconds, for the barrier and each thread; a round takes well under one
CLEAN_REFUSALS = {400, 403, 404, 409}


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        reason = "needs PostgreSQL: set DATABASE_URL (SQLite cannot lock rows)"
        if os.environ.get("KINERJA_REQUIRE_SERVICES"):
            pytest.fail(f"CI requires the composite races: {reason}")
        pytest.skip(reason)


# Racing ---------------------------------------------------------------------------------------


def race(*calls) -> list:
    """Run each call in its own thread (its own connection), released together; what each
    returned, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(TIMEOUT)
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - judged by status() in the main thread
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung (a lock never released?)"
    return outcomes


def in_turn(first, second) -> list:
    """``first`` runs until its COMMIT and is held there, every lock of its transaction taken;
    then ``second`` runs until it finishes or PostgreSQL shows it waiting for a lock; then
    ``first`` commits. The window a barrier hits only sometimes, on every run: a composite action
    that does not lock what the other changes lets it through here."""
    outcomes: list = [None, None]
    at_commit, release, second_pid = threading.Event(), threading.Event(), []

    def run_first():
        commit = connection._commit

        def held_commit():
            at_commit.set()
            release.wait(TIMEOUT)
            return commit()

        connection._commit = held_commit
        try:
            outcomes[0] = first()
        except Exception as error:  # noqa: BLE001 - judged by status()
            outcomes[0] = error
        finally:
            del connection._commit
            at_commit.set()
            connection.close()

    def run_second():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            outcomes[1] = second()
        except Exception as error:  # noqa: BLE001
            outcomes[1] = error
        finally:
            connection.close()

    a, b = threading.Thread(target=run_first), threading.Thread(target=run_second)
    a.start()
    try:
        assert at_commit.wait(TIMEOUT)
        b.start()
        deadline = time.monotonic() + TIMEOUT
        while b.is_alive() and time.monotonic() < deadline:
            if second_pid:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [second_pid[0]])
                    row = cursor.fetchone()
                if row and row[0] == "Lock":
                    break
            time.sleep(0.01)
    finally:
        release.set()
        a.join(TIMEOUT)
        b.join(TIMEOUT)
    assert not a.is_alive() and not b.is_alive(), "a thread hung (a lock never released?)"
    return outcomes


def status(outcome) -> int:
    """The HTTP status an outcome is (an API response's own; a service's refusal as the API's
    error handler answers it). Anything else (IntegrityError, a deadlock, a 500) fails the test."""
    if hasattr(outcome, "status_code"):
        assert outcome.status_code < 500, outcome.content
        return outcome.status_code
    if isinstance(outcome, (InvalidTransition, Conflict)):
        return 409
    if isinstance(outcome, ValidationError):
        return 400
    if isinstance(outcome, NotPermitted):
        return 403
    if isinstance(outcome, BaseException):
        raise AssertionError(f"not a clean refusal: {outcome!r}") from outcome
    return 200


def statuses(outcomes) -> list[int]:
    codes = [status(o) for o in outcomes]
    assert all(code < 300 or code in CLEAN_REFUSALS for code in codes), codes
    return codes


def events(document, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk, action=action).order_by("seq"))


# The year -------------------------------------------------------------------------------------


@pytest.fixture
def quarterly(org, django_capture_on_commit_callbacks) -> Cycle:
    """An opened quarterly cycle of the agency with every plan approved; the forum member
    reviews every unit of the agency, sekda ratifies."""
    return _year(org, django_capture_on_commit_callbacks, name="Kinerja 2027")


@pytest.fixture
def quarterly_of_three(org, django_capture_on_commit_callbacks) -> Cycle:
    """``quarterly``, with a third staff member of the division (rated by kabid) from before it
    opened: the division's review holds its staff, not kabid (calibrated in the agency's review),
    and two people cannot follow the pattern of a good unit (most, but at most 70%, good)."""
    EmployeeFactory(name="Staf A3", position__unit=org.division, position__superior=org.kabid.position)
    return _year(org, django_capture_on_commit_callbacks, name="Kinerja 2027")


def _year(org, capture, *, name: str, year: int = 2027) -> Cycle:
    cycle = cycle_create(actor=org.hr, name=name, year=year, units=[org.agency], plan_deadline=datetime.date(year, 1, 31),
                         period_type=Cycle.PeriodType.QUARTERLY)
    CycleRole.objects.create(cycle=cycle, user=org.forum_member, role=CycleRole.Role.FORUM_MEMBER, unit=org.agency)
    CycleRole.objects.create(cycle=cycle, user=org.sekda.user, role=CycleRole.Role.RATIFYING_OFFICIAL, unit=org.agency)
    with capture(execute=True):
        cycle_open(cycle=cycle, actor=org.hr)
    cycle.refresh_from_db()
    approve_all_plans(cycle)
    return cycle


def scored(cycle, org, period: str):
    """The period started, every unit's predicate "good", every assessment submitted: the
    division's colleague "needs improvement", everyone else "good" (with a third staff member,
    ``quarterly_of_three``, the division passes the pattern of a good unit)."""
    evaluation = start_evaluation(cycle, org.hr, period)
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation, {org.colleague.pk: ("below", "as_expected")})
    return evaluation


def review_of(evaluation, unit) -> UnitReview:
    return UnitReview.objects.get(evaluation=evaluation, unit=unit)


def assessment_of(evaluation, employee) -> Assessment:
    return Assessment.objects.select_related("member__rater__user", "member__employee__user").get(
        evaluation=evaluation, employee=employee
    )


def issued_departures(review: UnitReview) -> list[str]:
    predicates = [p for p in Assessment.objects.filter(unit_review=review).values_list("predicate", flat=True) if p]
    return [check.description for check in pattern_checks(review, predicates) if not check.passes]


# Forum approval ---------------------------------------------------------------------------------


def test_an_approval_racing_an_adjustment_issues_what_it_checked_and_records_the_true_departures(org, quarterly_of_three):
    forum = client_for(org.forum_member)
    seen = set()
    for period in PERIODS[:ROUNDS]:
        evaluation = scored(quarterly_of_three, org, period)
        review = review_of(evaluation, org.division)
        colleague = assessment_of(evaluation, org.colleague)
        assert issued_departures(review) == []  # as scored; the adjustment departs from the pattern

        approval, adjustment = statuses(race(
            partial(forum.post, f"/api/v1/unit-reviews/{review.pk}/approve/", {}, format="json"),
            partial(forum.post, f"/api/v1/unit-reviews/{review.pk}/adjust/",
                               {"assessment": colleague.pk, "results_rating": "as_expected", "reason": "Kinerja tim setara"},
                               format="json"),
        ))
        seen.add((approval, adjustment))
        review.refresh_from_db()
        colleague.refresh_from_db()
        if approval == 200:  # approved first: the adjustment came too late
            assert adjustment == 409, (period, approval, adjustment)
            assert review.status == UnitReview.Status.ISSUED and colleague.predicate == "needs_improvement"
            (approved,) = events(review, "approve")
            assert approved.data["departures"] == issued_departures(review) == []
            assert not Assessment.objects.filter(unit_review=review).exclude(status=Assessment.Status.ISSUED).exists()
        else:  # adjusted first: the approval saw the departures and asked for a justification
            assert (approval, adjustment) == (400, 200), (period, approval, adjustment)
            assert review.status == UnitReview.Status.SCORING and colleague.predicate == "good" and colleague.adjusted
            assert events(review, "approve") == [] and issued_departures(review)
    assert seen <= {(200, 409), (400, 200)}


def test_ten_concurrent_adjustments_of_one_review_each_succeed_in_turn_on_one_audit_chain(org, quarterly_of_three):
    evaluation = scored(quarterly_of_three, org, "Q1")
    review = review_of(evaluation, org.division)
    targets = list(Assessment.objects.filter(unit_review=review).order_by("pk"))
    assert len(targets) == 3  # so each round adjusts one of them four times, the others three times
    # An adjustment must change a rating (else 400), whatever order the round runs in: each round
    # gives an assessment distinct pairs of ratings, none of them what the round before could have
    # left (two halves of the eight pairs other than the rater's, taken in turn).
    pairs = [(results, behaviour) for results in ("above", "as_expected", "below") for behaviour in ("above", "as_expected", "below")]
    halves = {t.pk: [others[:4], others[4:]]
              for t in targets for others in [[p for p in pairs if p != (t.results_rating, t.behaviour_rating)]]}
    clients = [client_for(org.forum_member) for _ in range(10)]
    for round_ in range(ROUNDS):
        calls = []
        for n, client in enumerate(clients):
            target = targets[n % len(targets)]
            results, behaviour = halves[target.pk][round_ % 2][n // len(targets)]
            body = {"assessment": target.pk, "results_rating": results, "behaviour_rating": behaviour,
                    "reason": f"Kalibrasi {round_}-{n}"}
            calls.append(lambda client=client, body=body: client.post(f"/api/v1/unit-reviews/{review.pk}/adjust/", body, format="json"))
        assert statuses(race(*calls)) == [200] * 10

    adjusted = events(review, "adjust")
    assert len(adjusted) == 10 * ROUNDS
    assert [e.seq for e in AuditEvent.objects.filter(document_type="unit_review", document_id=review.pk).order_by("seq")] == list(
        range(1, 1 + AuditEvent.objects.filter(document_type="unit_review", document_id=review.pk).count())
    )
    for target in targets:  # each assessment holds the predicate of its last adjustment in the chain
        last = [e for e in adjusted if e.data["assessment"] == target.pk][-1]
        target.refresh_from_db()
        assert target.predicate == last.data["to"]
        # ... and each adjustment's "from" is what the one before it left
        chain = [e for e in adjusted if e.data["assessment"] == target.pk]
        assert all(later.data["from"] == earlier.data["to"] for earlier, later in zip(chain, chain[1:]))


# Ratification ------------------------------------------------------------------------------------


def test_a_ratification_racing_an_objection_decision_ratifies_all_final_results_or_none(org, quarterly):
    sekda, kepala = client_for(org.sekda.user), client_for(org.kepala.user)
    for period in PERIODS[:ROUNDS]:
        evaluation = scored(quarterly, org, period)
        review = review_of(evaluation, org.division)
        issue_unit(review, org.forum_member)
        # the division's staff but the objecting employee (kabid's result is in the agency's review)
        perform(assessment_of(evaluation, org.colleague), "accept", actor=org.colleague.user)
        objected = assessment_of(evaluation, org.employee)
        objection = objection_file(assessment=objected, actor=org.employee.user, reasons="Capaian saya melebihi target")
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Sesuai catatan bulanan")
        objection_explain(objection=objection, actor=org.employee.user, explanation="Bukti terlampir")

        ratification, decision = statuses(race(
            partial(sekda.post, f"/api/v1/unit-reviews/{review.pk}/ratify/", {}, format="json"),
            partial(kepala.post, f"/api/v1/objections/{objection.pk}/decide/",
                                {"outcome": "changed", "results_rating": "above", "reasons": "Bukti diterima"}, format="json"),
        ))
        review.refresh_from_db()
        objected.refresh_from_db()
        assert decision == 200, (period, ratification, decision)
        assert objected.predicate == "good" and objected.results_rating == "above"
        if ratification == 200:  # decided first: every result final, all ratified
            assert review.status == UnitReview.Status.RATIFIED
            assert set(Assessment.objects.filter(unit_review=review).values_list("status", flat=True)) == {Assessment.Status.RATIFIED}
            (ratify_event,) = events(objected, "ratify")
            (resolve_event,) = events(objected, "resolve")
            assert resolve_event.seq < ratify_event.seq
        else:  # ratified first: refused while a result was under objection, nothing ratified
            assert ratification == 409, (period, ratification, decision)
            assert review.status == UnitReview.Status.ISSUED and objected.status == Assessment.Status.FINAL
            assert not Assessment.objects.filter(unit_review=review, status=Assessment.Status.RATIFIED).exists()
            unit_review_ratify(review=review, actor=org.sekda.user)  # what the official does next: it goes through


# The unit's predicate ---------------------------------------------------------------------------


def test_setting_the_unit_predicate_racing_the_leaders_submission_leaves_the_leader_on_the_new_predicate(org, quarterly):
    kepala_as_setter, kepala_as_rater = client_for(org.kepala.user), client_for(org.kepala.user)
    for round_, period in enumerate(PERIODS[:ROUNDS]):
        evaluation = start_evaluation(quarterly, org.hr, period)
        set_unit_predicates(evaluation, "good")
        review = review_of(evaluation, org.division)
        leader = assessment_of(evaluation, org.kabid)
        assessment_rate(assessment=leader, actor=org.kepala.user, ratings={"behaviour_rating": "above"})

        setting = partial(kepala_as_setter.post, f"/api/v1/unit-reviews/{review.pk}/set_unit_predicate/",
                          {"unit_predicate": "outstanding", "comment": "Capaian unit melampaui"}, format="json")
        submission = partial(kepala_as_rater.post, f"/api/v1/assessments/{leader.pk}/submit/", {}, format="json")
        # Each order held at its commit once, then released together.
        if round_ == 0:
            setting, submission = statuses(in_turn(setting, submission))
        elif round_ == 1:
            submission, setting = statuses(in_turn(submission, setting))
        else:
            setting, submission = statuses(race(setting, submission))
        assert (setting, submission) == (200, 200), period
        leader.refresh_from_db()
        # Either order gives the same: the leader's results follow "outstanding" (above; with
        # behaviour above, very good), submitted directly or followed after the submission.
        assert leader.status == Assessment.Status.SUBMITTED
        assert (leader.results_rating, leader.predicate) == ("above", "very_good"), (period, leader.results_rating, leader.predicate)


# Objections ------------------------------------------------------------------------------------


class _Clock(threading.local):
    day: datetime.date | None = None


def test_an_objection_filed_on_the_last_day_racing_the_lapse_sweep_either_objects_or_lapses(org, quarterly, monkeypatch):
    """The window's end: the employee's request reads the last day of the window, the sweep's
    clock has passed midnight. One of them wins the assessment; never both."""
    clock = _Clock()
    real_today = assessment_flow.today
    monkeypatch.setattr(assessment_flow, "today", lambda: clock.day or real_today())
    for period in PERIODS[:ROUNDS]:
        evaluation = scored(quarterly, org, period)
        for review in UnitReview.objects.filter(evaluation=evaluation):
            issue_unit(review, org.forum_member)
        assessment = assessment_of(evaluation, org.employee)
        deadline = assessment.objection_deadline

        def file(assessment=assessment, deadline=deadline):
            clock.day = deadline
            return objection_file(assessment=assessment, actor=org.employee.user, reasons="Penilaian tidak sesuai bukti")

        def sweep(deadline=deadline):
            clock.day = deadline + datetime.timedelta(days=1)
            return assessments_lapse(on=clock.day)

        filing, lapsing = race(file, sweep)
        filed = status(filing)
        status(lapsing)
        assessment.refresh_from_db()
        objections = Objection.objects.filter(assessment=assessment)
        if filed == 200:  # filed first: the sweep found it objected and left it (and lapsed the others)
            assert assessment.status == Assessment.Status.OBJECTED and objections.count() == 1
            assert events(assessment, "lapse") == [] and lapsing == 5
        else:  # the sweep first: final, the objection refused, no objection document
            assert filed == 409 and lapsing == 6, (period, filed, lapsing)
            assert assessment.status == Assessment.Status.FINAL and not objections.exists()
            assert len(events(assessment, "lapse")) == 1 and events(assessment, "object") == []


# The cycle ---------------------------------------------------------------------------------------


def _ratify_everything(cycle, org, period: str = "annual") -> None:
    evaluation = scored(cycle, org, period)
    for review in UnitReview.objects.filter(evaluation=evaluation):
        issue_unit(review, org.forum_member)
    for assessment in Assessment.objects.filter(evaluation=evaluation).select_related("employee__user"):
        perform(assessment, "accept", actor=assessment.employee.user)
    for review in UnitReview.objects.filter(evaluation=evaluation):
        unit_review_ratify(review=review, actor=org.sekda.user)


def test_closing_a_cycle_racing_the_start_of_an_evaluation_period_either_closes_or_starts(org, django_capture_on_commit_callbacks):
    hr_closing, hr_starting = client_for(org.hr), client_for(org.hr)
    for round_ in range(ROUNDS):
        # one cycle per agency, year and period type: each round its own year
        cycle = _year(org, django_capture_on_commit_callbacks, name=f"Kinerja {2027 + round_}", year=2027 + round_)
        _ratify_everything(cycle, org)

        closing, starting = statuses(race(
            partial(hr_closing.post, f"/api/v1/cycles/{cycle.pk}/close/", {}, format="json"),
            partial(hr_starting.post, f"/api/v1/cycles/{cycle.pk}/evaluations/", {"period": "Q1"}, format="json"),
        ))
        cycle.refresh_from_db()
        q1_reviews = UnitReview.objects.filter(cycle=cycle, period="Q1")
        if closing == 200:  # closed first: no period starts in a closed cycle
            assert starting == 409, (round_, closing, starting)
            assert cycle.status == Cycle.Status.CLOSED and not q1_reviews.exists()
        else:  # started first: the new period's reviews are not ratified, so the cycle stays open
            assert (closing, starting) == (409, 201), (round_, closing, starting)
            assert cycle.status == Cycle.Status.OPEN and q1_reviews.exists()
            assert events(cycle, "close") == []


# The reporting line -------------------------------------------------------------------------------


@pytest.fixture
def staffed_cycle(org, django_capture_on_commit_callbacks):
    """An annual cycle of the agency with five more staff under kabid; kepala's and kabid's plans
    approved (the staff's plans cascade from kabid's)."""
    staff = [EmployeeFactory(name=f"Staf A{n}", position__unit=org.division, position__superior=org.kabid.position)
             for n in range(3, 3 + ROUNDS)]
    cycle = cycle_create(actor=org.hr, name="Kinerja 2027", year=2027, units=[org.agency], plan_deadline=datetime.date(2027, 1, 31))
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=cycle, actor=org.hr)
    kepala_plan = plan_of(cycle, org.kepala)
    (kepala_result,) = fill_plan(kepala_plan)
    approve_plan(kepala_plan, rater_user=org.sekda.user, employee_user=org.kepala.user)
    kabid_plan = plan_of(cycle, org.kabid)
    (kabid_result,) = fill_plan(kabid_plan, supports=kepala_result)
    approve_plan(kabid_plan, rater_user=org.kepala.user, employee_user=org.kabid.user)
    kabid_result.refresh_from_db()
    return cycle, staff, kabid_result


def test_correcting_the_rater_racing_the_old_raters_approval_leaves_the_plan_with_its_true_rater(org, staffed_cycle):
    """HR moves the staff's rater from kabid to kepala while kabid approves the plan: either the
    approval came first (the correction then moves nothing of it), or the correction did and
    kabid may no longer approve (the approval task is kepala's)."""
    cycle, staff, kabid_result = staffed_cycle
    hr, kabid = client_for(org.hr), client_for(org.kabid.user)
    for employee in staff:
        plan = plan_of(cycle, employee)
        fill_plan(plan, supports=kabid_result)
        perform(plan, "submit", actor=employee.user)
        member = CycleMember.objects.get(pk=plan.member_id)

        approval, correction = statuses(race(
            partial(kabid.post, f"/api/v1/plans/{plan.pk}/approve/", {}, format="json"),
            partial(hr.post, f"/api/v1/cycle-members/{member.pk}/correct_reporting_line/",
                            {"rater": org.kepala.pk, "raters_superior": org.sekda.pk, "reason": "Salah atasan"}, format="json"),
        ))
        assert correction == 200, (employee.name, approval, correction)
        plan.refresh_from_db()
        (corrected,) = events(member, "correct_reporting_line")
        rater_tasks = OpenTask.objects.filter(document_type="plan", document_id=plan.pk, closed_at__isnull=True, role="rater")
        if approval == 200:  # approved first, by the rater of the moment; nothing left to move
            assert plan.status == Plan.Status.APPROVED
            (approved,) = events(plan, "approve")
            assert approved.actor_id == org.kabid.user.pk
            assert approved.at < corrected.at, "kabid's approval was taken after kabid had stopped being the rater"
            assert corrected.data["tasks_moved"] == 0 and not rater_tasks.exists()
        else:  # corrected first: kabid is no longer the rater, the task is kepala's
            assert approval in (403, 404), (employee.name, approval)
            assert plan.status == Plan.Status.SUBMITTED
            assert list(rater_tasks.values_list("assignee_id", flat=True)) == [org.kepala.user.pk]


def test_an_approval_that_waited_for_a_correction_of_the_rater_is_refused_to_the_old_rater(org, staffed_cycle):
    """The narrow window, held open: HR's correction is at its COMMIT when kabid's approval asks
    for the plan. The approval must wait (the plan's lock shares the member's record with the
    correction's lock) and then read the corrected record: kabid is no longer the rater."""
    cycle, staff, kabid_result = staffed_cycle
    hr, kabid = client_for(org.hr), client_for(org.kabid.user)
    for employee in staff[:2]:
        plan = plan_of(cycle, employee)
        fill_plan(plan, supports=kabid_result)
        perform(plan, "submit", actor=employee.user)
        member = CycleMember.objects.get(pk=plan.member_id)

        correction, approval = statuses(in_turn(
            partial(hr.post, f"/api/v1/cycle-members/{member.pk}/correct_reporting_line/",
                    {"rater": org.kepala.pk, "raters_superior": org.sekda.pk, "reason": "Salah atasan"}, format="json"),
            partial(kabid.post, f"/api/v1/plans/{plan.pk}/approve/", {}, format="json"),
        ))
        assert correction == 200 and approval in (403, 404), (employee.name, correction, approval)
        plan.refresh_from_db()
        assert plan.status == Plan.Status.SUBMITTED and not events(plan, "approve")
        rater_tasks = OpenTask.objects.filter(document_type="plan", document_id=plan.pk, closed_at__isnull=True, role="rater")
        assert list(rater_tasks.values_list("assignee_id", flat=True)) == [org.kepala.user.pk]
