"""A synthetic organisation for benchmarks and simulations: agencies, divisions, sections (and
sometimes sub-sections), a hierarchy 4 to 6 levels deep, spans of 3 to 12, built in bulk.

The one writer of units and positions that does not go through the audited services of
org.writes: it fills an empty database with synthetic data for benchmarks (tens of thousands of
rows in a few bulk INSERTs), where an audit trail of the fixture would only measure itself. Real
organisation data comes in through org.importer, which records every change.

The people and positions carry the data of org.ranks, chosen from their index and depth (cheap,
repeatable): heads are structural with a golongan IV/III by depth, every third other position is
functional with a level, the rest executors; one in ten staff is a PPPK (golongan V to IX, a
contract covering the current year and the two around it), one in fifty a CPNS."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import Employee, Position, Unit
from .ranks import PositionKind

BATCH = 5000
LEADER_GRADES = {0: "IV/d", 1: "IV/c", 2: "IV/a", 3: "III/d", 4: "III/c"}  # by depth
STAFF_GRADES = ["II/c", "II/d", "III/a", "III/b", "III/c"]
PPPK_GRADES = ["V", "VII", "IX"]
LEVELS = ["terampil", "mahir", "ahli_pertama", "ahli_muda"]


@dataclass
class _Node:
    """A position to create: its unit (by index), its superior (by index), whether it leads."""

    unit: int
    superior: int | None
    leads: bool
    depth: int


@dataclass
class Plan:
    units: list[tuple[str, str, str, int | None]] = field(default_factory=list)  # code, name, kind, parent index
    nodes: list[_Node] = field(default_factory=list)


def nip_for(k: int) -> str:
    """A valid, distinct NIP for each k: birth date, appointment month, gender, sequence."""
    seq = k % 1000
    k //= 1000
    day, k = k % 28 + 1, k // 28
    month, k = k % 12 + 1, k // 12
    year = 1965 + k % 35
    appointed = 1990 + (k // 35) % 35
    return f"{year}{month:02d}{day:02d}{appointed}{(seq % 12) + 1:02d}{1 + seq % 2}{seq:03d}"


def plan_organisation(employees: int, *, prefix: str, seed: int = 1) -> Plan:
    rng = random.Random(seed)
    plan = Plan()
    plan.units.append((prefix, f"Pemerintah {prefix}", "government", None))

    def unit(code: str, name: str, kind: str, parent: int) -> int:
        plan.units.append((code, name, kind, parent))
        return len(plan.units) - 1

    def position(unit_index: int, superior: int | None, leads: bool, depth: int) -> int:
        plan.nodes.append(_Node(unit_index, superior, leads, depth))
        return len(plan.nodes) - 1

    # The regional secretary (depth 0): rates the agency heads and sets their agencies'
    # predicates; a cycle's scope is the agencies, so this position stays outside it.
    secretary = position(0, None, True, 0)
    agency_no = 0
    while len(plan.nodes) < employees:
        agency_no += 1
        agency = unit(f"{prefix}-A{agency_no}", f"Dinas {agency_no}", "agency", 0)
        head = position(agency, secretary, True, 1)
        for d in range(rng.randint(3, 8)):
            division = unit(f"{prefix}-A{agency_no}-D{d + 1}", f"Bidang {d + 1}", "division", agency)
            division_head = position(division, head, True, 2)
            for s in range(rng.randint(3, 6)):
                section = unit(f"{prefix}-A{agency_no}-D{d + 1}-S{s + 1}", f"Seksi {s + 1}", "section", division)
                section_head = position(section, division_head, True, 3)
                leaders = [(section, section_head, 3)]
                if rng.random() < 0.25:  # deeper branches: sub-sections (levels 5, and 6 for their staff)
                    leaders = [
                        (section, position(section, section_head, False, 4), 4) for _ in range(rng.randint(3, 4))
                    ]
                for where, leader, depth in leaders:
                    for _ in range(rng.randint(3, 12)):
                        position(where, leader, False, depth + 1)
                if len(plan.nodes) >= employees:
                    return _trim(plan, employees)
    return _trim(plan, employees)


def _trim(plan: Plan, employees: int) -> Plan:
    plan.nodes = plan.nodes[:employees]
    return plan


def build(plan: Plan, *, prefix: str, first_k: int = 0) -> dict[str, int]:
    """Create the planned units, positions, users and employees with bulk inserts."""
    User = get_user_model()
    password = make_password(None)  # unusable: synthetic people do not log in with a password
    with transaction.atomic():
        paths: list[str] = []
        depths: list[int] = []
        for code, _name, _kind, parent in plan.units:
            paths.append(f"{paths[parent] if parent is not None else '/'}{code}/")
            depths.append(depths[parent] + 1 if parent is not None else 0)
        created_units: list[Unit | None] = [None] * len(plan.units)
        for depth in sorted(set(depths)):  # parents are saved before their children point to them
            level = [i for i, d in enumerate(depths) if d == depth]
            rows = [Unit(code=plan.units[i][0], name=plan.units[i][1], kind=plan.units[i][2], path=paths[i],
                         parent=created_units[plan.units[i][3]] if plan.units[i][3] is not None else None) for i in level]
            for i, unit in zip(level, Unit.objects.bulk_create(rows, batch_size=BATCH)):
                created_units[i] = unit

        positions: list[Position | None] = [None] * len(plan.nodes)
        for depth in sorted({n.depth for n in plan.nodes}):
            level = [(i, n) for i, n in enumerate(plan.nodes) if n.depth == depth]
            rows = [Position(code=f"{prefix}-P{i}", title=("Kepala" if n.leads else "Pelaksana") + f" {i}",
                             unit=created_units[n.unit], superior=positions[n.superior] if n.superior is not None else None,
                             is_unit_leader=n.leads, **position_kind(i, n)) for i, n in level]
            for (i, _n), created in zip(level, Position.objects.bulk_create(rows, batch_size=BATCH)):
                positions[i] = created

        users = User.objects.bulk_create(
            [User(username=f"{prefix.lower()}{first_k + i}", password=password) for i in range(len(plan.nodes))],
            batch_size=BATCH,
        )
        year = datetime.date.today().year
        Employee.objects.bulk_create(
            [Employee(nip=nip_for(first_k + i), name=f"Pegawai {prefix} {i}", user=user, position=positions[i],
                      **employment(i, plan.nodes[i], year))
             for i, user in enumerate(users)],
            batch_size=BATCH,
        )
    return {"units": len(created_units), "positions": len(plan.nodes), "employees": len(plan.nodes),
            "depth": max(n.depth for n in plan.nodes) if plan.nodes else 0}


def position_kind(i: int, node: _Node) -> dict:
    if node.leads:
        return {"kind": PositionKind.STRUCTURAL}
    if i % 3 == 0:
        return {"kind": PositionKind.FUNCTIONAL, "functional_level": LEVELS[(i // 3) % len(LEVELS)]}
    return {"kind": PositionKind.EXECUTOR}


def employment(i: int, node: _Node, year: int) -> dict:
    since = {"position_start": datetime.date(year - 1 - i % 8, 1 + i % 12, 1)}
    if node.leads:
        return {"employment_type": "pns", "grade": LEADER_GRADES.get(node.depth, "III/c"), **since}
    if i % 10 == 7:
        return {"employment_type": "pppk", "grade": PPPK_GRADES[i % len(PPPK_GRADES)], **since,
                "contract_start": datetime.date(year - 2, 1, 1), "contract_end": datetime.date(year + 2, 12, 31)}
    if i % 50 == 13:
        return {"employment_type": "cpns", "grade": "III/a", **since}
    return {"employment_type": "pns", "grade": STAFF_GRADES[i % len(STAFF_GRADES)], **since}
