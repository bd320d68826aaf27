"""Long work resumes by itself: a cycle's opening, a large evaluation period and the month's
reports keep a progress record; work killed mid-way is resumed by the sweep (once, however many
sweeps run) or by HR, and creates nothing twice; a broker that is down fails nothing."""

from __future__ import annotations

import datetime
import socket
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from config.celery_app import app as celery_app
from notifications.models import Notification
from processes.models import Assessment, BulkRun, Cycle, CycleMember, MonthlyReport, Plan, UnitReview
from processes.services import bulk_runs, cycles, evaluations, report_runs
from processes.services.cycles import cycle_create, cycle_open
from processes.services.evaluations import evaluation_start
from processes.tasks import bulk_runs_sweep_task, reports_open_month_task
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import cycle_url
from ..conftest import client_for
from ..factories import EmployeeFactory
from ..lifecycle import approve_all_plans

pytestmark = pytest.mark.django_db
STALLED = datetime.timedelta(seconds=301)  # past KINERJA_BULK_STALL_SECONDS (300)


class Killed(BaseException):
    """The worker dies mid-way: nothing in the process gets to record it (like SIGKILL)."""


def kill_after(monkeypatch, module, name: str, calls: int) -> None:
    """Let ``module.name`` run ``calls`` times, then kill the worker in the next call."""
    real, seen = getattr(module, name), []

    def dying(*args, **kwargs):
        seen.append(1)
        if len(seen) > calls:
            raise Killed(f"killed in call {len(seen)} of {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


@pytest.fixture
def large_org(org, settings):
    """13 employees in scope (the organisation's 6 and 7 more), opened 2 at a time."""
    settings.KINERJA_BULK_CHUNK_SIZE = 2
    for _ in range(7):
        EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position)
    return org


def new_cycle(org) -> Cycle:
    return cycle_create(actor=org.hr, name="Kinerja", year=2026, units=[org.agency], plan_deadline=datetime.date(2026, 1, 31))


def killed_opening(org, monkeypatch, django_capture_on_commit_callbacks, *, chunks: int = 2) -> Cycle:
    """HR opens the cycle; the worker dies after ``chunks`` chunks."""
    cycle = new_cycle(org)
    kill_after(monkeypatch, cycles, "_populate_chunk", chunks)
    with pytest.raises(Killed), django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=cycle, actor=org.hr)
    monkeypatch.undo()  # the next worker is healthy
    cycle.refresh_from_db()
    return cycle


def opening_run(cycle) -> BulkRun:
    return BulkRun.objects.get(kind=BulkRun.Kind.CYCLE_OPEN, target=str(cycle.pk))


def assert_opened_once(cycle, employees: int) -> None:
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.OPEN
    assert cycle.opening_total == cycle.opening_done == employees
    assert CycleMember.objects.filter(cycle=cycle).count() == employees
    plans = Plan.objects.filter(cycle=cycle)
    assert plans.count() == employees
    assert AuditEvent.objects.filter(document_type="plan", document_id__in=plans.values("pk"), action="create").count() == employees
    assert OpenTask.objects.pending().filter(document_type="plan", document_id__in=plans.values("pk")).count() == employees
    assert AuditEvent.objects.filter(document_type="cycle", document_id=cycle.pk, action="finish_opening").count() == 1
    assert Notification.objects.filter(event="cycle.ready", document_id=cycle.pk).count() == 1
    run = opening_run(cycle)
    assert (run.status, run.done, run.total) == (BulkRun.Status.FINISHED, employees, employees)


def cycle_events(cycle, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(document_type="cycle", document_id=cycle.pk, action=action))


# The opening ------------------------------------------------------------------------------------


def test_a_killed_opening_keeps_its_progress_and_the_sweep_resumes_it_once_stalled(
    large_org, monkeypatch, django_capture_on_commit_callbacks
):
    cycle = killed_opening(large_org, monkeypatch, django_capture_on_commit_callbacks)
    run = opening_run(cycle)
    assert cycle.status == Cycle.Status.OPENING and CycleMember.objects.filter(cycle=cycle).count() == 4
    assert (run.status, run.done, run.total, run.attempts) == (BulkRun.Status.RUNNING, 4, 13, 1)
    assert run.heartbeat_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs_sweep_task() == 0  # still within the stall time: the worker may be busy
    assert CycleMember.objects.filter(cycle=cycle).count() == 4

    with time_machine.travel(timezone.now() + STALLED), django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs_sweep_task() == 1
    assert_opened_once(cycle, 13)
    (resumed,) = cycle_events(cycle, "resume_stalled_work")
    assert resumed.actor_id is None and resumed.data["resumed"][0]["done"] == 4
    with time_machine.travel(timezone.now() + 2 * STALLED), django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs_sweep_task() == 0  # finished: nothing to resume
    assert_opened_once(cycle, 13)


