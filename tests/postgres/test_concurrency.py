"""Real concurrency on PostgreSQL: two approvals of one plan at the same moment."""

import threading
import time

import pytest
from django.db import connection

from processes.models import Plan, PlanVersion
from workflow.engine import perform
from workflow.models import AuditEvent

from ..conftest import client_for, fill_plan, plan_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (SQLite cannot lock rows)")


def test_two_concurrent_approvals_of_one_plan_one_succeeds_the_other_gets_409(org, cycle, approved_chain, monkeypatch):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)

    # Hold the row lock a moment inside the first approval, so that the second one certainly
    # arrives while the first is still in its transaction.
    original_create = PlanVersion.objects.create

    def slow_create(**kwargs):
        time.sleep(0.5)
        return original_create(**kwargs)

    monkeypatch.setattr(PlanVersion.objects, "create", slow_create)

    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve():
        try:
            client = client_for(org.kabid.user)
            barrier.wait()
            statuses.append(client.post(f"/api/v1/plans/{plan.pk}/approve/", {}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    assert AuditEvent.objects.filter(document_type="plan", document_id=plan.pk, action="approve").count() == 1
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED and plan.revision == 1
    assert PlanVersion.objects.filter(plan=plan).count() == 1
