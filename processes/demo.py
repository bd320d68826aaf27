"""The demo organisation: a city's HR agency (BKPSDM) with two divisions, and an open cycle.

The mayor (Wali Kota) stands above the regional secretary and is the cycle's deciding official:
he decides the objections of those whom the regional secretary rates (the agency head).

Built through the same CSV importer HR uses, and idempotent: running it again changes nothing.
The people carry their rank/grade, kind of position (structural heads, functional analysts and
instructors with their levels, an executor), employment type (a CPNS in probation and two PPPK
with their contracts, one ending with this year) and start in the position (TMT jabatan).
"""

from __future__ import annotations

import csv
import datetime
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.importer import COLUMNS
from org.models import Employee, RoleAssignment, Unit

from .models import Cycle, CycleRole
from .services.cycles import cycle_create, cycle_open
from .services.org_import import import_org

DEMO_PASSWORD = "demo12345"  # demo only


class DemoRefused(Exception):
    """The demo seed was asked for under production settings: it would add a superuser `admin` and
    every demo login with a published password to a real installation."""


def refuse_in_production() -> None:
    """Raise DemoRefused under production settings (KINERJA_PRODUCTION, config/settings/production.py)."""
    if getattr(settings, "KINERJA_PRODUCTION", False):
        raise DemoRefused(_(
            "The demo organisation is not seeded under production settings (DJANGO_SETTINGS_MODULE=%(module)s): "
            "it would create a superuser and logins with a published password."
        ) % {"module": settings.SETTINGS_MODULE})

#  unit, name, kind, parent | position, title, superior, leader | nip, name, username
ROWS = [
    ("PEMKOT", "Pemerintah Kota Contoh", "government", "", "WALIKOTA", "Wali Kota", "", "1",
     "196805121994031002", "H. Ahmad Fauzi, S.H., M.M.", "walikota"),
    ("SETDA", "Sekretariat Daerah", "agency", "PEMKOT", "SEKDA", "Sekretaris Daerah", "WALIKOTA", "1",
     "197003151995031001", "Ir. Hendra Wijaya, M.Si.", "sekda"),
    ("SETDA", "", "", "", "ORG-ANALIS", "Analis Kepegawaian Ahli Muda", "SEKDA", "",
     "198804122012122002", "Rina Marlina, S.Psi.", "hr"),
    ("SETDA", "", "", "", "FORUM-1", "Asisten Administrasi Umum", "SEKDA", "",
     "197506201999031003", "Drs. Bambang Sutrisno", "forum.1"),
    ("SETDA", "", "", "", "FORUM-2", "Kepala Bagian Organisasi", "SEKDA", "",
     "197909092003122004", "Dewi Lestari, S.H., M.H.", "forum.2"),
    ("SETDA", "", "", "", "FORUM-3", "Inspektur Pembantu", "SEKDA", "",
     "198011112005011005", "Agus Salim, S.E., M.Ak.", "forum.3"),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "agency", "PEMKOT", "KEPALA-BKPSDM",
     "Kepala BKPSDM", "SEKDA", "1", "197208171998031006", "Dr. Siti Rahmawati, M.Si.", "kepala"),
    ("BID-MUTASI", "Bidang Mutasi dan Promosi", "division", "BKPSDM", "KABID-MUTASI", "Kepala Bidang Mutasi dan Promosi",
     "KEPALA-BKPSDM", "1", "198002142006041007", "Andi Pratama, S.Sos., M.AP.", "kabid.a"),
    ("BID-MUTASI", "", "", "", "STAF-MUTASI-1", "Analis SDM Aparatur Ahli Pertama", "KABID-MUTASI", "",
     "199103052015032008", "Putri Ayu Lestari, S.AP.", "staf.a1"),
    ("BID-MUTASI", "", "", "", "STAF-MUTASI-2", "Pranata SDM Aparatur Terampil", "KABID-MUTASI", "",
     "199207142019031009", "Budi Santoso, A.Md.", "staf.a2"),
    ("BID-MUTASI", "", "", "", "STAF-MUTASI-3", "Pengadministrasi Perkantoran", "KABID-MUTASI", "",
     "199512252022212010", "Yusuf Hidayat", "staf.a3"),
    ("BID-BANGKOM", "Bidang Pengembangan Kompetensi", "division", "BKPSDM", "KABID-BANGKOM",
     "Kepala Bidang Pengembangan Kompetensi", "KEPALA-BKPSDM", "1", "198106302008012011", "Maria Ulfa, S.Pd., M.M.", "kabid.b"),
    ("BID-BANGKOM", "", "", "", "STAF-BANGKOM-1", "Widyaiswara Ahli Pertama", "KABID-BANGKOM", "",
     "199008082016022012", "Rudi Hartono, S.Kom.", "staf.b1"),
    ("BID-BANGKOM", "", "", "", "STAF-BANGKOM-2", "Analis SDM Aparatur Ahli Pertama", "KABID-BANGKOM", "",
     "199302172018012013", "Fitri Handayani, S.Psi.", "staf.b2"),
    ("BID-BANGKOM", "", "", "", "STAF-BANGKOM-3", "Pranata Komputer Terampil", "KABID-BANGKOM", "",
     "199611302021211014", "Dimas Saputra, A.Md.Kom.", "staf.b3"),
]

DEMO_LOGINS = [
    ("admin", "superuser"),
    ("hr", "HR of the agency (BKPSDM)"),
    ("walikota", "mayor: decides the objections of those whom sekda rates (the cycle's deciding official)"),
    ("sekda", "regional secretary: rater of the agency head, ratifying official"),
    ("kepala", "head of the agency: rater of the two division heads"),
    ("kabid.a", "head of division A (Mutasi): rater of staf.a1-a3"),
    ("kabid.b", "head of division B (Pengembangan Kompetensi): rater of staf.b1-b3"),
    ("staf.a1 ... staf.b3", "staff"),
    ("forum.1, forum.2, forum.3", "the agency's calibration forum (Forum Kalibrasi Kinerja)"),
]