def test_hr_resumes_a_killed_opening_through_the_api_and_a_second_resume_is_a_409(
    large_org, monkeypatch, django_capture_on_commit_callbacks
):
    cycle = killed_opening(large_org, monkeypatch, django_capture_on_commit_callbacks, chunks=3)
    hr = client_for(large_org.hr)
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(cycle_url(cycle, "resume"))
    assert response.status_code == 202, response.content
    assert [(r["kind"], r["status"], r["attempts"]) for r in response.json()] == [("cycle_open", "running", 2)]
    assert_opened_once(cycle, 13)
    (resumed,) = cycle_events(cycle, "resume_bulk_work")
    assert resumed.actor_id == large_org.hr.pk and resumed.data["resumed"][0]["done"] == 6

    again = hr.post(cycle_url(cycle, "resume"))
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert len(cycle_events(cycle, "resume_bulk_work")) == 1


def test_only_hr_of_the_cycles_units_may_resume_it(large_org, monkeypatch, django_capture_on_commit_callbacks):
    cycle = killed_opening(large_org, monkeypatch, django_capture_on_commit_callbacks)
    for intruder in (large_org.kepala.user, large_org.employee.user):
        assert client_for(intruder).post(cycle_url(cycle, "resume")).status_code in (403, 404)
    assert opening_run(cycle).attempts == 1 and cycle_events(cycle, "resume_bulk_work") == []


def test_hr_resumes_a_stuck_opening_from_the_cycle_page(large_org, monkeypatch, django_capture_on_commit_callbacks, client):
    cycle = killed_opening(large_org, monkeypatch, django_capture_on_commit_callbacks)
    client.force_login(large_org.hr)
    page = client.get(f"/hr/cycles/{cycle.pk}/")
    assert page.status_code == 200 and b'id="resume"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/hr/cycles/{cycle.pk}/", {"action": "resume"})
    assert response.status_code == 302
    assert_opened_once(cycle, 13)
    assert b'id="resume"' not in client.get(f"/hr/cycles/{cycle.pk}/").content


def test_an_attempt_taken_over_by_a_resume_stops_at_its_next_chunk(large_org, django_capture_on_commit_callbacks):
    cycle = new_cycle(large_org)
    with django_capture_on_commit_callbacks(execute=False):  # the broker holds the first attempt's task
        cycle_open(cycle=cycle, actor=large_org.hr)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_runs.cycle_resume(cycle=cycle, actor=large_org.hr)  # attempt 2 runs and finishes
    cycles.cycle_populate(cycle.pk, attempt=1)  # the first task arrives late: it has nothing to do
    assert_opened_once(cycle, 13)


# The broker down --------------------------------------------------------------------------------


@pytest.fixture
def broker_down():
    """Celery publishes to a Redis that is not there (connection refused), as when Redis is down."""
    from kombu import pools

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}

    def reset():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        pools.reset()

    celery_app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/0")
    reset()
    yield
    celery_app.conf.update(saved)
    reset()


def test_opening_with_the_broker_down_answers_202_and_the_sweep_finishes_the_opening(
    org, broker_down, django_capture_on_commit_callbacks
):
    cycle = new_cycle(org)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.hr).post(cycle_url(cycle, "open"))
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "opening"
    run = opening_run(cycle)
    assert run.waiting and run.status == BulkRun.Status.RUNNING and not CycleMember.objects.filter(cycle=cycle).exists()

    celery_app.conf.update(task_always_eager=True)  # the broker is back (eager: the task runs here)
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs_sweep_task() == 1  # a run never handed over is resumed at once
    assert_opened_once(cycle, 6)


# Two sweeps at once -----------------------------------------------------------------------------


