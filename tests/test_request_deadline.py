"""Overload sheds instead of collapsing: a request that waited in the queue longer than
KINERJA_REQUEST_DEADLINE_SECONDS is refused with a 503 and Retry-After before any work, so an
abandoned request is never committed; gunicorn's threaded worker stamps when it queued each one."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.test import Client

from config import queue_stamp
from config.middleware import epoch_seconds
from processes.models import Plan

from .api.helpers import plan_url
from .conftest import client_for, fill_plan, plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def deadline(settings):
    settings.KINERJA_REQUEST_DEADLINE_SECONDS = 2


def queued(seconds_ago: float, unit: float = 1) -> str:
    return f"t={(time.time() - seconds_ago) * unit:.0f}" if unit != 1 else f"t={time.time() - seconds_ago:.3f}"


@pytest.fixture
def submittable_plan(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    return plan


def test_an_action_that_waited_past_the_deadline_is_refused_with_503_and_not_worked(org, submittable_plan):
    client = client_for(org.employee.user)
    response = client.post(plan_url(submittable_plan, "submit"), {}, format="json", HTTP_X_REQUEST_START=queued(5))
    assert response.status_code == 503
    assert set(response.json()) == {"detail"} and response["Retry-After"] == "1"
    submittable_plan.refresh_from_db()
    assert submittable_plan.status == Plan.Status.DRAFT


def test_an_action_within_the_deadline_is_worked(org, submittable_plan):
    client = client_for(org.employee.user)
    response = client.post(plan_url(submittable_plan, "submit"), {}, format="json", HTTP_X_REQUEST_START=queued(0.5))
    assert response.status_code == 200 and response.json()["status"] == "submitted"


def test_a_page_that_waited_past_the_deadline_gets_the_small_503_page():
    response = Client().get("/login/", HTTP_X_REQUEST_START=queued(5))
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert "Server sedang sibuk" in response.content.decode()


@pytest.mark.parametrize("unit", [1, 1e3, 1e6])
def test_the_proxy_header_is_read_in_seconds_milliseconds_or_microseconds(unit):
    assert Client().get("/login/", HTTP_X_REQUEST_START=queued(5, unit)).status_code == 503
    assert Client().get("/login/", HTTP_X_REQUEST_START=queued(0, unit)).status_code == 200


def test_an_unreadable_stamp_is_ignored():
    assert epoch_seconds("t=soon") is None and epoch_seconds("t=nan") is None
    assert Client().get("/login/", HTTP_X_REQUEST_START="t=soon").status_code == 200


def test_a_deadline_of_zero_turns_the_check_off(settings):
    settings.KINERJA_REQUEST_DEADLINE_SECONDS = 0
    assert Client().get("/login/", HTTP_X_REQUEST_START=queued(3600)).status_code == 200


def test_a_client_cannot_make_its_request_look_younger_than_gunicorns_stamp():
    old_stamp = f"{time.time() - 5:.6f}"
    response = Client().get("/login/", HTTP_X_REQUEST_START=queued(0), HTTP_X_KINERJA_QUEUED_SINCE=old_stamp)
    assert response.status_code == 503


class FakeThreadedWorker:
    """The two methods of gunicorn's gthread worker that the stamp wraps."""

    def __init__(self):
        self.queue, self.handled = [], []

    def enqueue_req(self, conn):
        self.queue.append(conn)

    def handle_request(self, req, conn):
        self.handled.append(list(req.headers))


def test_gunicorns_threaded_worker_stamps_when_it_queued_the_request_and_drops_a_clients_stamp():
    worker = FakeThreadedWorker()
    assert queue_stamp.install(worker)
    conn = SimpleNamespace()
    before = time.time()
    worker.enqueue_req(conn)
    worker.handle_request(SimpleNamespace(headers=[("HOST", "x"), ("X-KINERJA-QUEUED-SINCE", "1")]), conn)
    (headers,) = worker.handled
    stamps = [float(value) for name, value in headers if name == queue_stamp.HEADER]
    assert len(stamps) == 1 and before <= stamps[0] <= time.time()


def test_a_sync_worker_is_left_unstamped():
    assert queue_stamp.install(SimpleNamespace()) is False
