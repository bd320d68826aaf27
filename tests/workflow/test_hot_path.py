"""The transition's hot path: the lock query compiled once, the bookkeeping writes in one batch.
They must give exactly what the plain ORM gives."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from processes.flows.plan import PlanFlow
from processes.models import Plan, PlanVersion
from workflow.audit import build_event
from workflow.batch import WriteBatch
from workflow.engine import perform
from workflow.models import AuditEvent, OpenTask
from workflow.prepared import PreparedLock

from ..conftest import fill_plan, plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_path_on(settings):
    """These tests are of the fast path itself: they hold it on even in the run with it off."""
    settings.KINERJA_FAST_PATH = True


def test_the_prepared_lock_loads_what_the_lock_queryset_loads(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    with transaction.atomic():
        prepared = PlanFlow.lock(plan.pk)[0]
        plain = PlanFlow.lock_queryset().get(pk=plan.pk)
    assert {f.attname: getattr(prepared, f.attname) for f in Plan._meta.concrete_fields} == {
        f.attname: getattr(plain, f.attname) for f in Plan._meta.concrete_fields
    }
    assert prepared.rater_plan_revision == plain.rater_plan_revision == 1  # the rater's plan is approved
    with CaptureQueriesContext(connection) as queries:  # the related objects came with the row
        assert prepared.member.employee.name == org.employee.name
        assert prepared.member.rater.user_id == org.kabid.user_id
        assert prepared.cycle.rules == cycle.rules
    assert len(queries) == 0


def test_the_prepared_lock_runs_each_time_with_the_document_asked_for(org, cycle, approved_chain):
    mine, my_raters = plan_of(cycle, org.employee), plan_of(cycle, org.kabid)
    with transaction.atomic():
        assert PlanFlow.lock(mine.pk)[0].member.employee_id == org.employee.pk
        assert PlanFlow.lock(my_raters.pk)[0].member.employee_id == org.kabid.pk


def test_the_prepared_lock_says_when_there_is_no_such_document(db):
    with transaction.atomic(), pytest.raises(Plan.DoesNotExist):
        PlanFlow.lock(987654)[0]


def test_a_lock_query_it_cannot_prepare_falls_back_to_the_queryset(org, cycle):
    plan = plan_of(cycle, org.employee)
    # the same key twice among the parameters: no single place to put another key in
    prepared = PreparedLock(lambda: Plan.objects.filter(member__plan__pk__gte=0))
    with transaction.atomic():
        assert prepared.get(plan.pk)[0].pk == plan.pk


def test_a_batch_inserts_rows_with_their_ids_and_updates_in_the_order_queued(org, cycle):
    plan = plan_of(cycle, org.employee)
    batch = WriteBatch("default")
    tasks = [OpenTask(document_type="plan", document_id=plan.pk, role="rater", actions=["approve"], assignee_id=org.kabid.user_id)
             for _ in range(2)]
    batch.insert(tasks)
    batch.update_where(OpenTask, {"role": "forum"}, {"document_type": "plan", "document_id": plan.pk}, null=("closed_at",))
    plan.status = Plan.Status.SUBMITTED
    batch.update(plan, {"status"})
    with transaction.atomic():
        batch.run()
    assert all(t.pk and not t._state.adding for t in tasks)
    assert set(OpenTask.objects.filter(pk__in=[t.pk for t in tasks]).values_list("role", flat=True)) == {"forum"}
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.SUBMITTED


@pytest.mark.postgres
@pytest.mark.parametrize("action", ["submit", "approve"])
def test_a_plan_transition_is_three_round_trips_on_postgresql_besides_its_transaction(org, cycle, approved_chain, action):
    if connection.vendor != "postgresql":
        pytest.skip("round trips are counted on PostgreSQL, where the batch is one query")
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"], results=3)
    if action == "approve":
        perform(plan, "submit", actor=org.employee.user)
    actor = org.employee.user if action == "submit" else org.kabid.user
    plan = Plan.objects.get(pk=plan.pk)
    with CaptureQueriesContext(connection) as queries:
        result = perform(plan, action, actor=actor)
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    assert len(sql) <= 3, "\n".join(sql)  # lock with the audit head, guards or the plan's content, batch
    assert AuditEvent.objects.filter(pk=result.event.pk, action=action).exists()
    event = "plan.approved" if action == "approve" else "plan.submitted"
    assert Notification.objects.filter(document_type="plan", document_id=plan.pk, event=event).count() == 1
    if action == "approve":
        assert PlanVersion.objects.filter(plan=plan, revision=1).exists()
        assert not plan.results.filter(approved=False).exists()


def test_a_prepared_values_query_gives_the_dicts_the_queryset_gives(org, cycle, approved_chain):
    from processes.flows.plan import INDICATORS_OF_PLAN, RESULTS_OF_PLAN

    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"], results=3)
    assert RESULTS_OF_PLAN.all(plan.pk) == list(RESULTS_OF_PLAN.factory().filter(plan=plan.pk))
    assert [r["indicator_count"] for r in RESULTS_OF_PLAN.all(plan.pk)] == [1, 1, 1]
    indicators = INDICATORS_OF_PLAN.all(plan.pk)
    assert [i.pk for i in indicators] == [i.pk for i in INDICATORS_OF_PLAN.factory().filter(result__plan=plan.pk)]
    assert RESULTS_OF_PLAN.all(987654) == []


def test_the_lock_leaves_the_planner_as_it_found_it_for_the_rest_of_the_transaction(org, cycle):
    if connection.vendor != "postgresql":
        pytest.skip("the join order is set on PostgreSQL only")
    plan = plan_of(cycle, org.employee)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        before = cursor.fetchone()[0]
        assert PlanFlow.lock(plan.pk)[0].pk == plan.pk
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone()[0] == before


def test_a_failed_batch_leaves_no_ids_on_rows_it_did_not_save(org, cycle):
    # (SQLite runs the statements one by one, PostgreSQL as one query: neither may leave ids behind)
    plan = plan_of(cycle, org.employee)
    task = OpenTask(document_type="plan", document_id=plan.pk, role="rater", actions=["approve"], assignee_id=org.kabid.user_id)
    batch = WriteBatch("default")
    batch.insert([task])
    # Two events with the same sequence number: the unique constraint refuses the second statement.
    batch.insert([build_event(document_type="plan", document_id=plan.pk, action="x", seq=10_000) for _ in range(2)])
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            batch.run()
    assert not OpenTask.objects.filter(pk=task.pk).exists()
    assert task.pk is None and task._state.adding
