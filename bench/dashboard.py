#!/usr/bin/env python
"""Bench 3: HR's progress and dashboard reads over a database of about 1,700,000 documents
(for 100,000 employees): p50 and p95 latency of the progress as HR reads it (`progress_of`, from
the cycle's stored snapshot, kept fresh here), of the API's `GET /api/v1/cycles/{id}/progress/`
and of HR's cycle page `GET /hr/cycles/{id}/`, each measured in-process through Django's test
client; then the background cost, `progress_refresh_ms` (the median of a few refreshes of the
snapshot), and for reference the live count `cycle_progress`. Prints plain `name value` lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench_a .venv/bin/python bench/dashboard.py --employees 100000

The data is written in bulk with INSERT ... SELECT (not through the engine): an organisation,
last year's cycle in its annual evaluation (12 monthly reports per employee, assessments, unit
reviews, objections) and this year's cycle (plans, 3 months of reports), with open and closed
tasks and audit events. It stays in the database: a later run with the same --employees (and
--prefix) finds it and measures at once.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project's root instead of bench/ itself, whose modules must not shadow the standard
# library's (bench/http.py would hide `http`).
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

# Fixed-width stand-in for the audit chain's hashes: the bench rows are not a verifiable chain.
FAKE_HASH = "0" * 64
CURRENT_MONTHS = 3
ACTIONS = {("plan", "rater"): '["approve", "return"]', ("report", "rater"): '["accept", "return"]',
           ("assessment", "raters_superior"): '["decide"]'}  # this year's cycle as seen in April: reports for January to March


def setup() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


class Filler:
    """INSERT ... SELECT statements that work on PostgreSQL and on SQLite. Statuses are spread by
    a multiplicative hash of the row's id (deterministic, no Python loop over rows)."""

    def __init__(self, prefix: str, year: int):
        from django.db import connection
        from django.utils import timezone

        self.connection, self.prefix, self.year = connection, prefix, year
        self.postgres = connection.vendor == "postgresql"
        self.now = timezone.now()

    def ts(self, *args) -> object:
        """A timestamp parameter as the backend stores it (naive UTC on SQLite)."""
        value = datetime.datetime(*args, tzinfo=datetime.timezone.utc)
        return self.connection.ops.adapt_datetimefield_value(value)

    def json(self, literal: str) -> str:
        return f"CAST('{literal}' AS jsonb)" if self.postgres else f"'{literal}'"

    def run(self, sql: str, params=()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def members(self, cycle_id: int) -> int:
        """Everyone in the agencies, with their rater and rater's superior (the holders of the
        superior positions: one holder each in the synthetic organisation)."""
        return self.run(
            """INSERT INTO processes_cyclemember (cycle_id, employee_id, unit_id, position_id, rater_id, rater_position_id,
                                                  raters_superior_id, raters_superior_position_id, grade)
               SELECT %s, e.id, p.unit_id, p.id, r.id, sp.id, rs.id, sp.superior_id, e.grade
               FROM org_employee e JOIN org_position p ON p.id = e.position_id JOIN org_unit u ON u.id = p.unit_id
               LEFT JOIN org_position sp ON sp.id = p.superior_id
               LEFT JOIN org_employee r ON r.position_id = sp.id
               LEFT JOIN org_employee rs ON rs.position_id = sp.superior_id
               WHERE u.path LIKE %s AND e.is_active ORDER BY e.id""",
            [cycle_id, f"/{self.prefix}/{self.prefix}-%"],
        )

    def plans(self, cycle_id: int, all_approved: bool) -> int:
        status = "'approved'" if all_approved else (
            "CASE WHEN b < 70 THEN 'approved' WHEN b < 85 THEN 'submitted' WHEN b < 95 THEN 'draft' ELSE 'returned' END")
        stamp = self.ts(self.year, 1, 20)
        return self.run(
            f"""INSERT INTO processes_plan (version, created_at, updated_at, member_id, cycle_id, employee_id, unit_id, status,
                                            revision, submitted_at, approved_at, review_comment, start, "end", origin, ended,
                                            leave_reason, expectations)
                SELECT 3, %s, %s, id, cycle_id, employee_id, unit_id, s, CASE WHEN s = 'approved' THEN 1 ELSE 0 END,
                       CASE WHEN s = 'draft' THEN NULL ELSE %s END, CASE WHEN s = 'approved' THEN %s ELSE NULL END, '',
                       %s, %s, 'opening', '', '', '{{}}'
                FROM (SELECT m.*, {status} AS s FROM (SELECT m.*, (m.id * 7919) %% 100 AS b FROM processes_cyclemember m
                                                      WHERE m.cycle_id = %s) m) m""",
            [stamp, stamp, stamp, stamp, datetime.date(self.year, 1, 1), datetime.date(self.year, 12, 31), cycle_id],
        )

    def reports(self, cycle_id: int, year: int, months: int) -> int:
        """Monthly reports of the approved plans: mostly accepted, some submitted (a few
        late), returned or never submitted, the last month the least advanced."""
        rows, params = [], []
        for month in range(1, months + 1):
            due = datetime.date(year + (month == 12), month % 12 + 1, 5)
            rows.append("(%s, %s, %s, %s)")
            params += [month, self.ts(due.year, due.month, due.day, 16), self.ts(due.year, due.month, 2, 9),
                       self.ts(due.year, due.month, 9, 9)]
        params.append(cycle_id)
        self.run(
            f"""WITH mo(month, due_at, on_time, late_at) AS (VALUES {", ".join(rows)})
                INSERT INTO processes_monthlyreport (version, created_at, updated_at, plan_id, member_id, cycle_id, employee_id,
                                                     unit_id, month, status, due_at, submitted_at, late, feedback)
                SELECT CASE WHEN s = 'open' THEN 1 ELSE 3 END, due_at, due_at, plan_id, member_id, cycle_id, employee_id, unit_id,
                       month, s, due_at, CASE WHEN s = 'open' THEN NULL WHEN late THEN late_at ELSE on_time END, late, ''
                FROM (SELECT x.*, CASE WHEN b < 930 THEN 'accepted' WHEN b < 960 THEN 'submitted'
                                       WHEN b < 975 THEN 'returned' ELSE 'open' END AS s,
                             (b < 975 AND b %% 16 = 0) AS late
                      FROM (SELECT p.id AS plan_id, p.member_id, p.cycle_id, p.employee_id, p.unit_id, mo.month, mo.due_at,
                                   mo.on_time, mo.late_at,
                                   (p.id * 7919 + mo.month * 104729) %% 1000 + CASE WHEN mo.month = {months} THEN 40 ELSE 0 END AS b
                            FROM processes_plan p CROSS JOIN mo WHERE p.cycle_id = %s AND p.status = 'approved') x) r""",
            params,
        )
        from processes.models import MonthlyReport

        return MonthlyReport.objects.filter(cycle_id=cycle_id).count()  # SQLite has no row count for WITH ... INSERT

    def evaluation(self, cycle_id: int) -> tuple[int, int, int]:
        """Last year's annual evaluation: a review per unit, an assessment per member, objections."""
        from processes.models import Evaluation

        evaluation = Evaluation.objects.create(cycle_id=cycle_id, period="annual")
        now = self.ts(self.year + 1, 1, 15)
        reviews = self.run(
            """INSERT INTO processes_unitreview (version, created_at, updated_at, cycle_id, evaluation_id, unit_id, period, status,
                                                 unit_predicate, justification)
               SELECT 2, %s, %s, %s, %s, unit_id, 'annual',
                      CASE WHEN unit_id %% 20 = 0 THEN 'open' WHEN unit_id %% 20 < 12 THEN 'scoring'
                           WHEN unit_id %% 20 < 19 THEN 'issued' ELSE 'ratified' END,
                      CASE WHEN unit_id %% 20 = 0 THEN '' ELSE 'good' END, ''
               FROM (SELECT DISTINCT unit_id FROM processes_cyclemember WHERE cycle_id = %s) u""",
            [now, now, cycle_id, evaluation.pk, cycle_id],
        )
        status = """CASE WHEN r.status IN ('open', 'scoring') THEN (CASE WHEN b < 40 THEN 'draft' ELSE 'submitted' END)
                         WHEN r.status = 'issued' THEN (CASE WHEN b < 2 THEN 'objected' WHEN b < 50 THEN 'issued' ELSE 'final' END)
                         ELSE 'ratified' END"""
        assessments = self.run(
            f"""INSERT INTO processes_assessment (version, created_at, updated_at, cycle_id, evaluation_id, unit_review_id, member_id,
                                                  employee_id, unit_id, period, is_unit_leader, status, results_rating,
                                                  behaviour_rating, behaviour_values, note, rated_predicate, predicate, changed_by,
                                                  previous_predicate, led_review_id, issued_at, objection_deadline, final_at)
                SELECT 2, %s, %s, cycle_id, evaluation_id, review_id, member_id, employee_id, unit_id, 'annual', is_unit_leader, s,
                       CASE WHEN s = 'draft' THEN '' ELSE 'as_expected' END, CASE WHEN s = 'draft' THEN '' ELSE 'as_expected' END,
                       {self.json('{}')}, '', CASE WHEN s = 'draft' THEN '' ELSE 'good' END,
                       CASE WHEN s = 'draft' THEN '' ELSE 'good' END, '', '',
                       CASE WHEN is_unit_leader THEN review_id ELSE NULL END,
                       CASE WHEN s IN ('draft', 'submitted') THEN NULL ELSE %s END,
                       CASE WHEN s IN ('draft', 'submitted') THEN NULL ELSE %s END,
                       CASE WHEN s IN ('final', 'ratified') THEN %s ELSE NULL END
                FROM (SELECT m.cycle_id, r.evaluation_id, r.id AS review_id, m.id AS member_id, m.employee_id, m.unit_id,
                             p.is_unit_leader, {status} AS s
                      FROM (SELECT m.*, (m.id * 7919) %% 100 AS b FROM processes_cyclemember m WHERE m.cycle_id = %s) m
                      JOIN processes_unitreview r ON r.evaluation_id = %s AND r.unit_id = m.unit_id
                      JOIN org_position p ON p.id = m.position_id) a""",
            [now, now, now, self.connection.ops.adapt_datefield_value(datetime.date(self.year + 1, 1, 29)), now, cycle_id,
             evaluation.pk],
        )
        objections = self.run(
            """INSERT INTO processes_objection (version, created_at, updated_at, assessment_id, cycle_id, member_id, employee_id,
                                                decider_id, decider_position_id, status, reasons, objected_predicate,
                                                objected_results_rating, objected_behaviour_rating, rater_explanation,
                                                employee_explanation, outcome, results_rating, behaviour_rating, decision_reasons)
               SELECT 2, %s, %s, a.id, a.cycle_id, a.member_id, a.employee_id, m.raters_superior_id, m.raters_superior_position_id,
                      CASE WHEN a.status = 'final' THEN 'decided' WHEN a.id %% 2 = 0 THEN 'explaining' ELSE 'deciding' END,
                      'Bench', 'good', 'as_expected', 'as_expected', '', '', CASE WHEN a.status = 'final' THEN 'upheld' ELSE '' END,
                      '', '', ''
               FROM processes_assessment a JOIN processes_cyclemember m ON m.id = a.member_id
               WHERE a.evaluation_id = %s AND (a.status = 'objected' OR (a.status = 'final' AND a.id %% 100 = 0))""",
            [now, now, evaluation.pk],
        )
        return reviews, assessments, objections

    def tasks(self, cycle_id: int) -> int:
        """Open tasks for the documents waiting on someone, and the closed task of each step taken."""
        done = self.ts(self.year + 1, 1, 2)
        documents = [
            # document type, table, statuses waiting on the employee, on the rater, on the raters' superior
            ("plan", "processes_plan", ("draft", "returned"), ("submitted",), ()),
            ("report", "processes_monthlyreport", ("open", "returned"), ("submitted",), ()),
            ("assessment", "processes_assessment", (), ("draft",), ("objected",)),
        ]
        count = 0
        for kind, table, employee, rater, superior in documents:
            due = "d.due_at" if kind == "report" else "%s"
            params = [] if kind == "report" else [self.ts(self.year, 2, 1)]
            for role, statuses, person, position in (
                ("employee", employee, "m.employee_id", "NULL"),
                ("rater", rater, "m.rater_id", "m.rater_position_id"),
                ("raters_superior", superior, "m.raters_superior_id", "m.raters_superior_position_id"),
                ("rater", None, "m.rater_id", "m.rater_position_id"),  # the closed steps
            ):
                if statuses == ():
                    continue
                closed = statuses is None
                waiting = employee + rater + superior
                where = (f"d.status NOT IN ({', '.join(repr(s) for s in waiting)})" if closed
                         else f"d.status IN ({', '.join(repr(s) for s in statuses)})")
                actions = self.json(ACTIONS.get((kind, role), '["submit"]'))
                count += self.run(
                    f"""INSERT INTO workflow_opentask (document_type, document_id, role, actions, assignee_id, position_id, unit_id,
                                                       due_at, remind_at, escalate_at, created_at, closed_at)
                        SELECT '{kind}', d.id, '{role}', {actions}, e.user_id, {position}, d.unit_id, {due}, {due}, {due}, d.created_at,
                               {'%s' if closed else 'NULL'}
                        FROM {table} d JOIN processes_cyclemember m ON m.id = d.member_id LEFT JOIN org_employee e ON e.id = {person}
                        WHERE d.cycle_id = %s AND {where}""",
                    [*params, *params, *params, *([done] if closed else []), cycle_id],
                )
        return count

    def audit(self, cycle_id: int) -> int:
        """Each document's creation, and the step that brought it to its status when it moved."""
        count = 0
        for kind, table, initial, action in (
            ("plan", "processes_plan", "draft", "approve"),
            ("report", "processes_monthlyreport", "open", "submit"),
            ("assessment", "processes_assessment", "draft", "submit"),
            ("unit_review", "processes_unitreview", "open", "set_predicate"),
            ("objection", "processes_objection", "explaining", "explain_as_rater"),
        ):
            for seq, condition in ((1, "TRUE"), (2, f"d.status <> '{initial}'")):
                count += self.run(
                    f"""INSERT INTO workflow_auditevent (document_type, document_id, seq, action, from_state, to_state, at, comment,
                                                         data, origin, prev_hash, hash)
                        SELECT '{kind}', d.id, {seq}, '{'create' if seq == 1 else action}', '{'' if seq == 1 else initial}',
                               {f"'{initial}'" if seq == 1 else 'd.status'}, d.created_at, '', {self.json('{}')},
                               {self.json('{"channel": "system"}')}, '{'' if seq == 1 else FAKE_HASH}', '{FAKE_HASH}'
                        FROM {table} d WHERE d.cycle_id = %s AND {condition}""",
                    [cycle_id],
                )
        return count


def fill(employees: int, prefix: str) -> None:
    """The organisation, HR, two cycles and their documents, in one transaction (a run that
    stops half-way leaves nothing behind)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from org.models import Employee, RoleAssignment, Unit
    from org.synthetic import build, plan_organisation
    from processes.models import Cycle, PublicFeedback, PublicFeedbackLink
    from processes.rules import default_rules

    year = datetime.date.today().year - 1
    started = time.perf_counter()
    with transaction.atomic():
        filler = Filler(prefix, year)
        if filler.postgres:
            # Bulk load: the rows are built from joins on existing rows, so the foreign keys hold;
            # replica mode skips the per-row FK triggers (as pg_restore does). Superuser only.
            try:
                with transaction.atomic():
                    filler.run("SET LOCAL session_replication_role = replica")
            except Exception:  # noqa: BLE001 - not a superuser: the checks run, only slower
                pass
        build(plan_organisation(employees + 1, prefix=prefix), prefix=prefix, first_k=Employee.objects.count())
        root = Unit.objects.get(code=prefix)
        agencies = list(Unit.objects.filter(parent=root))
        hr = get_user_model().objects.create(username=f"{prefix.lower()}-hr")
        RoleAssignment.objects.create(user=hr, role="hr", unit=root)
        counts: dict[str, int] = {}
        for cycle_year, status in ((year, Cycle.Status.OPEN), (year + 1, Cycle.Status.OPEN)):
            cycle = Cycle.objects.create(name=f"Dashboard {prefix} {cycle_year}", year=cycle_year, status=status,
                                         plan_deadline=datetime.date(cycle_year, 1, 31), rules=default_rules(), created_by=hr)
            cycle.units.set(agencies)
            members = filler.members(cycle.pk)
            Cycle.objects.filter(pk=cycle.pk).update(opening_total=members, opening_done=members)
            counts["plan"] = counts.get("plan", 0) + filler.plans(cycle.pk, all_approved=cycle_year == year)
            counts["report"] = counts.get("report", 0) + filler.reports(cycle.pk, cycle_year, 12 if cycle_year == year else CURRENT_MONTHS)
            if cycle_year == year:
                counts["unit_review"], counts["assessment"], counts["objection"] = filler.evaluation(cycle.pk)
            counts["task"] = counts.get("task", 0) + filler.tasks(cycle.pk)
            counts["audit"] = counts.get("audit", 0) + filler.audit(cycle.pk)
        # The public's ratings of a few hundred service units, for the progress's last GROUP BY.
        links = PublicFeedbackLink.objects.bulk_create(
            [PublicFeedbackLink(unit=unit) for unit in Unit.objects.filter(path__startswith=f"/{prefix}/{prefix}-", kind="section")[:300]])
        PublicFeedback.objects.bulk_create(
            [PublicFeedback(link=link, unit_id=link.unit_id, rating=1 + (link.pk + i) % 5, month=f"{year}-{1 + i % 12:02d}")
             for link in links for i in range(20)], batch_size=5000)
    documents = sum(counts[k] for k in ("plan", "report", "unit_review", "assessment", "objection"))
    print(f"fill_documents {documents}")
    for kind, count in counts.items():
        print(f"fill_{kind}_rows {count}")
    print(f"fill_seconds {time.perf_counter() - started:.1f}")


def analyze() -> None:
    """Statistics and the visibility map, as autovacuum would leave them on a live database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def latencies(call, repetitions: int) -> tuple[float, float]:
    call()  # warm: imports, template loading, the first plan of each statement
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


REFRESHES = 5
# The read paths are measured on a fresh snapshot: no read may find it stale (and queue a
# refresh) halfway through the repetitions of a slow machine.
SNAPSHOT_MAX_AGE = 3600


def _counted(queries: list, execute, sql, *rest):
    """An execute wrapper that counts the statements into ``queries``."""
    queries.append(sql)
    return execute(sql, *rest)


def measure(cycle, hr, repetitions: int) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from processes.selectors import cycle_progress
    from processes.services.progress import forget_decoded, progress_of, refresh_progress

    settings.KINERJA_PROGRESS_MAX_AGE = SNAPSHOT_MAX_AGE
    refresh_progress(cycle)

    client = Client()
    client.force_login(hr)

    def get(url: str):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response
        return call

    measured = [
        ("progress_of", lambda: progress_of(cycle)),
        ("api_cycle_progress", get(f"/api/v1/cycles/{cycle.pk}/progress/")),
        ("hr_dashboard", get(f"/hr/cycles/{cycle.pk}/")),
        ("cycle_progress", lambda: cycle_progress(cycle)),  # live, as every read counted before the snapshot
    ]
    for name, call in measured:
        queries = []  # counted by a wrapper: a request resets connection.queries
        with connection.execute_wrapper(partial(_counted, queries)):
            call()
        p50, p95 = latencies(call, repetitions)
        print(f"{name}_queries {len(queries)}")
        print(f"{name}_p50_ms {p50:.1f}")
        print(f"{name}_p95_ms {p95:.1f}", flush=True)
    # A process's first read of a new snapshot decodes it (later reads check its version only).
    cold = []
    for _ in range(REFRESHES):
        forget_decoded()
        started = time.perf_counter()
        progress_of(cycle)
        cold.append((time.perf_counter() - started) * 1000)
    print(f"progress_of_first_read_ms {statistics.median(cold):.1f}", flush=True)
    # The background's cost: counting and storing (the upsert of the snapshot included).
    refreshes = []
    for _ in range(REFRESHES):
        started = time.perf_counter()
        refresh_progress(cycle)
        refreshes.append((time.perf_counter() - started) * 1000)
    print(f"progress_refresh_ms {statistics.median(refreshes):.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--prefix", default="", help="the data set's code prefix (default DB<employees>)")
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="fail rather than fill when the data set is missing")
    args = parser.parse_args()
    setup()

    from django.contrib.auth import get_user_model

    from processes.models import Assessment, Cycle, MonthlyReport, Objection, Plan, UnitReview

    prefix = args.prefix or f"DB{args.employees}"
    hr = get_user_model().objects.filter(username=f"{prefix.lower()}-hr").first()
    if hr is None:
        if args.reuse:
            sys.exit(f"no data set {prefix} in this database: run without --reuse to fill it")
        fill(args.employees, prefix)
        analyze()
        hr = get_user_model().objects.get(username=f"{prefix.lower()}-hr")
    else:
        print(f"reusing data set {prefix}")
    cycle = Cycle.objects.filter(created_by=hr).order_by("year").first()  # last year's, the larger
    documents = sum(model.objects.count() for model in (Plan, MonthlyReport, Assessment, UnitReview, Objection))
    print(f"dashboard_documents_in_database {documents}")
    of_cycle = sum(model.objects.filter(cycle=cycle).count() for model in (Plan, MonthlyReport, Assessment, UnitReview, Objection))
    print(f"dashboard_cycle_documents {of_cycle}")
    measure(cycle, hr, args.repetitions)


if __name__ == "__main__":
    main()
