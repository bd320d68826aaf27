"""Ranks and grades (pangkat and golongan ruang), kinds of position and functional levels.

A PNS (and a CPNS) has a golongan ruang from I/a to IV/e, each with its pangkat (Peraturan Kepala
BKN on pangkat PNS; docs/organisation-data.md). A PPPK has a golongan from I to XVII (Perpres
98/2020), with no pangkat. The codes are what the import, the API and the database hold; the
names are what documents print ("Penata Muda, III/a").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Golongan ruang of a PNS and its pangkat: proper names, printed as they are in every language.
PNS_GRADES: dict[str, str] = {
    "I/a": "Juru Muda", "I/b": "Juru Muda Tingkat I", "I/c": "Juru", "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda", "II/b": "Pengatur Muda Tingkat I", "II/c": "Pengatur", "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda", "III/b": "Penata Muda Tingkat I", "III/c": "Penata", "III/d": "Penata Tingkat I",
    "IV/a": "Pembina", "IV/b": "Pembina Tingkat I", "IV/c": "Pembina Utama Muda", "IV/d": "Pembina Utama Madya",
    "IV/e": "Pembina Utama",
}
PPPK_GRADES: list[str] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
                          "XVI", "XVII"]

GRADE_CHOICES = [(code, f"{name}, {code}") for code, name in PNS_GRADES.items()] + [(code, code) for code in PPPK_GRADES]


def grade_label(grade: str) -> str:
    """What a document prints for a grade: "Penata Muda, III/a" for a PNS, "IX" for a PPPK."""
    if grade in PNS_GRADES:
        return f"{PNS_GRADES[grade]}, {grade}"
    return grade


def grade_fits(employment_type: str, grade: str) -> bool:
    """A PNS or CPNS holds a golongan ruang (I/a ... IV/e); a PPPK a golongan I ... XVII."""
    if not grade:
        return True
    return grade in (PPPK_GRADES if employment_type == "pppk" else PNS_GRADES)


class PositionKind:
    STRUCTURAL = "structural"
    FUNCTIONAL = "functional"
    EXECUTOR = "executor"
    CHOICES = [
        (STRUCTURAL, _("Structural (jabatan struktural)")),
        (FUNCTIONAL, _("Functional (jabatan fungsional)")),
        (EXECUTOR, _("Executor (jabatan pelaksana)")),
    ]


# The levels of a functional position (jenjang jabatan fungsional): skill and expertise tracks.
FUNCTIONAL_LEVELS = [
    ("pemula", _("Beginner (pemula)")),
    ("terampil", _("Skilled (terampil)")),
    ("mahir", _("Proficient (mahir)")),
    ("penyelia", _("Supervisor (penyelia)")),
    ("ahli_pertama", _("First expert (ahli pertama)")),
    ("ahli_muda", _("Junior expert (ahli muda)")),
    ("ahli_madya", _("Middle expert (ahli madya)")),
    ("ahli_utama", _("Principal expert (ahli utama)")),
]
