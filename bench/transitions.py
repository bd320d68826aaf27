#!/usr/bin/env python
"""Bench 1: transitions through the engine (a plan's submit + approve, with audit, tasks and the
outbox), in one process and in two, beside two references measured in the same run: a minimal
viewflow.workflow approval (start, approval View, If, End) driven without HTTP, and pgbench's
TPC-B-like rate with one client. Prints plain `name value` lines and the ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench .venv/bin/python bench/transitions.py --pairs 500
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/ itself, whose script names (http.py) would shadow the standard library
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(pairs: int, prefix: str) -> list[int]:
    """A synthetic organisation whose leaders' plans are approved; returns ids of staff plans
    filled and ready to submit (each supports the rater's approved result)."""
    import datetime

    from django.contrib.auth import get_user_model

    from org.models import Employee, RoleAssignment, Unit
    from org.synthetic import build, plan_organisation
    from processes.models import CycleMember, Indicator, Plan, PlanResult
    from processes.services.cycles import cycle_create, cycle_open, cycle_populate
    from workflow.engine import perform

    employees = int(pairs * 1.25) + 50
    build(plan_organisation(employees, prefix=prefix), prefix=prefix, first_k=Employee.objects.count())
    hr = get_user_model().objects.create(username=f"{prefix.lower()}-hr")
    RoleAssignment.objects.create(user=hr, role="hr", unit=Unit.objects.get(code=prefix))
    cycle = cycle_create(actor=hr, name=prefix, year=datetime.date.today().year, units=list(Unit.objects.filter(parent__code=prefix)),
                         plan_deadline=datetime.date.today().replace(month=12, day=31))
    cycle_open(cycle=cycle, actor=hr)
    cycle_populate(cycle.pk)
    members = list(CycleMember.objects.filter(cycle=cycle).select_related("employee__user", "rater__user", "position"))
    leaders = [m for m in members if m.position.is_unit_leader or (m.position.superior_id and not m.position.is_unit_leader
                                                                    and m.position.subordinates.exists())]
    in_scope = {m.employee_id for m in members}
    approved: dict[int, int] = {}
    depth = {}

    def level(m):
        if m.employee_id not in depth:
            depth[m.employee_id] = 0 if m.rater_id not in in_scope else level(by_employee[m.rater_id]) + 1
        return depth[m.employee_id]

    by_employee = {m.employee_id: m for m in members}
    leader_ids = {m.employee_id for m in leaders}
    ready = []
    for m in sorted(members, key=level):
        plan = Plan.objects.get(member=m)
        result = PlanResult.objects.create(plan=plan, title="Hasil kerja", kind="main", supports_id=approved.get(m.rater_id))
        Indicator.objects.create(result=result, description="Dokumen", target="12", aspect="quantity")
        if m.employee_id in leader_ids or m.rater_id not in in_scope:
            perform(plan, "submit", actor=m.employee.user)
            perform(plan, "approve", actor=m.rater.user)
            approved[m.employee_id] = result.pk
        elif m.rater_id in approved:
            ready.append(plan.pk)
    return ready[:pairs]


def analyze() -> None:
    """Fresh planner statistics, as autovacuum keeps them on a live database: the preparation
    has just multiplied the rows of the plans' tables, and with the old statistics PostgreSQL
    scans the indicators whole for each guard (0.75 ms instead of 0.03)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run_pairs(plan_ids: list[int]) -> int:
    """Submit and approve each plan through the engine, as its employee and its rater."""
    from django.db import connections

    from processes.models import Plan
    from workflow.engine import perform

    connections.close_all()  # a forked process opens its own connection
    done = 0
    for plan in Plan.objects.filter(pk__in=plan_ids).select_related("member__employee__user", "member__rater__user"):
        perform(plan, "submit", actor=plan.member.employee.user)
        perform(plan, "approve", actor=plan.member.rater.user)
        done += 2
    return done


def engine_rate(plan_ids: list[int], processes: int) -> float:
    from django.db import connections

    connections.close_all()
    chunks = [plan_ids[i::processes] for i in range(processes)]
    started = time.perf_counter()
    if processes == 1:
        transitions = run_pairs(chunks[0])
    else:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            transitions = sum(pool.map(run_pairs, chunks))
    return transitions / (time.perf_counter() - started)


def viewflow_rate(count: int) -> float:
    """approve + route (View -> If -> End) of the reference flow, per second."""
    from django.contrib.auth import get_user_model

    from bench.vfapproval.flows import ApprovalFlow

    user, _ = get_user_model().objects.get_or_create(username="bench-vf-approver")
    processes = [ApprovalFlow.start.run() for _ in range(count)]
    tasks = [p.task_set.get(flow_task=ApprovalFlow.approval) for p in processes]
    started = time.perf_counter()
    for task in tasks:
        with task.activation() as activation:
            activation.assign(user)
            activation.start(None)
            activation.process.approved = True
            activation.process.save()
            activation.execute()
    return count / (time.perf_counter() - started)


def pgbench_tps(seconds: int) -> float | None:
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        return None
    binary = next((p for p in ["pgbench", *sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))] if
                   subprocess.run(["which", str(p)], capture_output=True).returncode == 0 or Path(str(p)).exists()), None)
    if binary is None:
        return None
    connection = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    # A database of this run's own, dropped at the end: two runs on one server never drop each other's.
    database = f"kinerja_pgbench_{os.getpid()}_{secrets.token_hex(4)}"
    subprocess.run(["psql", *connection, "-d", "postgres", "-qtc", f"CREATE DATABASE {database}"], capture_output=True, check=True)
    try:
        subprocess.run([str(binary), "-i", "-q", "-s", "1", *connection, database], capture_output=True, check=True)
        result = subprocess.run([str(binary), "-c", "1", "-j", "1", "-T", str(seconds), "-n", *connection, database],
                                capture_output=True, text=True, check=True)
    finally:
        subprocess.run(["psql", *connection, "-d", "postgres", "-qtc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
                       capture_output=True)
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    return float(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=500, help="plans submitted and approved per measurement")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--max-processes", type=int, default=2, help="1 on SQLite, which takes one writer at a time")
    args = parser.parse_args()
    setup()
    prefix = f"BT{int(time.time())}"
    ready = prepare(args.pairs * 2, prefix)
    analyze()
    one, two = ready[: len(ready) // 2], ready[len(ready) // 2:]
    engine_1 = engine_rate(one, 1)
    engine_2 = engine_rate(two, 2) if args.max_processes >= 2 else None
    viewflow = viewflow_rate(max(len(one) // 2, 20))
    pgbench = pgbench_tps(args.pgbench_seconds)
    print(f"engine_transitions_per_s_1_process {engine_1:.1f}")
    print(f"engine_transitions_per_s_2_processes {engine_2:.1f}" if engine_2 else "engine_transitions_per_s_2_processes n/a")
    print(f"viewflow_approve_route_per_s {viewflow:.1f}")
    print(f"pgbench_tpcb_tps_1_client {pgbench:.1f}" if pgbench else "pgbench_tpcb_tps_1_client n/a (not PostgreSQL or no pgbench)")
    for label, rate in (("1_process", engine_1), ("2_processes", engine_2)):
        if rate:
            print(f"ratio_engine_{label}_to_viewflow {rate / viewflow:.2f}")
            if pgbench:
                print(f"ratio_engine_{label}_to_pgbench {rate / pgbench:.2f}")


if __name__ == "__main__":
    main()
