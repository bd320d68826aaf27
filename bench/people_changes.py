#!/usr/bin/env python
"""Bench 8: people who join, move and leave an open cycle, all at once through the organisation
import. Prints plain `name value` lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kinerja_bench .venv/bin/python bench/people_changes.py \
        --employees 10000 --joins 400 --moves 400 --leaves 200

Builds a synthetic organisation (`org.synthetic`) and opens this year's cycle over its agencies
(every employee gets a plan; not timed). Then writes the file HR would upload: the whole
organisation as recorded, one row per employee, in which `--joins` new people appear in new
positions below section heads, `--moves` employees are in a new position below another head, and
`--leaves` employees carry a leave date and reason (retirement), all on the same day (today, or
2 January on New Year's Day: a change needs a day after the plan's first). What is timed is
`import_org` on that file, as the command line runs it (the system as the actor; `--as-hr`: as
the organisation's HR, who is checked on every change): reading, validating the whole file,
writing the organisation, then every join, move and leave through processes' membership
services, in one transaction. Then the same file again, which must change nothing (the cost of
reading, checking and comparing the whole organisation alone).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import random
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/ itself, whose script names (http.py) would shadow the standard library
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def open_cycle(employees: int, prefix: str):
    """A synthetic organisation of `employees` people in its agencies, its HR, and this year's
    cycle over the agencies, open, with a plan for everyone in them."""
    from django.contrib.auth import get_user_model

    from org.models import Employee, RoleAssignment, Unit
    from org.synthetic import build, plan_organisation
    from processes.services.cycles import cycle_create, cycle_open, cycle_populate

    build(plan_organisation(employees + 1, prefix=prefix), prefix=prefix, first_k=Employee.objects.count())
    hr = get_user_model().objects.create(username=f"{prefix.lower()}-hr")
    RoleAssignment.objects.create(user=hr, role="hr", unit=Unit.objects.get(code=prefix))
    today = datetime.date.today()
    cycle = cycle_create(actor=hr, name=f"Bench {prefix}", year=today.year, units=list(Unit.objects.filter(parent__code=prefix)),
                         plan_deadline=today.replace(month=12, day=31))
    cycle_open(cycle=cycle, actor=hr)
    cycle_populate(cycle.pk)
    analyze()
    return hr, cycle


def analyze() -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum would on a live
    database (without it PostgreSQL plans for the empty tables it last saw)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def the_file(prefix: str, cycle, *, joins: int, moves: int, leaves: int, on: datetime.date, seed: int) -> list[dict]:
    """HR's export of the organisation with the changes in it (see the module's docstring)."""
    from org.models import Employee, Position
    from org.services import units_within
    from org.synthetic import nip_for

    rng = random.Random(seed)
    scope = set(units_within(cycle.units.all()).values_list("pk", flat=True))
    fields = ("nip", "name", "employment_type", "grade", "position__code", "position__title", "position__superior__code",
              "position__is_unit_leader", "position__unit_id", "position__unit__code", "position__unit__parent__code")
    people = list(Employee.objects.filter(position__code__startswith=f"{prefix}-").values_list(*fields).order_by("pk"))
    heads = list(Position.objects.filter(code__startswith=f"{prefix}-", is_unit_leader=True, unit__kind="section")
                 .values_list("code", "unit__code", "unit__parent__code"))
    # The people who change are staff in the cycle's scope (not the heads: a head who leaves or
    # moves re-seats the people they rated, which is measured too, through the staff who rate).
    staff = [i for i, person in enumerate(people) if person[8] in scope and not person[7]]
    changing = rng.sample(staff, moves + leaves)
    movers, leavers = set(changing[:moves]), set(changing[moves:])
    rows = []

    def seat(code: str, title: str, head: tuple) -> dict:
        return {"unit_code": head[1], "parent_unit_code": head[2], "position_code": code, "position_title": title,
                "superior_position_code": head[0]}

    for i, (nip, name, employment, grade, code, title, superior, leader, _unit, unit, parent) in enumerate(people):
        row = {"unit_code": unit, "parent_unit_code": parent or "", "position_code": code, "position_title": title,
               "superior_position_code": superior or "", "is_unit_leader": "1" if leader else "", "nip": nip, "name": name,
               "employment_type": employment, "grade": grade}
        if i in movers:
            row.update(seat(f"{prefix}-M{i}", f"Analis {i}", rng.choice(heads)), is_unit_leader="", position_start=on.isoformat())
        elif i in leavers:
            row.update(leave_date=on.isoformat(), leave_reason="retirement")
        rows.append(row)
    first_k = Employee.objects.count() + 1_000_000  # beyond the synthetic NIPs in use
    for j in range(joins):
        rows.append({**seat(f"{prefix}-J{j}", f"Pelaksana baru {j}", rng.choice(heads)), "nip": nip_for(first_k + j),
                     "name": f"Pegawai baru {j}", "employment_type": "pns", "grade": "III/a", "position_start": on.isoformat()})
    return rows


def encode(rows: list[dict], file_format: str) -> bytes:
    from org.importer import COLUMNS

    if file_format == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append([row.get(column, "") for column in COLUMNS])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _counted(queries: list, execute, sql, *rest):
    queries.append(sql)
    return execute(sql, *rest)


def timed_import(content: bytes, *, filename: str, actor) -> tuple[object, float, float, int]:
    """The import's report, its wall-clock seconds, this process's CPU seconds, its queries."""
    from django.db import connection

    from processes.services.org_import import import_org

    queries: list = []
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(partial(_counted, queries)):
        report = import_org(content, filename=filename, actor=actor)
    return report, time.perf_counter() - started, time.process_time() - cpu, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000, help="employees of the organisation")
    parser.add_argument("--joins", type=int, default=400)
    parser.add_argument("--moves", type=int, default=400)
    parser.add_argument("--leaves", type=int, default=200)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", dest="file_format")
    parser.add_argument("--as-hr", action="store_true", help="import as the organisation's HR (the web upload) rather than the system")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    setup()

    from processes.models import Plan

    prefix = f"PC{int(time.time())}"
    built = time.perf_counter()
    hr, cycle = open_cycle(args.employees, prefix)
    print(f"people_changes_build_seconds {time.perf_counter() - built:.1f}")
    today = datetime.date.today()
    on = max(today, datetime.date(today.year, 1, 2))
    rows = the_file(prefix, cycle, joins=args.joins, moves=args.moves, leaves=args.leaves, on=on, seed=args.seed)
    content = encode(rows, args.file_format)
    filename = f"organisasi.{args.file_format}"
    actor = hr if args.as_hr else None
    print(f"people_changes_employees {args.employees}")
    print(f"people_changes_file_rows {len(rows)}")
    print(f"people_changes_file_format {args.file_format}")
    print(f"people_changes_actor {'hr' if args.as_hr else 'system'}")

    report, seconds, cpu, queries = timed_import(content, filename=filename, actor=actor)
    changes = report.joined + report.moved + report.left
    plans = Plan.objects.filter(cycle=cycle)
    print(f"people_changes_joined {report.joined}")
    print(f"people_changes_moved {report.moved}")
    print(f"people_changes_left {report.left}")
    print(f"people_changes_plans_joined {plans.filter(origin=Plan.Origin.JOIN).count()}")
    print(f"people_changes_plans_moved {plans.filter(origin=Plan.Origin.MOVE).count()}")
    print(f"people_changes_plans_left {plans.filter(ended=Plan.Ended.LEAVE).count()}")
    print(f"people_changes_queries {queries}")
    print(f"people_changes_queries_per_change {queries / max(changes, 1):.1f}")
    print(f"people_changes_client_cpu_seconds {cpu:.1f}")
    print(f"people_changes_seconds {seconds:.1f}")
    print(f"people_changes_ms_per_change {1000 * seconds / max(changes, 1):.1f}")

    again, seconds, _cpu, queries = timed_import(content, filename=filename, actor=actor)
    print(f"people_changes_reimport_changed {again.changed()}")
    print(f"people_changes_reimport_queries {queries}")
    print(f"people_changes_reimport_seconds {seconds:.1f}")


if __name__ == "__main__":
    main()
