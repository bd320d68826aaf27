"""Importing units, positions and employees from a CSV or XLSX file, and with them the people who
join, move and leave the open cycles.

One row per employee (or per vacant position, or per unit with no positions); a unit or a
position that several rows name must be described the same way each time. The columns are in
``COLUMNS`` (README, "Importing the organisation"): besides the unit, the position and the person,
an employee's ``grade`` (pangkat/golongan, which must fit the ``employment_type`` pns/cpns/pppk:
org.ranks.grade_fits), a PPPK's ``contract_start``/``contract_end``, ``position_start`` (TMT
jabatan), a position's ``position_kind`` and a functional position's ``functional_level``, and a
leaver's ``leave_date`` and ``leave_reason``; dates are YYYY-MM-DD. An optional column left blank
keeps the value in the database, so an older file changes none of them.

The whole file is validated first: a file with any error is refused whole, each error with its
line and reason, and nothing is written. Then, in one transaction, the organisation is written
(importer.apply) and the open cycles follow it (processes/services/org_import.py: joins, moves and
leaves through the membership services); a refusal there is a line error too and rolls everything back.
Re-importing the same file changes nothing and starts no plan.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from .apply import apply_employees, apply_positions, apply_units
from .reading import COLUMNS, REQUIRED_COLUMNS, read_file, read_rows
from .report import ImportRejected, ImportReport
from .validation import outside_scope, validate

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "ImportRejected", "ImportReport", "import_org", "outside_scope", "read_file",
           "read_rows", "validate"]


def import_org(content: str | bytes, *, actor=None, origin: dict | None = None, filename: str = "",
               people: Callable[..., None] | None = None) -> ImportReport:
    """Validate the file (CSV text, or the bytes of a CSV or XLSX file) whole, then apply it in
    one transaction. With an ``actor`` (HR in the web interface) everything the file touches must
    lie within their HR scope; the command line, run by an administrator, has none (``None``, the
    system, is passed on to the services as the actor). Every unit and position created or
    changed is recorded on its own audit chain by org.writes, and every join, move and leave on
    its plan's, so an import and a change made on a page leave the same trail.

    ``people(changes, report, actor=, origin=)`` makes the year follow the people who appear, move
    or leave, in the same transaction (processes.services.org_import: org knows nothing of
    cycles); without it only the organisation changes."""
    rows = read_file(content, filename=filename)
    checked = validate(rows)
    errors = set(checked.errors) | (set(outside_scope(actor, rows)) if actor is not None else set())
    if errors:  # all of them at once, so that one upload shows everything to mend
        raise ImportRejected(sorted(errors))
    report = ImportReport()
    with transaction.atomic():
        apply_units(checked, report, actor=actor, origin=origin)
        apply_positions(checked, report, actor=actor, origin=origin)
        changes = apply_employees(checked, report)
        if people is not None:
            people(changes, report, actor=actor, origin=origin)
    return report
