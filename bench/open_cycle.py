#!/usr/bin/env python
"""Bench 2: opening a cycle for N employees: the time from HR's "open" until every plan exists
(members, draft plans, their audit events, open tasks and notifications), with progress lines
read from the cycle's opening_total / opening_done while it runs. Prints plain `name value` lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench_a .venv/bin/python bench/open_cycle.py --employees 100000

The populate runs in this process through the Celery task's body (`cycle_populate_task.apply`)
rather than on a worker: what is measured is the product's work, not the broker's hand-over.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project's root instead of bench/ itself, whose modules must not shadow the standard
# library's (bench/http.py would hide `http`).
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def organisation(employees: int, prefix: str):
    """A synthetic organisation with `employees` people in its agencies (plus the regional
    secretary above them, outside the cycle's scope), and an HR user over it."""
    from django.contrib.auth import get_user_model

    from org.models import Employee, RoleAssignment, Unit
    from org.synthetic import build, plan_organisation

    build(plan_organisation(employees + 1, prefix=prefix), prefix=prefix, first_k=Employee.objects.count())
    hr = get_user_model().objects.create(username=f"{prefix.lower()}-hr")
    RoleAssignment.objects.create(user=hr, role="hr", unit=Unit.objects.get(code=prefix))
    return hr, list(Unit.objects.filter(parent__code=prefix))


class ProgressPrinter(threading.Thread):
    """Reads the cycle's opening counters on its own connection, as HR's progress bar does."""

    def __init__(self, cycle_id: int, started: float, interval: float):
        super().__init__(daemon=True)
        self.cycle_id, self.started, self.interval = cycle_id, started, interval
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from processes.models import Cycle

        try:
            while not self.stop.wait(self.interval):
                total, done = Cycle.objects.filter(pk=self.cycle_id).values_list("opening_total", "opening_done").get()
                print(f"progress {done}/{total} {time.perf_counter() - self.started:.1f}s", flush=True)
        finally:
            connection.close()


def open_cycle(hr, units, prefix: str, interval: float) -> tuple[object, float]:
    """HR creates and opens the cycle; the populate task's body runs here. Returns the cycle
    and the seconds from "open" to the cycle being open."""
    from processes.models import Cycle
    from processes.services.cycles import cycle_create, cycle_open
    from processes.tasks import cycle_populate_task

    today = datetime.date.today()
    cycle = cycle_create(actor=hr, name=f"Bench {prefix}", year=today.year, units=units,
                         plan_deadline=today.replace(month=12, day=31))
    started = time.perf_counter()
    cycle_open(cycle=cycle, actor=hr)  # queues the task on the (in-memory) broker after commit
    printer = ProgressPrinter(cycle.pk, started, interval)
    printer.start()
    try:
        cycle_populate_task.apply(args=[cycle.pk]).get()
    finally:
        printer.stop.set()
        printer.join()
    elapsed = time.perf_counter() - started
    cycle = Cycle.objects.get(pk=cycle.pk)
    print(f"progress {cycle.opening_done}/{cycle.opening_total} {elapsed:.1f}s", flush=True)
    return cycle, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000, help="employees in the cycle's scope")
    parser.add_argument("--progress-interval", type=float, default=2.0, help="seconds between progress lines")
    args = parser.parse_args()
    setup()

    from processes.models import CycleMember, Plan
    from workflow.models import OpenTask

    prefix = f"OC{int(time.time())}"
    built = time.perf_counter()
    hr, units = organisation(args.employees, prefix)
    build_seconds = time.perf_counter() - built
    cycle, seconds = open_cycle(hr, units, prefix, args.progress_interval)
    plans = Plan.objects.filter(cycle=cycle).count()
    tasks = OpenTask.objects.filter(document_type="plan", document_id__in=Plan.objects.filter(cycle=cycle).values("pk")).count()
    print(f"open_cycle_build_org_seconds {build_seconds:.1f}")
    print(f"open_cycle_employees {cycle.opening_total}")
    print(f"open_cycle_members {CycleMember.objects.filter(cycle=cycle).count()}")
    print(f"open_cycle_plans {plans}")
    print(f"open_cycle_open_tasks {tasks}")
    print(f"open_cycle_status {cycle.status}")
    print(f"open_cycle_seconds {seconds:.1f}")
    print(f"open_cycle_plans_per_s {plans / seconds:.0f}")


if __name__ == "__main__":
    main()