def test_two_sweeps_one_after_the_other_resume_a_stalled_run_once(large_org, monkeypatch, django_capture_on_commit_callbacks):
    cycle = killed_opening(large_org, monkeypatch, django_capture_on_commit_callbacks)
    queued = []
    monkeypatch.setattr(bulk_runs, "queue", lambda run_id, attempt: queued.append((run_id, attempt)))
    with time_machine.travel(timezone.now() + STALLED), django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs.resume_stalled() + bulk_runs.resume_stalled() == 1
    assert queued == [(opening_run(cycle).pk, 2)]
    assert len(cycle_events(cycle, "resume_stalled_work")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_resume_a_stalled_run_once(large_org, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("two sweeps at once need PostgreSQL (SQLite's test database is one connection)")
    cycle = new_cycle(large_org)
    monkeypatch.setattr(bulk_runs, "queue", lambda run_id, attempt: None)  # the first task is lost
    cycle_open(cycle=cycle, actor=large_org.hr)
    run = opening_run(cycle)
    BulkRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - STALLED)
    queued, results, errors = [], [], []
    monkeypatch.setattr(bulk_runs, "queue", lambda run_id, attempt: queued.append((run_id, attempt)))
    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait(10)
            results.append(bulk_runs.resume_stalled())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(results) == [0, 1]
    assert queued == [(run.pk, 2)]
    assert len(cycle_events(cycle, "resume_stalled_work")) == 1
    assert opening_run(cycle).attempts == 2


# Evaluation start -------------------------------------------------------------------------------


def test_a_large_evaluation_period_is_created_in_chunks_and_resumed_after_a_kill(
    large_org, cycle, monkeypatch, django_capture_on_commit_callbacks
):
    approve_all_plans(cycle)  # 13 approved plans, more than a chunk of 2
    kill_after(monkeypatch, evaluations, "_create_assessments", 1)
    with pytest.raises(Killed), django_capture_on_commit_callbacks(execute=True):
        evaluation_start(cycle=cycle, period="annual", actor=large_org.hr)
    monkeypatch.undo()
    run = BulkRun.objects.get(kind=BulkRun.Kind.EVALUATION_START)
    evaluation = cycle.evaluations.get()
    assert Assessment.objects.filter(evaluation=evaluation).count() == 2
    assert (run.status, run.done, run.total) == (BulkRun.Status.RUNNING, 2, 13)
    units = set(CycleMember.objects.filter(cycle=cycle).values_list("unit_id", flat=True))
    assert set(UnitReview.objects.filter(evaluation=evaluation).values_list("unit_id", flat=True)) == units

    with time_machine.travel(timezone.now() + STALLED), django_capture_on_commit_callbacks(execute=True):
        assert bulk_runs_sweep_task() == 1
    assessments = Assessment.objects.filter(evaluation=evaluation)
    assert assessments.count() == 13 and assessments.values("member").distinct().count() == 13
    assert AuditEvent.objects.filter(document_type="assessment", action="create").count() == 13
    assert UnitReview.objects.filter(evaluation=evaluation).count() == len(units)
    run.refresh_from_db()
    assert (run.status, run.done) == (BulkRun.Status.FINISHED, 13)

    _evaluation, reviews, created = evaluation_start(cycle=cycle, period="annual", actor=large_org.hr)
    assert (reviews, created) == (0, 0) and assessments.count() == 13


def test_a_small_evaluation_period_starts_at_once_without_a_run(org, cycle):
    approve_all_plans(cycle)
    _evaluation, reviews, created = evaluation_start(cycle=cycle, period="annual", actor=org.hr)
    assert created == 6 and reviews >= 1
    assert not BulkRun.objects.filter(kind=BulkRun.Kind.EVALUATION_START).exists()


# The month's reports ----------------------------------------------------------------------------


def test_a_killed_month_of_reports_is_resumed_by_the_sweep_without_duplicates(
    org, cycle, settings, monkeypatch, django_capture_on_commit_callbacks
):
    approve_all_plans(cycle)
    settings.KINERJA_BULK_CHUNK_SIZE = 2
    kill_after(monkeypatch, report_runs, "reports_create", 1)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc)):
        with pytest.raises(Killed):
            reports_open_month_task()
        monkeypatch.undo()
        assert MonthlyReport.objects.filter(month=3).count() == 2
        run = BulkRun.objects.get(kind=BulkRun.Kind.REPORTS_OPEN_MONTH)
        assert (run.target, run.status, run.done, run.total) == ("2026-03", BulkRun.Status.RUNNING, 2, 6)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 6, tzinfo=datetime.timezone.utc)):
        with django_capture_on_commit_callbacks(execute=True):
            assert bulk_runs_sweep_task() == 1
    reports = MonthlyReport.objects.filter(month=3)
    assert reports.count() == 6 and reports.values("plan").distinct().count() == 6
    assert AuditEvent.objects.filter(document_type="report", action="create").count() == 6
    run.refresh_from_db()
    assert run.status == BulkRun.Status.FINISHED
