"""HR's progress from a stored snapshot: served fresh without a recount, served stale while one
background refresh is queued, counted on the first read, live when snapshots are off; the
refresh task, the beat task, the opening's refresh, and what the API and HR's page show."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from processes import tasks
from processes.models import Cycle, ProgressSnapshot
from processes.selectors import cycle_progress
from processes.selectors.hr_dashboard import overdue_count_key
from processes.services import progress as progress_service
from processes.services.cycles import cycle_create, cycle_open
from processes.services.progress import progress_of, refresh_lock_key, refresh_progress
from workflow.engine import perform

from ..conftest import fill_plan, plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshots(settings):
    """Snapshots on, a minute old at most (the test settings count live)."""
    settings.KINERJA_PROGRESS_MAX_AGE = 60
    return settings


@pytest.fixture(autouse=True)
def _no_refresh_locks(db):
    """No lock, kept count or decoded snapshot of one test in another (cycle ids repeat across
    tests on SQLite): forgotten for every cycle of the test, before its rows are rolled back."""
    progress_service.forget_decoded()
    yield
    for cycle_id in Cycle.objects.values_list("pk", flat=True):
        cache.delete_many([refresh_lock_key(cycle_id), overdue_count_key(cycle_id)])
    progress_service.forget_decoded()


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The cycle ids whose refresh was handed to Celery (not run)."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.refresh_progress_task, "delay", lambda cycle_id: calls.append(cycle_id))
    return calls


def age(cycle, seconds: int) -> None:
    ProgressSnapshot.objects.filter(cycle=cycle).update(computed_at=timezone.now() - datetime.timedelta(seconds=seconds))


def no_counting(monkeypatch) -> None:
    def refuse(cycle):
        raise AssertionError("the progress was counted again")
    monkeypatch.setattr(progress_service, "cycle_progress", refuse)


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def submit(cycle, employee) -> None:
    plan = plan_of(cycle, employee)
    fill_plan(plan)
    perform(plan, "submit", actor=employee.user)


# Reading -----------------------------------------------------------------------------------------


def test_the_first_read_counts_and_stores_the_snapshot(cycle, snapshots, queued):  # opened with snapshots off
    assert not ProgressSnapshot.objects.filter(cycle=cycle).exists()
    progress = progress_of(cycle)
    snapshot = ProgressSnapshot.objects.get(cycle=cycle)
    assert snapshot.data == cycle_progress(cycle)
    assert snapshot.seconds >= 0
    assert progress["documents"] == snapshot.data["documents"] and progress["documents"]["plan"]["total"] == 6
    assert progress["as_of"] == snapshot.computed_at.isoformat() and progress["stale"] is False
    assert queued == []


def test_a_fresh_snapshot_is_served_without_counting_again(snapshots, org, cycle, queued, monkeypatch, django_assert_max_num_queries):
    stored = refresh_progress(cycle)
    submit(cycle, org.kepala)  # a change the snapshot does not see yet
    no_counting(monkeypatch)
    progress_service.forget_decoded()
    with django_assert_max_num_queries(2):  # the snapshot's version, then its data
        first = progress_of(cycle)
    with django_assert_max_num_queries(1):  # decoded already: the version alone
        second = progress_of(cycle)
    for progress in (first, second):
        assert progress["documents"]["plan"]["statuses"]["submitted"] == 0  # as counted, not as now
        assert progress["as_of"] == stored.computed_at.isoformat() and progress["stale"] is False
    assert queued == []


def test_a_stale_snapshot_is_served_and_a_burst_of_reads_queues_one_refresh(snapshots, cycle, queued, monkeypatch):
    stored = refresh_progress(cycle)
    age(cycle, 120)
    no_counting(monkeypatch)
    burst = [progress_of(cycle) for _ in range(5)]
    assert all(p["stale"] is True and p["documents"] == stored.data["documents"] for p in burst)
    assert queued == [cycle.pk]
    progress_service.release_refresh(cycle.pk)  # what the task does when it ends: the next stale read queues again
    progress_of(cycle)
    assert queued == [cycle.pk, cycle.pk]


def test_a_refresh_that_cannot_reach_the_broker_serves_the_snapshot_and_is_queued_by_the_next_read(snapshots, cycle, monkeypatch):
    refresh_progress(cycle)
    age(cycle, 120)
    attempts = []

    def broker_down(cycle_id):
        attempts.append(cycle_id)
        raise ConnectionRefusedError("broker down")
    monkeypatch.setattr(tasks.refresh_progress_task, "delay", broker_down)
    assert progress_of(cycle)["stale"] is True
    assert progress_of(cycle)["stale"] is True
    assert attempts == [cycle.pk, cycle.pk]  # the lock is let go when the hand-over fails


def test_with_max_age_zero_every_read_counts_live_and_stores_nothing(settings, org, cycle, queued):
    settings.KINERJA_PROGRESS_MAX_AGE = 0
    before = progress_of(cycle)
    submit(cycle, org.kepala)
    after = progress_of(cycle)
    assert before["documents"]["plan"]["statuses"]["submitted"] == 0
    assert after["documents"]["plan"]["statuses"]["submitted"] == 1 and after["stale"] is False
    assert datetime.datetime.fromisoformat(after["as_of"]) <= timezone.now()
    assert not ProgressSnapshot.objects.exists() and queued == []


def test_the_cycles_status_is_current_even_when_the_counts_lag(snapshots, cycle, queued):
    refresh_progress(cycle)
    Cycle.objects.filter(pk=cycle.pk).update(opening_done=5)
    cycle.refresh_from_db()
    assert progress_of(cycle)["opening"] == {"total": cycle.opening_total, "done": 5}


# Refreshing --------------------------------------------------------------------------------------


def test_the_refresh_task_stores_the_counts_after_a_transition(snapshots, org, cycle):
    refresh_progress(cycle)
    cache.add(refresh_lock_key(cycle.pk), 1)  # as a stale read leaves it
    submit(cycle, org.kepala)
    result = tasks.refresh_progress_task(cycle.pk)
    snapshot = ProgressSnapshot.objects.get(cycle=cycle)
    assert result == {"cycle": cycle.pk, "seconds": snapshot.seconds}
    assert snapshot.data["documents"]["plan"]["statuses"]["submitted"] == 1
    assert progress_of(cycle)["documents"]["plan"]["statuses"]["submitted"] == 1
    assert cache.add(refresh_lock_key(cycle.pk), 1)  # released
    assert tasks.refresh_progress_task(10**9) is None  # a cycle deleted since


def test_the_beat_task_refreshes_every_cycle_opening_or_open(snapshots, org, cycle):
    draft = cycle_create(actor=org.hr, name="Draft", year=2027, units=[org.agency], plan_deadline=datetime.date(2027, 1, 31))
    assert tasks.refresh_open_cycles_progress_task() == 1
    assert list(ProgressSnapshot.objects.values_list("cycle_id", flat=True)) == [cycle.pk]
    assert not ProgressSnapshot.objects.filter(cycle=draft).exists()
    snapshots.KINERJA_PROGRESS_MAX_AGE = 0
    assert tasks.refresh_open_cycles_progress_task() == 0


def test_opening_a_cycle_queues_its_first_refresh(snapshots, org, django_capture_on_commit_callbacks):
    created = cycle_create(actor=org.hr, name="Kinerja 2026", year=2026, units=[org.agency], plan_deadline=datetime.date(2026, 1, 31))
    with django_capture_on_commit_callbacks(execute=True):  # Celery is eager in the tests: the refresh runs
        cycle_open(cycle=created, actor=org.hr)
    snapshot = ProgressSnapshot.objects.get(cycle=created)
    assert snapshot.data["status"] == "open" and snapshot.data["documents"]["plan"]["total"] == 6


# The API and HR's page ---------------------------------------------------------------------------


def test_the_api_reads_the_snapshot_with_its_time(snapshots, org, cycle, queued):
    stored = refresh_progress(cycle)
    client = browser(org.hr)
    body = client.get(f"/api/v1/cycles/{cycle.pk}/progress/").json()
    assert body["as_of"] == stored.computed_at.isoformat() and body["stale"] is False
    assert body["documents"]["plan"]["total"] == 6
    age(cycle, 120)
    assert client.get(f"/api/v1/cycles/{cycle.pk}/progress/").json()["stale"] is True
    assert queued == [cycle.pk]
    assert browser(org.employee.user).get(f"/api/v1/cycles/{cycle.pk}/progress/").status_code in (403, 404)


def test_the_page_shows_when_the_progress_was_counted_and_hr_may_refresh_it(snapshots, org, cycle, queued):
    stored = refresh_progress(cycle)
    page = browser(org.hr).get(f"/hr/cycles/{cycle.pk}/").text
    shown = page.split('id="progress-as-of"', 1)[1].split("</form>", 1)[0]
    assert f"as of {timezone.localtime(stored.computed_at):%H:%M}" in shown and "Refresh now" in shown
    assert "csrfmiddlewaretoken" in shown and f"/hr/cycles/{cycle.pk}/progress/refresh/" in shown


def test_the_page_counting_live_shows_the_time_without_the_button(settings, org, cycle):
    settings.KINERJA_PROGRESS_MAX_AGE = 0
    page = browser(org.hr).get(f"/hr/cycles/{cycle.pk}/").text
    shown = page.split('id="progress-as-of"', 1)[1].split("</form>", 1)[0]
    assert "as of " in shown and "Refresh now" not in shown


def test_refresh_now_is_for_hr_of_the_cycle_and_queues_one_refresh(snapshots, org, cycle, queued):
    url = f"/hr/cycles/{cycle.pk}/progress/refresh/"
    for user in (org.employee.user, org.forum_member, org.kepala.user):
        assert browser(user).post(url).status_code == 403
    assert Client().post(url).status_code == 302 and queued == []  # to the login page
    hr = browser(org.hr)
    assert hr.get(url).status_code == 405
    response = hr.post(url, follow=True)
    assert response.redirect_chain == [(f"/hr/cycles/{cycle.pk}/", 302)]
    assert "The progress is being counted again" in response.text
    assert queued == [cycle.pk]
    again = hr.post(url, follow=True)
    assert "already being counted again" in again.text and queued == [cycle.pk]


def test_refresh_now_is_protected_against_cross_site_requests(snapshots, org, cycle, queued):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.hr)
    assert client.post(f"/hr/cycles/{cycle.pk}/progress/refresh/").status_code == 403
    assert queued == []


def test_an_older_count_finishing_last_does_not_replace_a_newer_snapshot(settings, cycle, monkeypatch):
    settings.KINERJA_PROGRESS_MAX_AGE = 60
    progress_service.forget_decoded()
    newer = timezone.now()
    older = newer - datetime.timedelta(seconds=30)
    # The newer count (started at `newer`) is stored first ...
    monkeypatch.setattr(progress_service.timezone, "now", lambda: newer)
    refresh_progress(cycle)
    # ... then a count that started 30 s earlier (a large cycle, or a slow worker) finishes.
    monkeypatch.setattr(progress_service.timezone, "now", lambda: older)
    refresh_progress(cycle)
    progress_service.forget_decoded()
    assert ProgressSnapshot.objects.get(cycle=cycle).computed_at == newer
