"""Real concurrency on PostgreSQL: two approvals of one plan at the same moment.

The first approval (thread A, through the engine) is held just before its COMMIT, with every row
lock of its transaction taken. Only then does the second (thread B, through the API) start, and A
is let go only once PostgreSQL shows B waiting for a lock (``pg_stat_activity.wait_event_type =
'Lock'``) in the engine's lock query (``SELECT ... FOR UPDATE``), that is before B has read the
status or written anything. So the test proves the row lock serialises the two, on every run:
without ``select_for_update`` B reads the old status unblocked and waits (if at all) only in its
writes, and the test fails.

The hook is the commit of A's own database connection, not a function of the engine: the test
does not depend on how the engine is built inside its transaction.
"""

import re
import threading
import time

import pytest
from django.db import connection

from processes.models import Plan, PlanVersion
from workflow.engine import perform
from workflow.models import AuditEvent

from ..conftest import client_for, fill_plan, plan_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20  # seconds: for each wait below; a healthy run takes well under one
# A statement that reads (leading SET LOCALs aside). pg_stat_activity cuts the text at
# track_activity_query_size (1 kB), so the FOR UPDATE clause at the end of the engine's long lock
# query is not always shown; but a plain SELECT never waits for another transaction's row locks,
# so a SELECT seen waiting for a lock is a locking one. Without the lock, B waits (if at all) in
# its writes (UPDATE / INSERT), never in a SELECT.
READING = re.compile(r"^\s*(SET\b[^;]*;\s*)*SELECT\b", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (SQLite cannot lock rows)")


def _wait_until_blocked(pid: int, b_thread: threading.Thread) -> tuple[str | None, str]:
    """Poll (from this thread's own connection, one snapshot per autocommit query) until backend
    ``pid`` waits for a lock; the wait event type and the statement B is running at that moment."""
    deadline = time.monotonic() + TIMEOUT
    last = (None, "")
    while time.monotonic() < deadline and b_thread.is_alive():
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type, query FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
        if row is not None:
            last = (row[0], row[1] or "")
            if row[0] == "Lock":
                return last
        time.sleep(0.01)
    return last


def test_two_concurrent_approvals_of_one_plan_one_succeeds_the_other_gets_409(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    b_client = client_for(org.kabid.user)

    a_holds_locks = threading.Event()  # A's transition is done, its COMMIT not yet sent
    release_a = threading.Event()      # set once B is seen waiting for A's lock
    b_pid: list[int] = []
    b_started = threading.Event()
    outcome: dict = {}

    def first_approval():  # thread A: the engine, held just before its COMMIT
        try:
            commit = connection._commit  # this thread's own connection (connections are per thread)

            def held_commit():
                a_holds_locks.set()
                release_a.wait(TIMEOUT)
                return commit()

            connection._commit = held_commit
            try:
                outcome["a"] = perform(plan, "approve", actor=org.kabid.user)
            finally:
                del connection._commit
        except Exception as error:  # noqa: BLE001 - reported by the main thread's assertions
            outcome["a_error"] = error
        finally:
            a_holds_locks.set()
            connection.close()

    def second_approval():  # thread B: the API, while A holds its locks
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                b_pid.append(cursor.fetchone()[0])
            b_started.set()
            outcome["b"] = b_client.post(f"/api/v1/plans/{plan.pk}/approve/", {}, format="json")
        except Exception as error:  # noqa: BLE001
            outcome["b_error"] = error
        finally:
            b_started.set()
            connection.close()

    a_thread = threading.Thread(target=first_approval)
    b_thread = threading.Thread(target=second_approval)
    a_thread.start()
    try:
        assert a_holds_locks.wait(TIMEOUT) and "a_error" not in outcome, outcome.get("a_error")
        assert a_thread.is_alive(), "the first approval committed without ever reaching its COMMIT hook"
        b_thread.start()
        assert b_started.wait(TIMEOUT) and b_pid, outcome.get("b_error")
        wait_event_type, statement = _wait_until_blocked(b_pid[0], b_thread)
        assert wait_event_type == "Lock", (
            "the second approval was never seen waiting for the first one's lock "
            f"(last wait event {wait_event_type!r}; finished: {not b_thread.is_alive()}; {outcome.get('b')!r})"
        )
        assert READING.match(statement), (
            f"the second approval waits, but in a write, not in the engine's row lock (SELECT ... FOR UPDATE): {statement[:300]!r}"
        )
    finally:
        release_a.set()
        a_thread.join(TIMEOUT)
        b_thread.join(TIMEOUT)
    assert not a_thread.is_alive() and not b_thread.is_alive()

    assert "a_error" not in outcome and "b_error" not in outcome, outcome
    assert outcome["a"].document.status == Plan.Status.APPROVED
    response = outcome["b"]
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "invalid_transition" and body["status"] == Plan.Status.APPROVED, body

    assert AuditEvent.objects.filter(document_type="plan", document_id=plan.pk, action="approve").count() == 1
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED and plan.revision == 1
    assert PlanVersion.objects.filter(plan=plan).count() == 1