# username: employment type, grade (golongan), kind of position, functional level, in the position since.
# The mayor is elected, not a civil servant: no grade. The PPPK NIPs carry "21" as their month.
PEOPLE = {
    "walikota": ("pns", "", "structural", "", "2024-02-20"),
    "sekda": ("pns", "IV/d", "structural", "", "2021-03-01"),
    "hr": ("pns", "III/d", "functional", "ahli_muda", "2020-07-01"),
    "forum.1": ("pns", "IV/c", "structural", "", "2019-01-02"),
    "forum.2": ("pns", "IV/a", "structural", "", "2022-01-03"),
    "forum.3": ("pns", "IV/a", "structural", "", "2021-06-01"),
    "kepala": ("pns", "IV/c", "structural", "", "2022-09-01"),
    "kabid.a": ("pns", "IV/a", "structural", "", "2023-01-02"),
    "staf.a1": ("pns", "III/b", "functional", "ahli_pertama", "2019-04-01"),
    "staf.a2": ("pns", "II/d", "functional", "terampil", "2020-03-01"),
    "staf.a3": ("pppk", "V", "executor", "", "2022-03-01"),
    "kabid.b": ("pns", "IV/a", "structural", "", "2023-07-03"),
    "staf.b1": ("pns", "III/b", "functional", "ahli_pertama", "2021-01-04"),
    "staf.b2": ("cpns", "III/a", "functional", "ahli_pertama", ""),  # TMT in the year before the demo's: see demo_csv
    "staf.b3": ("pppk", "VII", "functional", "terampil", "2021-03-01"),
}


def demo_contracts(year: int) -> dict[str, tuple[str, str]]:
    """The PPPK's work agreements, around the demo's year: staf.b3's ends with it (it shows in HR's
    contracts ending), staf.a3's runs into the next year."""
    return {"staf.a3": (f"{year - 1}-03-01", f"{year + 1}-02-28"), "staf.b3": (f"{year - 4}-01-01", f"{year}-12-31")}


def demo_csv(year: int | None = None) -> str:
    refuse_in_production()  # the rows carry the demo's logins, which the importer would create
    year = year or timezone.localdate().year
    contracts = demo_contracts(year)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for unit, unit_name, kind, parent, position, title, superior, leader, nip, name, username in ROWS:
        employment, grade, position_kind, level, since = PEOPLE.get(username, ("", "", "", "", ""))
        if username == "staf.b2":
            since = f"{year - 1}-03-01"  # a CPNS: appointed last year, in probation
        contract_start, contract_end = contracts.get(username, ("", ""))
        writer.writerow({
            "unit_code": unit, "unit_name": unit_name, "unit_kind": kind, "parent_unit_code": parent,
            "position_code": position, "position_title": title, "superior_position_code": superior,
            "is_unit_leader": leader, "position_kind": position_kind, "functional_level": level,
            "nip": nip, "name": name, "employment_type": employment, "grade": grade, "position_start": since,
            "contract_start": contract_start, "contract_end": contract_end,
            "username": username, "email": f"{username}@kinerja.example" if username else "", "language": "id",
        })
    return out.getvalue()


def demo_plan_deadline(today: datetime.date) -> datetime.date:
    """The end of January, as the rules set it; a demo seeded later in the year gets a month
    from today instead (within the year), so that its tasks are not all overdue at once."""
    january = datetime.date(today.year, 1, 31)
    return max(january, min(today + datetime.timedelta(days=30), datetime.date(today.year, 12, 31)))


def seed_demo(*, today: datetime.date | None = None) -> Cycle:
    refuse_in_production()
    today = today or timezone.localdate()
    User = get_user_model()
    with transaction.atomic():
        import_org(demo_csv(today.year))
        User.objects.get_or_create(
            username="admin",
            # An unusable password, so that the loop below gives it the demo password.
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@kinerja.example", "password": make_password(None)},
        )
        usernames = ["admin"] + [row[10] for row in ROWS if row[10]]
        for user in User.objects.filter(username__in=usernames):
            if not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        agency = Unit.objects.get(code="BKPSDM")
        hr = User.objects.get(username="hr")
        RoleAssignment.objects.get_or_create(user=hr, role=RoleAssignment.Role.HR, unit=agency)

    cycle = Cycle.objects.filter(year=today.year, units=agency).first()
    if cycle is None:
        cycle = cycle_create(
            actor=hr, name=f"Kinerja BKPSDM {today.year}", year=today.year, units=[agency],
            plan_deadline=demo_plan_deadline(today), deciding_official=Employee.objects.get(user__username="walikota"),
            origin={"channel": "system", "source": "seed_demo"},
        )
    for username in ("forum.1", "forum.2", "forum.3"):
        user = User.objects.get(username=username)
        for code in ("BKPSDM", "BID-MUTASI", "BID-BANGKOM"):
            CycleRole.objects.get_or_create(cycle=cycle, user=user, role=CycleRole.Role.FORUM_MEMBER, unit=Unit.objects.get(code=code))
    CycleRole.objects.get_or_create(cycle=cycle, user=User.objects.get(username="sekda"), role=CycleRole.Role.RATIFYING_OFFICIAL, unit=None)
    if cycle.status == Cycle.Status.DRAFT:
        cycle = cycle_open(cycle=cycle, actor=hr, origin={"channel": "system", "source": "seed_demo"})
    cycle.refresh_from_db()
    return cycle
